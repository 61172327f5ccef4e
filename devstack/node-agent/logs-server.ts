import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';

/** What the log endpoint needs from a Pod worker. */
export interface LogTarget {
  logFile(container: string, previous: boolean): string | undefined;
  containerState(container: string): { exists: boolean; running: boolean; waitingReason?: string };
}

export interface LogsServerOptions {
  port: number;
  host?: string;
  cert: string;
  key: string;
  clientCa: string;
  lookup: (namespace: string, pod: string) => LogTarget | undefined;
  log: (message: string) => void;
}

const FOLLOW_POLL_MS = 500;
const MAX_READ = 64 * 1024 * 1024;

function tail(content: Buffer, lines: number): Buffer {
  if (lines < 0) return content;
  if (lines === 0) return Buffer.alloc(0);
  let end = content.length;
  if (end > 0 && content[end - 1] === 0x0a) end--;
  let start = end;
  for (let seen = 0; start > 0; start--) {
    if (content[start - 1] === 0x0a && ++seen === lines) break;
  }
  return content.subarray(start);
}

function readFrom(file: string, offset: number): Buffer {
  const size = statSync(file).size;
  if (size <= offset) return Buffer.alloc(0);
  const length = Math.min(size - offset, MAX_READ);
  const buffer = Buffer.alloc(length);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buffer, 0, length, offset);
  } finally {
    closeSync(fd);
  }
  return buffer;
}

/** Who is asking: only the API server (its kubelet client certificate is in system:masters) may read logs. */
function isMaster(req: IncomingMessage): boolean {
  const cert = (req.socket as TLSSocket).getPeerCertificate();
  const org = cert?.subject?.O;
  return Array.isArray(org) ? org.includes('system:masters') : org === 'system:masters';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function containerLogs(opts: LogsServerOptions, req: IncomingMessage, res: ServerResponse, url: URL) {
  const [, , namespace, pod, container] = url.pathname.split('/').map(decodeURIComponent);
  const fail = (code: number, message: string) => {
    res.writeHead(code, { 'Content-Type': 'text/plain' });
    res.end(message);
  };
  if (!namespace || !pod || !container) return fail(400, 'expected /containerLogs/{namespace}/{pod}/{container}');
  const target = opts.lookup(namespace, pod);
  if (!target) return fail(404, `pod "${pod}" in namespace "${namespace}" is not on this node`);
  const state = target.containerState(container);
  if (!state.exists) return fail(404, `container "${container}" in pod "${pod}" not found`);
  const previous = url.searchParams.get('previous') === 'true';
  const file = target.logFile(container, previous);
  if (!file || !existsSync(file)) {
    if (previous) return fail(400, `previous terminated container "${container}" in pod "${pod}" not found`);
    return fail(
      400,
      `container "${container}" in pod "${pod}" is waiting to start: ${state.waitingReason ?? 'ContainerCreating'}`,
    );
  }
  const tailLines = url.searchParams.has('tailLines') ? Number(url.searchParams.get('tailLines')) : -1;
  const limitBytes = url.searchParams.has('limitBytes') ? Number(url.searchParams.get('limitBytes')) : Infinity;
  const follow = url.searchParams.get('follow') === 'true' && !previous;
  let sent = 0;
  const send = (chunk: Buffer) => {
    const part = chunk.subarray(0, Math.max(0, limitBytes - sent));
    sent += part.length;
    if (part.length) res.write(part);
    return sent < limitBytes;
  };
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  let offset = statSync(file).size;
  const initial = readFrom(file, Math.max(0, offset - MAX_READ));
  let more = send(tail(initial, Number.isFinite(tailLines) ? tailLines : -1));
  let closed = false;
  req.on('close', () => (closed = true));
  while (follow && more && !closed) {
    const chunk = readFrom(file, offset);
    offset += chunk.length;
    if (chunk.length) more = send(chunk);
    // Following ends with the instance: when it stopped, or a restart moved its output to a new file.
    const live = target.containerState(container).running && target.logFile(container, false) === file;
    if (!live && chunk.length === 0) break;
    if (chunk.length === 0) await sleep(FOLLOW_POLL_MS);
  }
  res.end();
}

/**
 * kubelet's HTTPS endpoint, the part the API server proxies for `kubectl logs`: /containerLogs/{ns}/{pod}/{container}
 * with tailLines, follow, previous and limitBytes (timestamps and sinceSeconds are not recorded, so ignored), and
 * /healthz. Clients must present a certificate from the cluster CA.
 */
export async function startLogsServer(opts: LogsServerOptions): Promise<Server> {
  const server = createServer(
    {
      cert: readFileSync(opts.cert),
      key: readFileSync(opts.key),
      ca: readFileSync(opts.clientCa),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      const url = new URL(req.url ?? '/', 'https://node');
      if (req.method !== 'GET') {
        res.writeHead(405).end();
      } else if (url.pathname === '/healthz') {
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
      } else if (url.pathname.startsWith('/containerLogs/')) {
        if (!isMaster(req)) {
          res.writeHead(403, { 'Content-Type': 'text/plain' }).end('only the API server may read container logs');
          return;
        }
        containerLogs(opts, req, res, url).catch((err: unknown) => {
          opts.log(`log request ${url.pathname}: ${err instanceof Error ? err.message : String(err)}`);
          if (!res.headersSent) res.writeHead(500);
          res.end();
        });
      } else {
        res
          .writeHead(404, { 'Content-Type': 'text/plain' })
          .end(`${url.pathname} is not served by the Lifeboat node agent`);
      }
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
  });
  return server;
}
