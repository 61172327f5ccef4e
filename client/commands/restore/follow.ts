import type { Client, WorkflowHandle } from '@temporalio/client';
import type { RunbookProgress } from '../../../core/runbook.js';
import type { EtcdRestoreResult } from '../../../workflows/etcd-restore-api.js';
import type { etcdRestore } from '../../../workflows/index.js';
import { CliError } from '../../exit-codes.js';
import { humanDuration, spanDuration } from '../../output.js';
import { formatFailure, restoreFailure } from './failure.js';
import { queryProgress } from './progress.js';

const ended = new Set(['done', 'failed', 'rolled-back']);

/** What both kinds of restore report: the runbook's steps and phase, and the backup once planned. */
export type FollowedProgress = RunbookProgress & { backup?: string };

/**
 * Prints what changed since the last progress it saw, one line per transition: script-friendly (no cursor tricks),
 * and the same on a terminal and in a log. `subject` names what is restored (the cluster, the target).
 */
export function progressPrinter(write: (line: string) => void, subject: string) {
  const t0 = Date.now();
  const states = new Map<string, string>();
  let waiting: string | undefined;
  let phase: string | undefined;
  let backup: string | undefined;
  const stamp = () => `${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s`;
  const print = (p: FollowedProgress) => {
    if (p.backup && p.backup !== backup) {
      backup = p.backup;
      write(`${stamp()}  restoring ${subject} from ${p.backup} (${p.steps.length} steps)`);
    }
    for (const s of p.steps) {
      if (states.get(s.kind) === s.state) continue;
      states.set(s.kind, s.state);
      if (s.state === 'pending') continue;
      const detail = ended.has(s.state) ? ` (${spanDuration(s)})` : '';
      const error = s.state === 'failed' && s.error ? `: ${s.error}` : '';
      write(`${stamp()}  ${s.kind.padEnd(22)} ${s.state}${detail}${error}`);
    }
    if (p.phase !== phase) {
      phase = p.phase;
      if (['rolling-back', 'rolled-back', 'aborted'].includes(p.phase)) write(`${stamp()}  ${p.phase}`);
    }
    const now = p.waiting ? `waiting for ${p.waiting.for}: ${p.waiting.hint}` : undefined;
    if (now && now !== waiting) write(`${stamp()}  ${now}`);
    waiting = now;
  };
  return Object.assign(print, { stamp });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export type Outcome<R> = { ok: true; result: R } | { ok: false; error: unknown };

/**
 * Polls `query` every second until the workflow ends, handing each answer to `print`; answers how it ended and
 * whether the last query was answered (no worker may be left to answer it).
 */
export async function watch<R, P>(
  handle: { result(): Promise<R> },
  query: () => Promise<P | undefined>,
  print: (p: P) => void,
): Promise<{ end: Outcome<R>; last: P | undefined }> {
  let closed = false;
  const outcome: Promise<Outcome<R>> = handle.result().then(
    (result) => ({ ok: true as const, result }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  void outcome.finally(() => (closed = true));
  while (!closed) {
    const progress = await query();
    if (progress) print(progress);
    await Promise.race([sleep(1000), outcome]);
  }
  const last = await query();
  if (last) print(last);
  return { end: await outcome, last };
}

/**
 * Follows an etcd restore until it ends; exit code 0 only for a completed restore. Progress goes to stderr, the
 * outcome to stdout.
 */
export async function follow(
  client: Client,
  handle: WorkflowHandle<typeof etcdRestore>,
  cluster: string,
): Promise<void> {
  console.error(
    `following (Ctrl-C stops following, not the restore; see it again with: lifeboat restore status ${cluster})`,
  );
  const print = progressPrinter((line) => console.error(line), cluster);
  const started = Date.now();
  const { end, last } = await watch(handle, () => queryProgress(client, handle), print);
  if (!end.ok) throw new CliError(`restore of ${cluster} failed${formatFailure(restoreFailure(end.error))}`);
  const r: EtcdRestoreResult = end.result;
  if (!last) for (const s of r.steps) console.error(`  ${s.kind.padEnd(22)} ${s.state} (${spanDuration(s)})`);
  console.log(
    `restore of ${r.cluster} completed in ${humanDuration(Date.now() - started)}: backup ${r.backup}, etcd revision ${r.revision}, ` +
      `members ${r.members.join(', ')}`,
  );
}
