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

/** A port the OS just handed out; free at the time of the call. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
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
