import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManagedProcess, ServerStartError } from '../../devstack/process.js';

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-process-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('ManagedProcess (the supervisor behind the dev stack and the test servers)', () => {
  it('a server that never becomes ready is stopped, and the error shows its last log lines', async () => {
    const proc = new ManagedProcess({
      name: 'sleepy',
      command: '/bin/sh',
      args: ['-c', 'echo "listening on nothing"; echo "still booting"; exec sleep 60'],
      logFile: join(dir, 'sleepy.log'),
      ready: () => Promise.resolve(false),
      startTimeoutMs: 1500,
      stopGraceMs: 1000,
    });
    const err = await proc.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerStartError);
    expect((err as Error).message).toContain('sleepy did not become ready within 2s');
    expect((err as Error).message).toContain('still booting');
    expect(isRunning(proc.pid!)).toBe(false);
  });

  it('a server that exits while starting is reported with its exit code and output', async () => {
    const proc = new ManagedProcess({
      name: 'crashy',
      command: '/bin/sh',
      args: ['-c', 'echo "fatal: bad flag" >&2; exit 7'],
      logFile: join(dir, 'crashy.log'),
      ready: () => Promise.resolve(false),
    });
    await expect(proc.start()).rejects.toThrow(/crashy exited \(code 7\)[\s\S]*fatal: bad flag/);
  });

  it('a missing binary is reported, not hung on', async () => {
    const proc = new ManagedProcess({
      name: 'ghost',
      command: join(dir, 'no-such-binary'),
      args: [],
      logFile: join(dir, 'ghost.log'),
      ready: () => Promise.resolve(false),
    });
    await expect(proc.start()).rejects.toThrow(/ghost exited[\s\S]*spawn failed: .*ENOENT/);
  });

  it('stop() escalates to SIGKILL when SIGTERM is ignored', async () => {
    const proc = new ManagedProcess({
      name: 'stubborn',
      command: '/bin/sh',
      args: ['-c', "trap '' TERM; echo up; while true; do sleep 0.1; done"],
      logFile: join(dir, 'stubborn.log'),
      // Ready only once the trap is set, or SIGTERM could land first.
      ready: () =>
        Promise.resolve(
          existsSync(join(dir, 'stubborn.log')) && readFileSync(join(dir, 'stubborn.log'), 'utf8').includes('up'),
        ),
      stopGraceMs: 500,
    });
    await proc.start();
    const started = Date.now();
    await proc.stop();
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect(proc.running).toBe(false);
  });
});
