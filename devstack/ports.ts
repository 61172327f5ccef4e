import { createServer } from 'node:net';

export class PortInUseError extends Error {
  override name = 'PortInUseError';
  constructor(
    readonly port: number,
    readonly purpose: string,
    readonly option: string,
  ) {
    super(`Port ${port} (${purpose}) is already in use on 127.0.0.1. Free it, or choose another port with ${option}.`);
  }
}

export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * Ports for our servers come from below the kernel's ephemeral range (32768-60999 by default): a port the OS hands out
 * for listen(0) comes from that range, and so do the source ports of outgoing connections, so a server started a
 * moment later could find its port taken by any client's connection. Below it, only listeners compete.
 */
const PORT_RANGE = { low: 20_000, high: 32_000 };

/** A port that is free at the time of the call, outside the ephemeral range. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let tries = 0; tries < 1000; tries++) {
    const port = PORT_RANGE.low + Math.floor(Math.random() * (PORT_RANGE.high - PORT_RANGE.low));
    if (await isPortFree(port, host)) return port;
  }
  throw new Error(`no free port between ${PORT_RANGE.low} and ${PORT_RANGE.high} on ${host}`);
}

export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

export interface PortClaim {
  port: number;
  purpose: string;
  option: string;
}

/**
 * Checks every port before anything starts, so a conflict leaves nothing running. `graceMs` gives ports of processes
 * just killed (recovery after a crash) time to be released before they count as taken.
 */
export async function assertPortsFree(claims: PortClaim[], graceMs = 0): Promise<void> {
  const deadline = Date.now() + graceMs;
  for (const claim of claims) {
    while (!(await isPortFree(claim.port))) {
      if (Date.now() >= deadline) throw new PortInUseError(claim.port, claim.purpose, claim.option);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
