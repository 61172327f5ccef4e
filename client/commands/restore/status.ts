import type { Command } from 'commander';
import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import { workflowIds } from '../../../core/naming.js';
import type { EtcdRestoreProgress } from '../../../workflows/etcd-restore-api.js';
import type { etcdRestore } from '../../../workflows/index.js';
import { CliError, ExitCode } from '../../exit-codes.js';
import { humanAge, printFields, printJson, spanDuration, table, utc, wrap } from '../../output.js';
import { withTemporal } from '../../temporal.js';
import { formatFailure, restoreFailure, type RestoreFailure } from './failure.js';
import { queryProgress } from './progress.js';

/** The latest restore of a cluster; a cluster never restored is bad input (exit 2). Needs Temporal, not the config. */
export async function describeRestore(client: Client, cluster: string) {
  const id = workflowIds.etcdRestore(cluster);
  const handle = client.workflow.getHandle<typeof etcdRestore>(id);
  try {
    return { handle, description: await handle.describe() };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw new CliError(
        `No restore has run for cluster ${cluster} (no workflow ${id}). Start one with lifeboat restore etcd --cluster ${cluster}.`,
        ExitCode.BadInput,
      );
    }
    throw err;
  }
}

interface StatusOptions {
  output: string;
}

interface RestoreStatus {
  workflowId: string;
  description: WorkflowExecutionDescription;
  progress: EtcdRestoreProgress | undefined;
  failure: RestoreFailure | undefined;
}

async function restoreStatus(client: Client, cluster: string): Promise<RestoreStatus> {
  const { handle, description } = await describeRestore(client, cluster);
  let progress = await queryProgress(client, handle);
  let failure: RestoreFailure | undefined;
  if (description.status.name !== 'RUNNING') {
    try {
      const result = await handle.result();
      // No worker answered the query: the result carries the steps of a completed restore.
      progress ??= { cluster, backup: result.backup, phase: 'completed', steps: result.steps };
    } catch (err) {
      failure = restoreFailure(err);
    }
  }
  return { workflowId: handle.workflowId, description, progress, failure };
}

async function status(client: Client, cluster: string, opts: StatusOptions): Promise<number> {
  const restore = await restoreStatus(client, cluster);
  const { workflowId, description, progress, failure } = restore;
  const state = description.status.name;
  const code = state === 'RUNNING' || state === 'COMPLETED' ? ExitCode.Ok : ExitCode.Failed;
  if (opts.output === 'json') {
    printJson({
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

function printStatus({ workflowId, description, progress, failure }: RestoreStatus): void {
  const rows: [string, string][] = [
    ['workflow', `${workflowId} (run ${description.runId})`],
    ['status', description.status.name.toLowerCase()],
    [
      'started',
      `${utc(description.startTime.toISOString())} (${humanAge(description.startTime)} ago)` +
        (description.closeTime ? `, closed ${utc(description.closeTime.toISOString())}` : ''),
    ],
    ['backup', progress?.backup ?? '(not planned yet)'],
    ['phase', progress?.phase ?? '(unknown: no worker answered the progress query)'],
  ];
  if (progress?.approvedBy) rows.push(['approved by', progress.approvedBy]);
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
  if (progress?.waiting) console.log(`Waiting for ${progress.waiting.for}: ${progress.waiting.hint}`);
  if (failure) console.log(`Failed${formatFailure(failure)}`);
}

export function registerStatus(restore: Command): void {
  restore
    .command('status')
    .description('Show the latest restore of a cluster (running or ended): status, backup, phase, each step')
    .argument('<cluster>', 'the cluster, as named in the config')
    .option('-o, --output <format>', 'table or json', 'table')
    .addHelpText(
      'after',
      '\nExample:\n  lifeboat restore status demo\n\n' +
        'Exit codes: 0 completed or running, 1 failed/terminated/cancelled, 2 no restore ever ran for the cluster.',
    )
    .action(async (cluster: string, opts: StatusOptions) => {
      const code = await withTemporal(({ client }) => status(client, cluster, opts));
      if (code !== ExitCode.Ok) throw new CliError(`the last restore of ${cluster} did not complete.`, code);
    });
}
