#!/usr/bin/env node
// `npx lifeboat` in a clone. It runs the CLI built to JavaScript, as production does, rather than the sources
// through tsx, which costs every start about 0.3 s of CPU: dist/lifeboat.js while `npm run build` made it from the
// sources as they are; else a build of its own in node_modules/.cache/lifeboat-cli/, made again after a source
// changed (about half a second, once); else (no esbuild: a production install) the sources with tsx.
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freshBuild } from './fresh-build.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cacheDir = join(root, 'node_modules', '.cache', 'lifeboat-cli');

async function rebuild() {
  try {
    const { tsImport } = await import('tsx/esm/api');
    const { buildCliCache } = await tsImport('../../build/cli-cache.ts', import.meta.url);
    return buildCliCache(cacheDir);
  } catch {
    // A source that does not compile, or a cache that cannot be written: tsx says which, or runs the sources.
    return undefined;
  }
}

const entry = freshBuild(join(root, 'dist'), root) ?? freshBuild(cacheDir, root) ?? (await rebuild());
if (entry) {
  await import(pathToFileURL(entry).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli.ts');
}
