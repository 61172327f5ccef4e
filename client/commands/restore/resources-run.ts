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

export interface ResourcesOptions extends ResourcesFlags {
  follow?: boolean;
  by?: string;
}

/** Failures that mean the request was wrong, not that the restore broke: exit 2, as the local checks do. */
const badInputTypes: string[] = [
  FailureTypes.InvalidRestoreRequest,
  FailureTypes.BackupNotFound,
  FailureTypes.InvalidConfig,
];

/** `lifeboat restore resources` (resources.ts registers it). */
export async function runResourceRestore(opts: ResourcesOptions): Promise<void> {
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
