import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { WORKER_COMMAND } from '../build/bundle.js';
import { WORKER_READY_LINE } from '../worker/ready.js';
import type { ProcessSpec } from './process.js';
import { repoRoot } from '../build/repo-root.js';

export type WorkerLaunch = Pick<ProcessSpec, 'command' | 'args' | 'cwd'> & { env?: Record<string, string> };

/** A worker from source (`npm run worker`): the entrypoint, or a test's stand-in for it, through tsx. */
export function workerFromSource(entry = 'worker/main.ts'): WorkerLaunch {
  return { command: process.execPath, args: ['--import', 'tsx', join(repoRoot, entry)], cwd: repoRoot };
}

/** The built worker (`npm run build`) as an image runs it: dist's launcher (its `node`: build/bundle.ts). */
export function builtWorker(dist: string): WorkerLaunch {
  return {
    command: join(dist, WORKER_COMMAND),
    args: [],
    env: { PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` },
  };
}

/** A worker process, ready once its log says so (worker/ready.ts). */
export function workerProcessSpec(
  launch: WorkerLaunch,
  opts: { env: Record<string, string>; logFile: string } & Partial<
    Pick<ProcessSpec, 'name' | 'startTimeoutMs' | 'stopGraceMs'>
  >,
): ProcessSpec {
  const { logFile } = opts;
  return {
    name: 'lifeboat worker',
    startTimeoutMs: 120_000,
    ...opts,
    ...launch,
    env: { ...opts.env, ...launch.env },
    ready: () => Promise.resolve(existsSync(logFile) && readFileSync(logFile, 'utf8').includes(WORKER_READY_LINE)),
  };
}
