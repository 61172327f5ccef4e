import type { Command } from 'commander';
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { FailureTypes } from '../../../core/failure-types.js';
import { restoreName, workflowIds } from '../../../core/naming.js';
import type { ResourceRestoreRequest } from '../../../core/resources/restore-run.js';
import { LifeboatCluster, LifeboatKind, LifeboatKinds } from '../../../core/search-attributes.js';
import { loadConfigFile } from '../../../runtime/config-file.js';
import type { TemporalSettings } from '../../../runtime/temporal-connection.js';
import type { resourceRestore } from '../../../workflows/index.js';
import { workflowRunning } from './running.js';
import { CliError, ExitCode } from '../../exit-codes.js';
import { humanDuration } from '../../output.js';
import { withTemporal } from '../../temporal.js';
import { formatFailure, restoreFailure } from './failure.js';
import { progressPrinter, watch } from './follow.js';
import { queryResourceProgress } from './progress.js';
import { osUser } from './requester.js';
import { countsText, currentText, resultReport } from './resource-output.js';
import { resourceRestoreRequest, type ResourcesFlags } from './resource-request.js';

interface ResourcesOptions extends ResourcesFlags {
  follow?: boolean;
  by?: string;
}

/** Failures that mean the request was wrong, not that the restore broke: exit 2, as the local checks do. */
const badInputTypes: string[] = [
  FailureTypes.InvalidRestoreRequest,
  FailureTypes.BackupNotFound,
  FailureTypes.InvalidConfig,
];

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `lifeboat restore resources`: starts the resourceRestore workflow (or its dry run) and, asked to, follows it. */
export function registerResources(restore: Command): void {
  restore
    .command('resources')
    .description(
      'Restore Kubernetes objects from a resource backup into a cluster (the resourceRestore workflow: plan, preflight, restore by priority)',
    )
    .requiredOption('-c, --cluster <name>', 'the target cluster, as named in the config')
    .option('-b, --backup <name>', '"latest" (newest complete resource backup) or a backup name')
    .option('--from-cluster <name>', "restore another cluster's backup into the target (migration)")
    .option('--policy <name>', 'with --backup latest: the newest backup of this resource-backup policy only')
    .option('--include-namespaces <list>', 'namespace globs to restore, comma-separated (default: all)')
    .option('--exclude-namespaces <list>', 'namespace globs to leave out')
    .option('--include-resources <list>', 'resources to restore (kubectl names: configmaps, deployments.apps)')
    .option('--exclude-resources <list>', 'resources to leave out')
    .option('--selector <selector>', 'restore only objects whose labels match (Kubernetes selector syntax)')
    .option(
      '--or-selector <selector>',
      'objects matching any of these selectors (repeatable; not with --selector)',
      collect,
    )
    .option(
      '--include-cluster-resources <bool>',
      'true or false (default: the cluster-scoped objects restored ones need)',
    )
    .option('--namespace-mapping <old:new,...>', 'restore namespace old into new')
    .option('--existing-resource-policy <policy>', 'none (leave existing objects) or update (patch them)', 'none')
    .option('--restore-status <list>', 'resources whose saved status is written back ("*" for all)')
    .option('--preserve-node-ports', "keep Services' node ports as backed up", false)
    .option('--dry-run', 'plan and compare against the live target, write nothing, print what would happen', false)
    .option('--require-approval', 'wait for `lifeboat restore approve` before writing anything', false)
    .option('--follow', 'print progress until the restore ends, then its results (always on with --dry-run)', false)
    .option('--velero-location <name>', 'a backup stock Velero wrote: the storage location of its bucket')
    .option('--velero-prefix <prefix>', "with --velero-location: the BackupStorageLocation's prefix (default: none)")
    .option('--by <name>', 'who asks, recorded in the workflow (default: $USER)')
    .requiredOption('-f, --file <path>', 'the config file', process.env.LIFEBOAT_CONFIG)
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  lifeboat restore resources --cluster demo --backup latest --dry-run\n' +
        '  lifeboat restore resources --cluster demo --backup latest --include-namespaces shop --follow\n' +
        '  lifeboat restore resources --cluster new-hub --from-cluster hub --backup latest --namespace-mapping shop:shop-copy\n' +
        '\nWith --follow, progress goes to stderr and the results to stdout. Follow a restore started without it:\n' +
        '  lifeboat restore status CLUSTER --kind resources\n' +
        `\nExit codes: ${ExitCode.Ok} completed; ${ExitCode.CompletedWithErrors} completed with errors (the failed items are ` +
        `listed with their reasons); ${ExitCode.Failed} the restore failed or is already running; ${ExitCode.BadInput} bad ` +
        'input (a flag, an unknown cluster, location or backup, a mapping or filter that does not fit the backup): ' +
        'nothing was written.',
    )
    .action(async (opts: ResourcesOptions) => {
      const config = loadConfigFile(opts.file);
      const request = resourceRestoreRequest(config, opts, new Date(), opts.by ?? osUser());
      await withTemporal(async ({ client, settings }) => {
        await refuseWhileEtcdRestoreRuns(client, request.target);
        const handle = await start(client, settings, request);
        if (!opts.follow && !request.dryRun) {
          console.log(`follow it with: lifeboat restore status ${request.target} --kind resources`);
          return;
        }
        await followResources(client, handle, request.target);
      });
    });
}

/** The workflow refuses too (activities/restore-exclusion.ts); asking first saves starting a run only to fail it. */
async function refuseWhileEtcdRestoreRuns(client: Client, target: string): Promise<void> {
  const id = workflowIds.etcdRestore(target);
  if (await workflowRunning(client, id)) {
    throw new CliError(
      `An etcd restore of ${target} is running (workflow ${id}): it replaces the store a resource restore writes ` +
        `into. Restore the resources once it has ended (lifeboat restore status ${target} --kind etcd).`,
    );
  }
}

/** A restore's workflow id: the target's (one at a time), or the dry run's own (it takes no lock). */
export function resourceRestoreWorkflowId(request: ResourceRestoreRequest): string {
  return request.dryRun
    ? workflowIds.resourceRestoreDryRun(request.target, restoreName(request.target, new Date(request.requestedAt)))
    : workflowIds.resourceRestore(request.target);
}

async function start(
  client: Client,
  settings: TemporalSettings,
  request: ResourceRestoreRequest,
): Promise<WorkflowHandle<typeof resourceRestore>> {
  const workflowId = resourceRestoreWorkflowId(request);
  const what = request.velero
    ? `Velero backup ${request.backup} (${request.velero.location}:${request.velero.prefix || '/'})`
    : `backup ${request.backup}${request.fromCluster ? ` of ${request.fromCluster}` : ''}`;
  let handle: WorkflowHandle<typeof resourceRestore>;
  try {
    handle = await client.workflow.start<typeof resourceRestore>('resourceRestore', {
      args: [request],
      taskQueue: settings.taskQueue,
      workflowId,
      workflowIdConflictPolicy: 'FAIL',
      typedSearchAttributes: [
        { key: LifeboatCluster, value: request.target },
        { key: LifeboatKind, value: LifeboatKinds.resourceRestore },
      ],
      staticSummary: `${request.dryRun ? 'dry run of a ' : ''}resource restore of ${request.target} from ${what}, requested by ${request.requestedBy}`,
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new CliError(
        `A resource restore of ${request.target} is already running (workflow ${workflowId}); only one runs at a ` +
          `time per cluster. See it with lifeboat restore status ${request.target} --kind resources.`,
      );
    }
    throw err;
  }
  console.log(
    `started the ${request.dryRun ? 'dry run of the ' : ''}resource restore of ${request.target} from ${what} (workflow ${workflowId})`,
  );
  return handle;
}

/** Progress to stderr (step transitions, and a line when another resource starts); the results to stdout. */
async function followResources(
  client: Client,
  handle: WorkflowHandle<typeof resourceRestore>,
  target: string,
): Promise<void> {
  console.error(
    `following (Ctrl-C stops following, not the restore; see it again with: lifeboat restore status ${target} --kind resources)`,
  );
  const write = (line: string) => console.error(line);
  const steps = progressPrinter(write, target);
  let current: string | undefined;
  const started = Date.now();
  const { end } = await watch(
    handle,
    () => queryResourceProgress(client, handle),
    (p) => {
      steps(p);
      const now = p.current?.groupResource;
      if (now && now !== current) write(`${steps.stamp()}  ${currentText(p)}: ${countsText(p.counts)}`);
      current = now;
    },
  );
  if (!end.ok) {
    const failure = restoreFailure(end.error);
    if (failure.type && badInputTypes.includes(failure.type))
      throw new CliError(`restore of ${target} refused: ${failure.message}`, ExitCode.BadInput);
    throw new CliError(`restore of ${target} failed${formatFailure(failure)}`);
  }
  const result = end.result;
  console.log(resultReport(result, humanDuration(Date.now() - started)));
  if (result.outcome === 'CompletedWithErrors')
    throw new CliError(
      `${result.dryRun ? 'dry run' : 'restore'} of ${target}: ${result.counts.failed} items ${result.dryRun ? 'would fail' : 'failed'} (listed above).`,
      ExitCode.CompletedWithErrors,
    );
}
