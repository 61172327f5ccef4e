import type { Client, WorkflowHandle } from '@temporalio/client';
import type { EtcdRestoreProgress, EtcdRestoreResult } from '../../../workflows/etcd-restore-api.js';
import type { etcdRestore } from '../../../workflows/index.js';
import { CliError } from '../../exit-codes.js';
import { humanDuration, spanDuration } from '../../output.js';
import { formatFailure, restoreFailure } from './failure.js';
import { queryProgress } from './progress.js';

const ended = new Set(['done', 'failed', 'rolled-back']);

/**
 * Prints what changed since the last progress it saw, one line per transition: script-friendly (no cursor tricks),
 * and the same on a terminal and in a log.
 */
function progressPrinter(write: (line: string) => void) {
  const t0 = Date.now();
  const states = new Map<string, string>();
  let waiting: string | undefined;
  let phase: string | undefined;
  let backup: string | undefined;
  const stamp = () => `${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s`;
  return (p: EtcdRestoreProgress) => {
    if (p.backup && p.backup !== backup) {
      backup = p.backup;
      write(`${stamp()}  restoring ${p.cluster} from ${p.backup} (${p.steps.length} steps)`);
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
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls the progress query every second until the restore ends; exit code 0 only for a completed restore. Progress
 * goes to stderr, the outcome to stdout.
 */
export async function follow(
  client: Client,
  handle: WorkflowHandle<typeof etcdRestore>,
  cluster: string,
): Promise<void> {
  console.error(
    `following (Ctrl-C stops following, not the restore; see it again with: lifeboat restore status ${cluster})`,
  );
  const print = progressPrinter((line) => console.error(line));
  const started = Date.now();
  let closed = false;
  const outcome = handle.result().then(
    (result) => ({ ok: true as const, result }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  void outcome.finally(() => (closed = true));
  while (!closed) {
    const progress = await queryProgress(client, handle);
    if (progress) print(progress);
    await Promise.race([sleep(1000), outcome]);
  }
  const last = await queryProgress(client, handle);
  if (last) print(last);
  const end = await outcome;
  if (!end.ok) throw new CliError(`restore of ${cluster} failed${formatFailure(restoreFailure(end.error))}`);
  const r: EtcdRestoreResult = end.result;
  if (!last) for (const s of r.steps) console.error(`  ${s.kind.padEnd(22)} ${s.state} (${spanDuration(s)})`);
  console.log(
    `restore of ${r.cluster} completed in ${humanDuration(Date.now() - started)}: backup ${r.backup}, etcd revision ${r.revision}, ` +
      `members ${r.members.join(', ')}`,
  );
}
