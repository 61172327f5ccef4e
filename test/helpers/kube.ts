import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastLogLines } from '../../devstack/process.js';
import { repoRoot } from '../../build/repo-root.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `probe` returns a value (not undefined/false); the error names what was awaited and the last value. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 120_000,
  intervalMs = 1000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      last = value;
    } catch (err) {
      last = err instanceof Error ? err.message : err;
    }
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what} (last: ${JSON.stringify(last)})`);
}

/** The node agent as its own process (devstack/node-agent/main.ts), so tests can kill it like a crash would. */
export class NodeAgentProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(
    private readonly args: string[],
    readonly logFile: string,
  ) {}

  start(): void {
    const log = openSync(this.logFile, 'a');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(repoRoot, 'devstack/node-agent/main.ts'), ...this.args],
      {
        cwd: repoRoot,
        stdio: ['ignore', log, log],
      },
    );
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM: the agent stops its containers and exits. */
  async stop(timeoutMs = 90_000): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGTERM');
    const stopped = await Promise.race([this.exited.then(() => true), sleep(timeoutMs).then(() => false)]);
    if (!stopped) {
      this.child!.kill('SIGKILL');
      await this.exited;
      throw new Error(`node agent did not stop within ${timeoutMs / 1000}s:\n${lastLogLines(this.logFile, 40)}`);
    }
  }

  /** SIGKILL: a crash; its containers keep running. */
  async crash(): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGKILL');
    await this.exited;
  }

  lastLines(count = 40): string {
    return lastLogLines(this.logFile, count);
  }
}

/** Pids of processes that reference `marker` in their command line or in their mounts (a container's bind mounts). */
export function processesUsing(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const mounts = readFileSync(`/proc/${entry}/mountinfo`, 'utf8');
      if (cmdline.includes(marker) || mounts.includes(marker)) pids.push(Number(entry));
    } catch {
      // Gone while we looked.
    }
  }
  return pids;
}

export function killProcesses(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}
