import { buildSync, type Metafile } from 'esbuild';
import { join, relative } from 'node:path';
import { repoRoot } from './repo-root.js';

/**
 * The npm packages a module loads before its first line runs: everything reached from it through static imports,
 * not through `await import(...)`. What `lifeboat --help` pays for at start is this set for client/cli.ts.
 */
export function staticPackages(entry: string): Set<string> {
  const { metafile } = buildSync({
    entryPoints: [join(repoRoot, entry)],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    packages: 'external',
    metafile: true,
    logLevel: 'silent',
  });
  return closure(metafile, relative(process.cwd(), join(repoRoot, entry)));
}

function closure({ inputs }: Metafile, start: string): Set<string> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    for (const imported of inputs[path]?.imports ?? []) {
      if (imported.kind !== 'import-statement') continue;
      if (imported.external) {
        if (!imported.path.startsWith('node:')) packages.add(packageName(imported.path));
      } else visit(imported.path);
    }
  };
  visit(start);
  return packages;
}

/** `@aws-sdk/client-s3/dist/x` → `@aws-sdk/client-s3`, `yaml` → `yaml`. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return parts.slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
}
