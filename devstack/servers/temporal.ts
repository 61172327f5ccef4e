import { Connection } from '@temporalio/client';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { searchAttributeFlags } from '../../core/search-attributes.js';
import type { ProcessSpec } from '../process.js';

export interface TemporalServerOptions {
  binary: string;
  dataDir: string;
  port: number;
  /** The Web UI on this port; without it the server is headless (tests and benches: the UI costs memory). */
  ui?: { port: number };
  /** A SQLite file under dataDir; in memory without it (tests and benches). */
  persist?: boolean;
}

export function temporalServer(opts: TemporalServerOptions): ProcessSpec {
  mkdirSync(opts.dataDir, { recursive: true });
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(opts.port),
    '--log-level',
    'warn',
    ...searchAttributeFlags(),
  ];
  if (opts.persist) args.push('--db-filename', join(opts.dataDir, 'temporal.db'));
  if (opts.ui) args.push('--ui-ip', '127.0.0.1', '--ui-port', String(opts.ui.port), '--ui-disable-news-fetch');
  else args.push('--headless');
  const address = `127.0.0.1:${opts.port}`;
  return {
    name: 'temporal',
    command: opts.binary,
    args,
    // The CLI keeps a config file and a cluster id in the user's config dir; keep both in the data dir.
    env: { XDG_CONFIG_HOME: join(opts.dataDir, 'config'), HOME: opts.dataDir },
    logFile: join(opts.dataDir, 'temporal.log'),
    startTimeoutMs: 90_000,
    ready: async () => {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return true;
      } finally {
        await connection.close();
      }
    },
  };
}
