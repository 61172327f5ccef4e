import type { V1Container, V1Probe } from '@kubernetes/client-node';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';

export interface ProbeResult {
  ok: boolean;
  message?: string;
}

/** Runs a command the way the container would (same mount namespace setup, env); probes.ts stays I/O-agnostic. */
export type ExecInContainer = (argv: string[], timeoutMs: number) => Promise<ProbeResult>;

function resolvePort(container: V1Container, port: number | string): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const named = container.ports?.find((p) => p.name === port);
  if (!named) throw new Error(`port "${port}" is not a named port of container ${container.name}`);
  return named.containerPort;
}

function httpProbe(probe: V1Probe, container: V1Container, podIP: string, timeoutMs: number): Promise<ProbeResult> {
  const action = probe.httpGet!;
  const https = action.scheme?.toUpperCase() === 'HTTPS';
  const send = https ? httpsRequest : httpRequest;
  const headers: Record<string, string> = { 'User-Agent': 'kube-probe/1.36', Accept: '*/*' };
  for (const header of action.httpHeaders ?? []) headers[header.name] = header.value;
  return new Promise((resolve) => {
    const req = send(
      {
        host: action.host || podIP,
        port: resolvePort(container, action.port),
        path: action.path || '/',
        method: 'GET',
        headers,
        timeout: timeoutMs,
        rejectUnauthorized: false,
      },
      (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        resolve(
          status >= 200 && status < 400
            ? { ok: true }
            : { ok: false, message: `HTTP probe failed with statuscode: ${status}` },
        );
      },
    );
    req.on('timeout', () => {
      req.destroy();
      resolve({ ok: false, message: `Get "${action.path}": context deadline exceeded` });
    });
    req.on('error', (err) => resolve({ ok: false, message: `Get "${action.path ?? '/'}": ${err.message}` }));
    req.end();
  });
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve({ ok: true });
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve({ ok: false, message: `dial tcp ${host}:${port}: i/o timeout` });
    });
    socket.once('error', (err) => resolve({ ok: false, message: `dial tcp ${host}:${port}: ${err.message}` }));
  });
}

/** One probe attempt, as kubelet's prober runs it. */
export async function runProbe(
  probe: V1Probe,
  container: V1Container,
  podIP: string,
  exec: ExecInContainer,
): Promise<ProbeResult> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  try {
    if (probe.exec) return await exec(probe.exec.command ?? [], timeoutMs);
    if (probe.httpGet) return await httpProbe(probe, container, podIP, timeoutMs);
    if (probe.tcpSocket) {
      const port = resolvePort(container, probe.tcpSocket.port);
      return await tcpProbe(probe.tcpSocket.host || podIP, port, timeoutMs);
    }
    // gRPC health checking needs a gRPC client; a TCP connect to the port is the closest honest check here (README).
    if (probe.grpc) return await tcpProbe(podIP, probe.grpc.port, timeoutMs);
    return { ok: false, message: 'probe has no handler' };
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}
