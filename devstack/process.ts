import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, openSync, readFileSync } from 'node:fs';

export interface ProcessSpec {
  /** Short name used in messages ("temporal", "etcd-1"). */
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  logFile: string;
  /** Resolves true once the server answers; polled until startTimeoutMs. */
  ready: () => Promise<boolean>;
  startTimeoutMs?: number;
  /** How long SIGTERM may take before SIGKILL. */
  stopGraceMs?: number;
}

export class ServerStartError extends Error {
  override name = 'ServerStartError';
}

export function lastLogLines(logFile: string, count = 20): string {
  try {
    return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-count).join('\n');
  } catch {
    return '(no log output)';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A child process whose output goes to a log file, with a readiness wait and a graceful stop. */
export class ManagedProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> | undefined;
  private exitCode: number | null | undefined;

  constructor(readonly spec: ProcessSpec) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process; after it exited (or was killed) the same instance can start it again. */
  async start(): Promise<void> {
    const { spec } = this;
    this.exitCode = undefined;
    const log = openSync(spec.logFile, 'a');
    try {
      this.child = spawn(spec.command, spec.args, {
        cwd: spec.cwd,
        env: { ...process.env, ...spec.env },
        stdio: ['ignore', log, log],
      });
    } finally {
      closeSync(log);
    }
    const child = this.child;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? -1 : null);
        resolve(this.exitCode);
      });
      child.once('error', (err) => {
        this.exitCode = -1;
        appendFileSync(spec.logFile, `spawn failed: ${err.message}\n`);
        resolve(-1);
      });
    });
    const deadline = Date.now() + (spec.startTimeoutMs ?? 60_000);
    while (Date.now() < deadline) {
      const exitCode = this.currentExitCode();
      if (exitCode !== undefined) {
        throw new ServerStartError(
          `${spec.name} exited (code ${exitCode}) while starting. Last log lines (${spec.logFile}):\n${lastLogLines(spec.logFile)}`,
        );
      }
      if (await spec.ready().catch(() => false)) return;
      await sleep(200);
    }
    await this.stop();
    throw new ServerStartError(
      `${spec.name} did not become ready within ${Math.round((spec.startTimeoutMs ?? 60_000) / 1000)}s. ` +
        `Last log lines (${spec.logFile}):\n${lastLogLines(spec.logFile)}`,
    );
  }

  /** Read through a method: the exit handler sets it asynchronously, which control-flow narrowing cannot see. */
  private currentExitCode(): number | null | undefined {
    return this.exitCode;
  }

  get running(): boolean {
    return this.child !== undefined && this.exitCode === undefined;
  }

  /** SIGTERM, then SIGKILL after the grace period. Safe to call twice. */
  async stop(): Promise<void> {
    if (!this.child || !this.exited || this.exitCode !== undefined) return;
    this.child.kill('SIGTERM');
    const grace = this.spec.stopGraceMs ?? 10_000;
    const timedOut = await Promise.race([this.exited.then(() => false), sleep(grace).then(() => true)]);
    if (timedOut) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }

  /** For fault tests: kill without a chance to clean up. */
  async kill(): Promise<void> {
    if (!this.child || !this.exited || this.exitCode !== undefined) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}
