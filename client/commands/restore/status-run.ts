import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { acmRestoreProgress, type AcmRestoreProgress } from '../../../workflows/acm-restore-api.js';
import type { EtcdRestoreProgress } from '../../../workflows/etcd-restore-api.js';
import type { acmRestore, etcdRestore, resourceRestore } from '../../../workflows/index.js';
import type { ResourceRestoreProgress } from '../../../workflows/resource-restore-api.js';
import { CliError, ExitCode } from '../../exit-codes.js';
import { humanAge, printFields, printJson, spanDuration, table, utc, wrap } from '../../output.js';
import { withTemporal } from '../../temporal.js';
import { formatFailure, restoreFailure, type RestoreFailure } from './failure.js';
import { findRestore, type WhenNoneRuns } from './find-restore.js';
import type { RestoreKind } from './kind.js';
import { queryProgress, queryResourceProgress } from './progress.js';
import { acmAutoImportTable, acmStatusFields, acmStepTable } from './acm-output.js';
import { resourceStatusFields } from './resource-output.js';

/**
 * The latest restore of a cluster of the kind asked for (or the running one of either kind); a cluster never restored
 * is bad input (exit 2). Needs Temporal, not the config.
 */
export async function describeRestore(
  client: Client,
  cluster: string,
  kind?: RestoreKind,
  whenNoneRuns: WhenNoneRuns = 'latest',
) {
  const found = await findRestore(client, cluster, kind, whenNoneRuns);
  return { ...found, handle: client.workflow.getHandle(found.workflowId) };
}

export interface StatusOptions {
  output: string;
  kind?: RestoreKind;
}

type RestoreStatus = {
  workflowId: string;
  description: WorkflowExecutionDescription;
  failure: RestoreFailure | undefined;
} & (
  | { kind: 'etcd'; progress: EtcdRestoreProgress | undefined }
  | { kind: 'resources'; progress: ResourceRestoreProgress | undefined }
  | { kind: 'acm'; progress: AcmRestoreProgress | undefined }
);

async function restoreStatus(client: Client, cluster: string, kind: RestoreKind | undefined): Promise<RestoreStatus> {
  const found = await describeRestore(client, cluster, kind);
  const { description, workflowId } = found;
  const closed = description.status.name !== 'RUNNING';
  let failure: RestoreFailure | undefined;
  if (found.kind === 'etcd') {
    const handle = client.workflow.getHandle<typeof etcdRestore>(workflowId);
    let progress = await queryProgress(client, handle);
    if (closed) {
      try {
        const result = await handle.result();
        // No worker answered the query: the result carries the steps of a completed restore.
        progress ??= { cluster, backup: result.backup, phase: 'completed', steps: result.steps };
      } catch (err) {
        failure = restoreFailure(err);
      }
    }
    return { kind: 'etcd', workflowId, description, progress, failure };
  }
  if (found.kind === 'acm') {
    const handle = client.workflow.getHandle<typeof acmRestore>(workflowId);
    let progress = await client
      .withDeadline(Date.now() + 5000, () => handle.query(acmRestoreProgress))
      .catch(() => undefined);
    if (closed) {
      try {
        progress ??= await handle.result();
      } catch (err) {
        failure = restoreFailure(err);
      }
    }
    return { kind: 'acm', workflowId, description, progress, failure };
  }
  const handle = client.workflow.getHandle<typeof resourceRestore>(workflowId);
  let progress = await queryResourceProgress(client, handle);
  if (closed) {
    try {
      const r = await handle.result();
      progress ??= {
        target: r.target,
        restore: r.restore,
        dryRun: r.dryRun,
        backup: r.backup,
        source: r.source,
        planned: r.plan.reduce((n, s) => n + s.items, 0),
        counts: r.counts,
        phase: 'completed',
        steps: [],
      };
    } catch (err) {
      failure = restoreFailure(err);
    }
  }
  return { kind: 'resources', workflowId, description, progress, failure };
}

async function status(client: Client, cluster: string, opts: StatusOptions): Promise<number> {
  const restore = await restoreStatus(client, cluster, opts.kind);
  const { workflowId, description, progress, failure } = restore;
  const state = description.status.name;
  const code = state === 'RUNNING' || state === 'COMPLETED' ? ExitCode.Ok : ExitCode.Failed;
  if (opts.output === 'json') {
    printJson({
      kind: restore.kind,
      workflowId,
      runId: description.runId,
      status: state.toLowerCase(),
      startTime: description.startTime.toISOString(),
      closeTime: description.closeTime?.toISOString(),
      progress,
      failure,
    });
    return code;
  }
  printStatus(restore);
  return code;
}

function printStatus(restore: RestoreStatus): void {
  const { workflowId, description, failure } = restore;
  const rows: [string, string][] = [
    ['kind', restore.kind],
    ['workflow', `${workflowId} (run ${description.runId})`],
    ['status', description.status.name.toLowerCase()],
    [
      'started',
      `${utc(description.startTime.toISOString())} (${humanAge(description.startTime)} ago)` +
        (description.closeTime ? `, closed ${utc(description.closeTime.toISOString())}` : ''),
    ],
  ];
  const progress = restore.progress;
  if (restore.kind === 'resources') rows.push(...resourceStatusFields(restore.progress));
  else if (restore.kind === 'acm') rows.push(...acmStatusFields(restore.progress));
  else {
    const etcd = restore.progress;
    rows.push(
      ['backup', etcd?.backup ?? '(not planned yet)'],
      ['phase', etcd?.phase ?? '(unknown: no worker answered the progress query)'],
    );
    if (etcd?.approvedBy) rows.push(['approved by', etcd.approvedBy]);
  }
  printFields(rows);
  if (progress && progress.steps.length > 0) {
    console.log(
      table(
        ['#', 'step', 'state', 'started', 'duration', 'error'],
        progress.steps.map((s, i) => [
          i + 1,
          `${s.kind}${s.kind === 'delete-volumes' ? ' (point of no return)' : ''}`,
          s.state,
          utc(s.startedAt),
          spanDuration(s),
          wrap(s.error ?? '', 60),
        ]),
      ),
    );
  }
  if (restore.kind === 'acm' && restore.progress) {
    for (const part of [acmStepTable(restore.progress), acmAutoImportTable(restore.progress)])
      if (part) console.log(part);
  }
  if (progress?.waiting) console.log(`Waiting for ${progress.waiting.for}: ${progress.waiting.hint}`);
  if (failure) console.log(`Failed${formatFailure(failure)}`);
}

/** `lifeboat restore status` (status.ts registers it). */
export async function runStatus(cluster: string, opts: StatusOptions): Promise<void> {
  const code = await withTemporal(({ client }) => status(client, cluster, opts));
  if (code !== ExitCode.Ok) throw new CliError(`the last restore of ${cluster} did not complete.`, code);
}
