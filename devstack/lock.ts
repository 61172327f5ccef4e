import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';

/** What a running stack records about itself, so a second start can detect it and a start after SIGKILL can clean up. */
export interface StackState {
  pid: number;
  startedAt: string;
  urls: Record<string, string>;
  children: { name: string; pid: number; command: string }[];
}

export class StackAlreadyRunningError extends Error {
  override name = 'StackAlreadyRunningError';
  constructor(readonly state: StackState) {
    super(
      `The dev stack is already running (pid ${state.pid}, started ${state.startedAt}).\n` +
        Object.entries(state.urls)
          .map(([what, url]) => `  ${what}: ${url}`)
          .join('\n') +
        `\nStop it with Ctrl-C in its terminal (or kill ${state.pid}), or start another one with --data-dir and other ports.`,
    );
  }
}

function processCommandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return undefined;
  }
}

/** Zombies count as dead: in a container PID 1 may never reap an orphan. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function waitUntilGone(pid: number, timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (isAlive(pid) && Date.now() < deadline) Atomics.wait(pause, 0, 0, 50);
}

/** A pid alone can be reused after a reboot; the command line must still match what we started. */
function stillOurs(pid: number, command: string): boolean {
  if (!isAlive(pid)) return false;
  const cmdline = processCommandLine(pid);
  return cmdline === undefined || cmdline.includes(command);
}

export function readState(path: string): StackState | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as StackState;
  } catch {
    return undefined;
  }
}

/**
 * Takes the stack lock. A live owner means the stack runs: refuse. A dead owner (SIGKILL, crash, reboot) leaves a
 * stale file and maybe orphaned servers: kill those that are still ours, then take over.
 */
export function acquireStackLock(path: string, log: (line: string) => void): StackState & { recovered: boolean } {
  let recovered = false;
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const state = readState(path);
      if (state && state.pid !== process.pid && stillOurs(state.pid, 'devstack'))
        throw new StackAlreadyRunningError(state);
      recovered = true;
      for (const child of state?.children ?? []) {
        if (stillOurs(child.pid, child.command)) {
          log(`stopping ${child.name} (pid ${child.pid}) left over from a stack that did not shut down`);
          process.kill(child.pid, 'SIGKILL');
          waitUntilGone(child.pid, 5000);
        }
      }
      rmSync(path, { force: true });
      continue;
    }
    const state: StackState = { pid: process.pid, startedAt: new Date().toISOString(), urls: {}, children: [] };
    writeSync(fd, JSON.stringify(state, null, 2));
    closeSync(fd);
    return { ...state, recovered };
  }
  throw new Error(`Could not take the stack lock ${path}; another start raced this one. Try again.`);
}

export function writeState(path: string, state: StackState): void {
  writeFileSync(path, JSON.stringify(state, null, 2), { mode: 0o600 });
}

export function releaseStackLock(path: string): void {
  const state = existsSync(path) ? readState(path) : undefined;
  if (!state || state.pid === process.pid) rmSync(path, { force: true });
}
