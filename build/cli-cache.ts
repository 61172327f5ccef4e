import { readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { bundleEntries } from './bundle.js';
import { buildInputs, fileClock, INPUT_STAMP_FILE, writeInputStamp, type InputStamp } from './input-stamp.js';
import { repoRoot } from './repo-root.js';

/** How long a replaced build stays: a CLI started from it may still import one of its chunks. */
const REPLACED_BUILD_GRACE_MS = 10 * 60_000;

/**
 * The CLI compiled for a clone, where there is no dist/ (client/bin/lifeboat.js calls this when a source changed
 * since the last build): the same bundle as dist/lifeboat.js, each lazily loaded command a chunk of its own, in a
 * directory of its own under `cacheDir`, then the stamp pointing at it. A CLI started from the previous build keeps
 * its files; two CLIs building at once each write their own. Returns the entry's path.
 */
export function buildCliCache(cacheDir: string): string {
  const build = `build-${Date.now()}-${process.pid}`;
  const outdir = join(cacheDir, build);
  const startedAt = fileClock(outdir);
  const metafile = bundleEntries({ lifeboat: join(repoRoot, 'client', 'cli.ts') }, outdir);
  const replaced = stampedBuild(cacheDir);
  if (writeInputStamp(cacheDir, `${build}/lifeboat.js`, buildInputs(metafile), startedAt) && replaced) {
    // A build directory's mtime says when it was last in use: made, or replaced.
    const now = new Date();
    utimesSync(replaced, now, now);
  }
  removeReplacedBuilds(cacheDir, build);
  return join(outdir, 'lifeboat.js');
}

function stampedBuild(cacheDir: string): string | undefined {
  try {
    const { entry } = JSON.parse(readFileSync(join(cacheDir, INPUT_STAMP_FILE), 'utf8')) as InputStamp;
    return join(cacheDir, dirname(entry));
  } catch {
    return undefined;
  }
}

function removeReplacedBuilds(cacheDir: string, current: string): void {
  for (const name of readdirSync(cacheDir)) {
    if (!name.startsWith('build-') || name === current) continue;
    const path = join(cacheDir, name);
    if (Date.now() - statSync(path).mtimeMs > REPLACED_BUILD_GRACE_MS) rmSync(path, { recursive: true, force: true });
  }
}
