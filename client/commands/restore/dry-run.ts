import { ApplicationFailure, type Client } from '@temporalio/client';
import type { RestoreInspection } from '../../../activities/etcd-restore-inspect.js';
import type { LifeboatConfig } from '../../../core/config/schema.js';
import { FailureTypes } from '../../../core/failure-types.js';
import { workflowIds } from '../../../core/naming.js';
import { planFromInspection, plannedBump, type RestoreStep } from '../../../core/restore-plan.js';
import type { EtcdRestoreRequest } from '../../../workflows/etcd-restore-api.js';
import { CliError, ExitCode } from '../../exit-codes.js';
import { humanBytes, printFields, table, wrap } from '../../output.js';

/** What the command line said, to print the command that runs the plan for real. */
export interface RerunOptions {
  from?: string;
  location?: string;
  requireApproval: boolean;
  file: string;
}

/** --dry-run: the workflow's own first step, run here, and the plan it would follow. Changes nothing. */
export async function dryRun(
  client: Client,
  config: LifeboatConfig,
  request: EtcdRestoreRequest,
  opts: RerunOptions,
): Promise<void> {
  console.error(`inspecting the backups, etcd and control plane of ${request.cluster}…`);
  const inspection = await inspect(config, request, client);
  printPlan(config, request, inspection, rerunCommand(request, opts));
  const workflowId = workflowIds.etcdRestore(request.cluster);
  const running = await client.workflow
    .getHandle(workflowId)
    .describe()
    .catch(() => undefined);
  if (running?.status.name === 'RUNNING') {
    console.log(
      `Note: a restore of ${request.cluster} is running now (workflow ${workflowId}); another would be refused.`,
    );
  }
}

function rerunCommand(request: EtcdRestoreRequest, opts: RerunOptions): string {
  return [
    `lifeboat restore etcd --cluster ${request.cluster}`,
    opts.from
      ? `--from ${opts.from}${opts.location ? ` --location ${opts.location}` : ''}`
      : `--backup ${request.backup}`,
    ...(opts.requireApproval ? ['--require-approval'] : []),
    `-f ${opts.file}`,
  ].join(' ');
}

const badInputTypes: string[] = [
  FailureTypes.InvalidConfig,
  FailureTypes.MissingCredentials,
  FailureTypes.BackupNotFound,
  FailureTypes.BucketNotFound,
];

async function inspect(config: LifeboatConfig, request: EtcdRestoreRequest, client: Client) {
  // Loaded on demand: the Kubernetes and etcd clients are only needed here. The worker's own dependencies, read from
  // this shell's environment, with the CLI's Temporal client.
  const [{ createRestoreInspectActivities }, { productionDeps }] = await Promise.all([
    import('../../../activities/etcd-restore-inspect.js'),
    import('../../../activities/index.js'),
  ]);
  const deps = { ...productionDeps(config), temporalClient: () => client };
  try {
    return await createRestoreInspectActivities(deps).inspectRestore(request);
  } catch (err) {
    if (err instanceof ApplicationFailure) {
      const hint =
        err.type === FailureTypes.MissingCredentials
          ? ' (--dry-run reads the bucket itself: set them in this shell too)'
          : '';
      throw new CliError(
        `${err.message}${hint}`,
        badInputTypes.includes(err.type ?? '') ? ExitCode.BadInput : ExitCode.Failed,
      );
    }
    throw new CliError(`cannot inspect ${request.cluster}: ${(err as Error).message}`);
  }
}

/** The same plan the workflow makes from the same inspection (workflows/etcd-restore.ts, its planning step). */
function printPlan(
  config: LifeboatConfig,
  request: EtcdRestoreRequest,
  inspection: RestoreInspection,
  rerun: string,
): void {
  const steps = planFromInspection(request.cluster, inspection, Boolean(request.requireApproval));
  console.log(`Restore plan for cluster ${request.cluster} (dry run: nothing was changed)`);
  printFields(planFields(config, request, inspection, steps));
  console.log(stepTable(steps));
  const cut = steps.findIndex((s) => s.pointOfNoReturn);
  if (cut >= 0) {
    console.log(
      wrap(
        `Steps 1-${cut} can be undone: if one fails, everything paused so far is resumed and etcd keeps its data. ` +
          `From step ${cut + 1} on the old data is gone: a step that keeps failing waits for ` +
          `lifeboat restore retry|abort ${request.cluster}.`,
        110,
      ),
    );
  }
  console.log(`Run it: ${rerun} --follow`);
}

/** Backup, revision, members and approval: what the restore will read and what it will change. */
function planFields(
  config: LifeboatConfig,
  request: EtcdRestoreRequest,
  inspection: RestoreInspection,
  steps: RestoreStep[],
): [string, string][] {
  const { source, layout } = inspection;
  const bucket = config.storageLocations.find((l) => l.name === source.location)?.bucket ?? '?';
  const encoding = [source.compression !== 'none' ? source.compression : '', source.encrypted ? 'age-encrypted' : '']
    .filter(Boolean)
    .join(', ');
  const approval = steps.some((s) => s.kind === 'approval');
  return [
    [
      'backup',
      `${source.backup}${source.foreign ? ' (a snapshot Lifeboat did not make)' : ''}\n` +
        `s3://${bucket}/${source.key} (location ${source.location}, ${humanBytes(source.bytes)}${encoding ? `, ${encoding}` : ''})`,
    ],
    ['revision', revisionLine(inspection)],
    [
      'members',
      `${layout.members.map((m) => `${m.name}  ${m.peerUrl}`).join('\n')}\n(StatefulSet ${layout.namespace}/${layout.statefulSet})`,
    ],
    ['approval', approval ? `required: waits for lifeboat restore approve ${request.cluster}` : 'not required'],
  ];
}

/** The snapshot's revision and the one etcd will have after the restore (bumped above the live one, or not). */
function revisionLine(inspection: RestoreInspection): string {
  const { source, settings, liveRevision } = inspection;
  if (!source.revision) return 'unknown until etcdutl reads the snapshot (not a Lifeboat backup)';
  if (!settings.bumpRevision) return `${source.revision} (no bump: restore.bumpRevision is false)`;
  const bump = plannedBump(inspection);
  return (
    `${source.revision}, restored at ${BigInt(source.revision) + bump} (bumped by ${bump}; live revision ` +
    `${liveRevision ?? 'unknown: no member answered'})`
  );
}

function stepTable(steps: RestoreStep[]): string {
  const cut = steps.findIndex((s) => s.pointOfNoReturn);
  return table(
    ['#', 'step', 'touches', 'on failure'],
    steps.map((s, i) => [
      i + 1,
      `${s.kind}\n${wrap(s.title, 48)}`,
      s.touches.join('\n') || '-',
      i === cut
        ? 'POINT OF NO RETURN:\nwaits for an operator'
        : s.pointOfNoReturn
          ? 'waits for an operator'
          : 'rolls back',
    ]),
  );
}
