import type { Metafile } from 'esbuild';
import { mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { repoRoot } from './repo-root.js';

/**
 * `<dir>/lifeboat.inputs.json`: which source files a built CLI was compiled from, each with its mtime and size then,
 * so client/bin/lifeboat.js (plain JavaScript: it reads this format itself, in fresh-build.js) can tell in a
 * millisecond whether the build still is what the sources say, and otherwise compile again or run them with tsx.
 */
export const INPUT_STAMP_FILE = 'lifeboat.inputs.json';

/** What `entry` (a path relative to the stamp's directory) was built from: repository paths → [mtimeMs, size]. */
export interface InputStamp {
  entry: string;
  inputs: Record<string, [number, number]>;
}

/** Besides the sources: the files that decide what the build makes of them. */
const BUILD_INPUTS = ['package.json', 'tsconfig.json', 'build/bundle.ts', 'build/cli-cache.ts', 'build/input-stamp.ts'];

/** What a build read (esbuild's metafile, paths relative to the repository: bundleEntries builds from there). */
export function buildInputs(metafile: Metafile): string[] {
  return [...Object.keys(metafile.inputs).map((p) => relative(repoRoot, resolve(repoRoot, p))), ...BUILD_INPUTS];
}

/**
 * The time as the file system stamps files, taken before a build: mtimes come from the kernel's coarse clock, which
 * can be a few milliseconds behind Date.now(), so only a file's own mtime says what changed after it.
 */
export function fileClock(dir: string): number {
  mkdirSync(dir, { recursive: true });
  const marker = join(dir, `.build-started.${process.pid}`);
  writeFileSync(marker, '');
  const { mtimeMs } = statSync(marker);
  rmSync(marker);
  return mtimeMs;
}

/**
 * Writes the stamp of a build that started at `startedAt` (fileClock), unless a source changed since: esbuild may
 * have read it before or after the edit, so no stamp, and the next run builds again. Written whole or not at all:
 * a CLI starting meanwhile reads the old stamp or the new.
 */
export function writeInputStamp(
  dir: string,
  entry: string,
  sources: string[],
  startedAt: number,
  root = repoRoot,
): boolean {
  const inputs: InputStamp['inputs'] = {};
  for (const path of sources) {
    const { mtimeMs, size } = statSync(join(root, path));
    if (mtimeMs >= startedAt) return false;
    inputs[path] = [mtimeMs, size];
  }
  const stamp: InputStamp = { entry, inputs };
  const temporary = join(dir, `${INPUT_STAMP_FILE}.${process.pid}`);
  writeFileSync(temporary, JSON.stringify(stamp));
  renameSync(temporary, join(dir, INPUT_STAMP_FILE));
  return true;
}
