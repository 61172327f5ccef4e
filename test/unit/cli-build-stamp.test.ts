import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileClock, writeInputStamp } from '../../build/input-stamp.js';
import { freshBuild } from '../../client/bin/fresh-build.js';

// client/bin/lifeboat.js runs a built CLI only while every file it was built from is unchanged: here a build's stamp
// over sources in a temp dir (the repository's own are never touched), then each way a source changes.
describe("the built CLI's stamp (build/input-stamp.ts, client/bin/fresh-build.js)", () => {
  let root: string;
  let out: string;
  const sources = ['client/cli.ts', 'core/naming.ts'];

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'lifeboat-stamp-'));
    out = join(root, 'out');
    for (const path of sources) {
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), `// ${path}\n`);
    }
    const past = new Date(Date.now() - 60_000);
    for (const path of sources) utimesSync(join(root, path), past, past);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const stamp = () => writeInputStamp(out, 'build-1/lifeboat.js', sources, fileClock(out), root);

  it('runs the build while its sources are as they were', () => {
    expect(stamp()).toBe(true);
    expect(freshBuild(out, root)).toBe(join(out, 'build-1', 'lifeboat.js'));
  });

  it('is stale once a source is touched, rewritten to another size, or gone', () => {
    for (const change of [
      (path: string) => utimesSync(path, new Date(), new Date()),
      (path: string) => writeFileSync(path, '// longer than it was\n'),
      (path: string) => rmSync(path),
    ]) {
      expect(stamp()).toBe(true);
      change(join(root, 'core/naming.ts'));
      expect(freshBuild(out, root)).toBeUndefined();
      writeFileSync(join(root, 'core/naming.ts'), '// core/naming.ts\n');
      const past = new Date(Date.now() - 60_000);
      utimesSync(join(root, 'core/naming.ts'), past, past);
    }
  });

  it('writes no stamp when a source changed after the build started (the build may not have it)', () => {
    const startedAt = fileClock(out);
    writeFileSync(join(root, 'client/cli.ts'), '// edited while esbuild read the sources\n');
    expect(writeInputStamp(out, 'build-1/lifeboat.js', sources, startedAt, root)).toBe(false);
    expect(freshBuild(out, root)).toBeUndefined();
  });

  it('has nothing to run where no build was stamped', () => {
    expect(freshBuild(join(root, 'nowhere'), root)).toBeUndefined();
  });
});
