import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ProcessSpec } from '../process.js';
import { httpOk } from './http.js';

export interface S3ServerOptions {
  binary: string;
  dataDir: string;
  port: number;
  accessKeyId: string;
  secretAccessKey: string;
}

export function versitygwServer(opts: S3ServerOptions): ProcessSpec {
  const data = join(opts.dataDir, 'data');
  const meta = join(opts.dataDir, 'meta');
  mkdirSync(data, { recursive: true });
  mkdirSync(meta, { recursive: true });
  return {
    name: 'versitygw',
    command: opts.binary,
    // Global flags must precede the backend subcommand. --sidecar keeps metadata in files: no user xattrs needed.
    args: [
      '--port',
      `127.0.0.1:${opts.port}`,
      '--region',
      'us-east-1',
      '--health',
      '/health',
      'posix',
      '--sidecar',
      meta,
      data,
    ],
    env: { ROOT_ACCESS_KEY: opts.accessKeyId, ROOT_SECRET_KEY: opts.secretAccessKey },
    logFile: join(opts.dataDir, 'versitygw.log'),
    startTimeoutMs: 30_000,
    ready: () => httpOk(`http://127.0.0.1:${opts.port}/health`),
  };
}
