import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { componentKey, toolsCacheDir } from '../../devstack/tools/build.js';
import { components } from '../../devstack/tools/components.js';
import { repoRoot } from '../../build/repo-root.js';

const run = promisify(execFile);
// Each test gets caches of its own under this root, so none depends on what an earlier one left.
const root = mkdtempSync(join(tmpdir(), 'lifeboat-tools-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const newCache = () => mkdtempSync(join(root, 'cache-'));

function buildTools(cache: string, args: string[], env: Record<string, string>) {
  // process.execPath, not `node` from PATH: the tests below choose PATH.
  return run(process.execPath, ['--import', 'tsx', 'devstack/tools/cli.ts', ...args], {
    cwd: repoRoot,
    env: { ...process.env, LIFEBOAT_TOOLS_CACHE: cache, ...env },
  }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

/** A copy of the working age build the global setup made, in a cache of the test's own. */
function cacheWithAge(): { cache: string; binary: string } {
  const age = components.find((c) => c.name === 'age')!;
  const entry = componentKey(age);
  const cache = newCache();
  cpSync(join(toolsCacheDir(), entry), join(cache, entry), { recursive: true });
  return { cache, binary: join(cache, entry, 'age') };
}

describe('the tool builder', () => {
  it('without Go and without the binaries, says what to install and fails', async () => {
    // An empty PATH directory: no Go anywhere (not even one from Debian's golang-go in /usr/bin) and no etcd. The
    // builder needs nothing else from PATH on this path: node is process.execPath, and it only looks for `go` and
    // the binaries.
    const emptyPath = mkdtempSync(join(root, 'path-'));
    const result = await buildTools(newCache(), ['etcd'], { PATH: emptyPath });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Go is not installed, so etcd 3.6.14 cannot be built. Install Go >= 1.26');
    expect(result.stderr).toContain('or put etcd, etcdctl, etcdutl on PATH');
  });

  it('rebuilds a cached binary that no longer runs', async () => {
    const { cache, binary } = cacheWithAge();
    writeFileSync(binary, 'not a binary any more');
    const result = await buildTools(cache, ['age'], {});
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/age 1\.3\.2: built in \d+s/);
    const version = await run(binary, ['--version']);
    expect(version.stdout.trim()).toBe('v1.3.2');
  });

  it('reuses a working cached build', async () => {
    const { cache, binary } = cacheWithAge();
    const before = statSync(binary);
    const result = await buildTools(cache, ['age'], {});
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('[1/1] age 1.3.2: cached');
    expect(result.stdout).toContain(`age\t${binary}\n`);
    // Not rebuilt: the same file, untouched.
    const after = statSync(binary);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });
});
