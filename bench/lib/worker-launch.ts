import { join } from 'node:path';
import { WORKER_ENV_DEFAULTS, WORKER_NODE_FLAGS } from '../../build/bundle.js';
import { builtWorker, type WorkerLaunch } from '../../devstack/worker-process.js';

/** The benchmarks' worker options: other Node flags than the launcher's, a CPU profile directory. */
export interface WorkerLaunchOptions {
  /** `--worker-node-flags "..."`: instead of the launcher's flags (build/bundle.ts WORKER_NODE_FLAGS). */
  nodeFlags?: string;
  /** `--cpu-prof DIR`: each worker writes a V8 CPU profile there when it stops. */
  cpuProfileDir?: string;
}

/**
 * The built worker as production starts it (dist's launcher), or, when asked for a profile or other Node flags,
 * dist/worker.js under the same Node with those flags and the launcher's environment defaults.
 */
export function benchWorkerLaunch(dist: string, opts: WorkerLaunchOptions = {}): WorkerLaunch {
  const flags = opts.nodeFlags?.split(/\s+/).filter(Boolean);
  const profile = opts.cpuProfileDir;
  const launch = builtWorker(dist);
  if (!flags && !profile) return launch;
  return {
    command: process.execPath,
    args: [
      ...(flags ?? WORKER_NODE_FLAGS),
      ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []),
      join(dist, 'worker.js'),
    ],
    env: { ...launch.env, ...WORKER_ENV_DEFAULTS },
  };
}

/** How the benchmark's worker ran, for its report line. */
export function describeWorkerLaunch(opts: WorkerLaunchOptions): string {
  return `node ${(opts.nodeFlags ?? WORKER_NODE_FLAGS.join(' ')) || '(no flags)'}${opts.cpuProfileDir ? ' (profiled)' : ''}`;
}

/** The options from a benchmark's parsed `--worker-node-flags` and `--cpu-prof`. */
export function launchOptionsFrom(args: { 'worker-node-flags'?: string; 'cpu-prof'?: string }): WorkerLaunchOptions {
  return {
    ...(args['worker-node-flags'] !== undefined ? { nodeFlags: args['worker-node-flags'] } : {}),
    ...(args['cpu-prof'] !== undefined ? { cpuProfileDir: args['cpu-prof'] } : {}),
  };
}
