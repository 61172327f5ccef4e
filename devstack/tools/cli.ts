import { consoleProgress, ensureTools, ToolBuildError, toolsCacheDir } from './build.js';

// Usage: tsx devstack/tools/cli.ts [component...]   builds (or finds cached) local server binaries.
const only = process.argv.slice(2);
try {
  process.stderr.write(`Local server binaries (cache: ${toolsCacheDir()})\n`);
  const paths = await ensureTools(consoleProgress(), only.length > 0 ? only : undefined);
  for (const [name, path] of Object.entries(paths)) process.stdout.write(`${name}\t${path}\n`);
} catch (err) {
  process.stderr.write(`${err instanceof ToolBuildError ? err.message : String(err)}\n`);
  process.exit(1);
}
