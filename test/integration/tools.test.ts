import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { componentKey, toolsCacheDir } from '../../devstack/tools/build.js';
import { components } from '../../devstack/tools/components.js';
import { repoRoot } from '../../devstack/repo-root.js';

const run = promisify(execFile);
const cache = mkdtempSync(join(tmpdir(), 'lifeboat-tools-'));
afterAll(() => rmSync(cache, { recursive: true, force: true }));

function buildTools(args: string[], env: Record<string, string>) {
  return run(process.execPath, ['--import', 'tsx', 'devstack/tools/cli.ts', ...args], {
    cwd: repoRoot,
    env: { ...process.env, LIFEBOAT_TOOLS_CACHE: cache, ...env },
  }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

describe('the tool builder', () => {
  it('without Go and without the binaries, says what to install and fails', async () => {
    const result = await buildTools(['etcd'], { PATH: '/usr/bin:/bin' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Go is not installed, so etcd 3.6.14 cannot be built. Install Go >= 1.26');
    expect(result.stderr).toContain('or put etcd, etcdctl, etcdutl on PATH');
  });

  it('rebuilds a cached binary that no longer runs', async () => {
    const age = components.find((c) => c.name === 'age')!;
    const entry = componentKey(age);
    cpSync(join(toolsCacheDir(), entry), join(cache, entry), { recursive: true });
    writeFileSync(join(cache, entry, 'age'), 'not a binary any more');
    const result = await buildTools(['age'], {});
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/age 1\.3\.2: built in \d+s/);
    const version = await run(join(cache, entry, 'age'), ['--version']);
    expect(version.stdout.trim()).toBe('v1.3.2');
  });

  it('reuses a working cached build', async () => {
    const result = await buildTools(['age'], {});
    expect(result.stderr).toContain('[1/1] age 1.3.2: cached');
  });
});
