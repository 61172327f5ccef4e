import type { Logger } from '@temporalio/worker';
import { buildSync, type Metafile } from 'esbuild';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildInputs, fileClock, writeInputStamp } from './input-stamp.js';
import { repoRoot } from './repo-root.js';
import { WORKFLOW_BUNDLE_FILE } from '../worker/workflow-bundle.js';

/**
 * TypeScript entry points built to JavaScript with esbuild: one file per entry (named by the key), a chunk per lazily
 * loaded module, npm packages left to node_modules. This is what production runs: no compiler in the process, which
 * costs each start about 0.3 s of CPU and a worker about 30 MiB.
 */
export function bundleEntries(entries: Record<string, string>, outdir: string): Metafile {
  const { metafile } = buildSync({
    absWorkingDir: repoRoot,
    entryPoints: entries,
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node26',
    packages: 'external',
    sourcemap: true,
    logLevel: 'silent',
    metafile: true,
  });
  return metafile;
}

/** The workflow code as the worker's sandbox runs it, bundled ahead of time so a worker never runs webpack. */
export async function bundleWorkflows(outdir: string, logger?: Logger): Promise<string> {
  // Loaded here only: the dev node agent builds its CLI image from this module and needs no webpack.
  const { bundleWorkflowCode } = await import('@temporalio/worker');
  const { code } = await bundleWorkflowCode({
    workflowsPath: join(repoRoot, 'workflows', 'index.ts'),
    ...(logger ? { logger } : {}),
  });
  mkdirSync(outdir, { recursive: true });
  const path = join(outdir, WORKFLOW_BUNDLE_FILE);
  writeFileSync(path, code);
  return path;
}

/**
 * How production starts the worker, with four memory settings, each measured by a benchmark: the arena limit and the
 * semi-space size by bench/etcd-snapshot (a 1 GiB backup's peak RSS went from 308 to 236 MiB, with no change in its
 * duration), the mmap threshold by bench/resources, the heap growth by bench/resource-restore:
 * - MALLOC_ARENA_MAX=2: glibc otherwise gives each busy thread (Temporal's core runtime, libuv's pool, the workflow
 *   thread) an arena of its own, and keeps what each arena once held;
 * - MALLOC_MMAP_THRESHOLD_=262144: buffers from 256 KiB up (LIST pages, archive chunks, parts) are mapped and
 *   unmapped on their own. glibc otherwise raises the threshold to the largest buffer freed so far, after which
 *   those buffers come from the heap and what they held stays resident: bench:resources' 10k-object backup peaked
 *   at 254-266 MiB without it and at 240 MiB with it, in the same time;
 * - --max-semi-space-size=4 (MiB): V8's young generation otherwise grows to 32 MiB under a snapshot's stream of
 *   short-lived objects; the worker's work is I/O-bound, so more frequent minor GCs cost nothing measurable;
 * - --heap-growing-percent=25: V8 otherwise lets the old generation grow to about twice what survived the last full
 *   GC before the next one. bench:resource-restore (10k objects) went from 292-316 MiB to 249 MiB peak RSS, with
 *   garbage collection at 1.5 s instead of 1.3 s of the worker's CPU. (--optimize-for-size, tried too, gave 195-219 MiB
 *   but tripled the GC time, 4.3 s, and the restore's a/b went from 1.3-1.5 to 1.55-1.94 on these two shared cores.)
 * An operator's own MALLOC_ARENA_MAX or MALLOC_MMAP_THRESHOLD_ wins; NODE_OPTIONS can add flags. The Node it runs is the project's pinned
 * runtime where the image's node_modules has it (package.json optionalDependencies: the release the tests ran on),
 * else `node` on PATH.
 * Benchmarks that start worker.js with other flags take these from here.
 */
export const WORKER_NODE_FLAGS = ['--max-semi-space-size=4', '--heap-growing-percent=25'];
/** The worker's environment defaults (an operator's own value wins): see above. */
export const WORKER_ENV_DEFAULTS = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '262144' };

/** dist/lifeboat-worker: the flags and defaults above, and the pinned Node where the image has it. */
const WORKER_LAUNCHER = `#!/bin/sh
# The Lifeboat worker as production runs it; written by \`npm run build\` (build/bundle.ts says why these settings).
${Object.entries(WORKER_ENV_DEFAULTS)
  .map(([name, value]) => `: "\${${name}:=${value}}"\nexport ${name}\n`)
  .join('')}node="$(dirname "$0")/../node_modules/.bin/node"
[ -x "$node" ] || node=node
exec "$node" ${WORKER_NODE_FLAGS.join(' ')} "$(dirname "$0")/worker.js" "$@"
`;

/** The worker's start command in dist/ (build/bundle.ts WORKER_LAUNCHER). */
export const WORKER_COMMAND = 'lifeboat-worker';

/** `npm run build`: dist/lifeboat-worker (runs dist/worker.js), dist/lifeboat.js and the workflow bundle. */
export async function buildDist(outdir = join(repoRoot, 'dist'), logger?: Logger): Promise<string> {
  const startedAt = fileClock(outdir);
  const metafile = bundleEntries(
    { worker: join(repoRoot, 'worker', 'main.ts'), lifeboat: join(repoRoot, 'client', 'cli.ts') },
    outdir,
  );
  // client/bin/lifeboat.js (`npx lifeboat` in a clone) runs dist/lifeboat.js while no source has changed since.
  writeInputStamp(outdir, 'lifeboat.js', buildInputs(metafile), startedAt);
  await bundleWorkflows(outdir, logger);
  const launcher = join(outdir, WORKER_COMMAND);
  writeFileSync(launcher, WORKER_LAUNCHER);
  chmodSync(launcher, 0o755);
  return outdir;
}
