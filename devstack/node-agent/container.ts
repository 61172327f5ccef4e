import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isSameProcessAlive, processStartTime, signalGroup } from './proc.js';
import type { HostTools } from './sandbox.js';

export interface ContainerExit {
  exitCode: number;
  /** Set when the process never started (kubelet's StartError): mounts failed or the command does not exist. */
  startError?: string;
  /** Set when the agent could not learn the exit code (its shim was gone too). */
  unknown?: boolean;
  finishedAt: Date;
}

export interface ContainerHandle {
  shimPid: number;
  shimStartTime: string;
  runDir: string;
}

/**
 * The shim is the container's parent and outlives the agent: it waits for the container and writes its exit status
 * to <run>/exit, so an agent that restarts learns how a container it adopted ended. The container gets its own
 * session (setsid: its pid is its process group, signalled as a whole) and mount namespace (unshare).
 */
const SHIM = (tools: HostTools) =>
  [
    'run=$1; pre=$2; shift 2',
    `'${tools.setsid}' '${tools.unshare}' --mount --propagation private '${tools.sh}' -c "$pre" container "$run" "$@"`,
    'echo $? > "$run/exit"',
  ].join('\n');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One run of one container: a process group on this machine. */
export class ContainerProcess {
  readonly exited: Promise<ContainerExit>;
  private finished: ContainerExit | undefined;

  private constructor(
    readonly handle: ContainerHandle,
    waitForShim: Promise<void>,
  ) {
    this.exited = waitForShim.then(() => {
      this.finished = this.readExit();
      return this.finished;
    });
  }

  static spawn(opts: {
    tools: HostTools;
    runDir: string;
    logFile: string;
    preamble: string;
    argv: string[];
    env: Record<string, string>;
  }): ContainerProcess {
    mkdirSync(opts.runDir, { recursive: true });
    const log = openSync(opts.logFile, 'a');
    let child;
    try {
      child = spawn(opts.tools.sh, ['-c', SHIM(opts.tools), 'shim', opts.runDir, opts.preamble, ...opts.argv], {
        detached: true,
        stdio: ['ignore', log, log],
        env: opts.env,
        cwd: '/',
      });
    } finally {
      closeSync(log);
    }
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not start ${opts.tools.sh}`);
    const done = new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    });
    return new ContainerProcess(
      { shimPid: pid, shimStartTime: processStartTime(pid) ?? '', runDir: opts.runDir },
      done,
    );
  }

  /** A container started by an earlier agent process; undefined when its shim is gone (read its exit instead). */
  static adopt(handle: ContainerHandle): ContainerProcess | undefined {
    if (!isSameProcessAlive(handle.shimPid, handle.shimStartTime)) return undefined;
    const poll = async () => {
      while (isSameProcessAlive(handle.shimPid, handle.shimStartTime)) await sleep(1000);
    };
    return new ContainerProcess(handle, poll());
  }

  /** Ends an instance nobody will adopt (its Pod is gone, or the API no longer reports it running). */
  static kill(handle: ContainerHandle): void {
    if (!isSameProcessAlive(handle.shimPid, handle.shimStartTime)) return;
    const process = new ContainerProcess(handle, Promise.resolve());
    process.signal('SIGKILL');
    signalGroup(handle.shimPid, 'SIGKILL');
  }

  /** How an instance whose shim is gone ended, from what its shim left behind. */
  static exitOf(runDir: string): ContainerExit {
    return readExit(runDir);
  }

  get done(): ContainerExit | undefined {
    return this.finished;
  }

  /** The container's process group (its pid): written by the preamble, found by parentage if not written yet. */
  pgid(): number | undefined {
    try {
      const pid = Number(readFileSync(join(this.handle.runDir, 'pid'), 'utf8').trim());
      if (pid > 0) return pid;
    } catch {
      // Not written yet: look for the shim's child.
    }
    return childOf(this.handle.shimPid);
  }

  signal(signal: NodeJS.Signals): void {
    const pgid = this.pgid();
    if (pgid !== undefined) signalGroup(pgid, signal);
  }

  /** SIGTERM to the whole group, SIGKILL after the grace period; resolves with how it ended. */
  async stop(graceSeconds: number): Promise<ContainerExit> {
    if (this.finished) return this.finished;
    this.signal('SIGTERM');
    const timedOut = await Promise.race([
      this.exited.then(() => false),
      sleep(Math.max(0, graceSeconds) * 1000).then(() => true),
    ]);
    if (timedOut) this.signal('SIGKILL');
    const ended = await Promise.race([this.exited, sleep(10_000).then(() => undefined)]);
    if (ended) return ended;
    // The shim itself hangs (it should not): kill it so the exit is observed.
    signalGroup(this.handle.shimPid, 'SIGKILL');
    return this.exited;
  }

  private readExit(): ContainerExit {
    return readExit(this.handle.runDir);
  }
}

function readExit(runDir: string): ContainerExit {
  const finishedAt = new Date();
  const startErrorFile = join(runDir, 'start-error');
  const startError = existsSync(startErrorFile) ? readFileSync(startErrorFile, 'utf8') : undefined;
  try {
    const exitFile = join(runDir, 'exit');
    const exitCode = Number(readFileSync(exitFile, 'utf8').trim());
    // The shim wrote the file as the container ended: its mtime is the true finish time, also after a restart.
    if (Number.isInteger(exitCode)) return { exitCode, startError, finishedAt: statSync(exitFile).mtime };
  } catch {
    // The shim was killed before it could write: the exit code is unknown.
  }
  return { exitCode: 137, startError, unknown: true, finishedAt };
}

function childOf(parent: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) return Number(entry);
    } catch {
      // Exited while we looked.
    }
  }
  return undefined;
}
