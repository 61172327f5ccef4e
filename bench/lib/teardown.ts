import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
/**
 * Everything a benchmark started, undone in reverse order exactly once: after the run, after a failure, and on
 * Ctrl-C or SIGTERM. What must not outlive the process even when the orderly teardown cannot run (a second Ctrl-C,
 * a crash) goes into `atExit`: synchronous last resorts run from the process's exit hook.
 */
export class Teardown {
  private readonly steps: { what: string; undo: () => Promise<unknown> }[] = [];
  private readonly lastResorts: (() => void)[] = [];
  private running: Promise<void> | undefined;

  constructor(private readonly say: (line: string) => void) {
    process.once('exit', () => {
      for (const lastResort of this.lastResorts.reverse()) {
        try {
          lastResort();
        } catch {
          // the process is ending: nothing left to report to
        }
      }
    });
  }

  add(what: string, undo: () => unknown): void {
    this.steps.push({ what, undo: () => Promise.resolve().then(undo) });
  }

  atExit(lastResort: () => void): void {
    this.lastResorts.push(lastResort);
  }

  /** Runs every undo step, newest first; a failing step is reported and the rest still run. */
  run(): Promise<void> {
    this.running ??= (async () => {
      for (const { what, undo } of this.steps.reverse()) {
        try {
          await undo();
        } catch (err) {
          this.say(`cleanup: ${what} failed: ${(err as Error).message}`);
        }
      }
    })();
    return this.running;
  }

  /** Ctrl-C or SIGTERM: tear down, then exit; a second signal exits at once (the exit hook still kills). */
  trapSignals(): void {
    let caught = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (caught) process.exit(130);
      caught = true;
      this.say(`\n${signal}: cleaning up (again to force)...`);
      void this.run().then(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
}

/**
 * A benchmark's whole run: a temp dir (removed at the end unless `keep`), a Teardown that also runs on SIGINT/SIGTERM,
 * and `run` between them.
 */
export async function inBenchDir(
  prefix: string,
  keep: boolean,
  say: (line: string) => void,
  run: (dir: string, teardown: Teardown) => Promise<void>,
): Promise<void> {
  const teardown = new Teardown(say);
  teardown.trapSignals();
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (!keep) teardown.add('temp dir', () => rmSync(dir, { recursive: true, force: true }));
  try {
    await run(dir, teardown);
  } finally {
    await teardown.run();
    if (keep) say(`kept ${dir}`);
  }
}
