import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ProcessSpec } from '../process.js';
import type { S3ServerOptions } from './versitygw.js';
import { httpOk } from './http.js';

export function minioServer(opts: S3ServerOptions): ProcessSpec {
  const data = join(opts.dataDir, 'data');
  mkdirSync(data, { recursive: true });
  return {
    name: 'minio',
    command: opts.binary,
    args: ['server', data, '--address', `127.0.0.1:${opts.port}`, '--quiet'],
    env: {
      MINIO_ROOT_USER: opts.accessKeyId,
      MINIO_ROOT_PASSWORD: opts.secretAccessKey,
      MINIO_BROWSER: 'off',
      MINIO_UPDATE: 'off',
      HOME: opts.dataDir,
    },
    logFile: join(opts.dataDir, 'minio.log'),
    startTimeoutMs: 60_000,
    ready: () => httpOk(`http://127.0.0.1:${opts.port}/minio/health/ready`),
  };
}
