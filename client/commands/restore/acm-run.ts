import { readFileSync } from 'node:fs';
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { parse as parseYaml } from 'yaml';
import { acmRestoreFields, type AcmRestoreManifestFields } from '../../../core/acm/restore-manifest.js';
import type { AcmRestoreInput } from '../../../core/acm/restore-run.js';
import { FailureTypes } from '../../../core/failure-types.js';
import { workflowIds } from '../../../core/naming.js';
import { LifeboatCluster, LifeboatKind, LifeboatKinds } from '../../../core/search-attributes.js';
import { loadConfigFile } from '../../../runtime/config-file.js';
import type { TemporalSettings } from '../../../runtime/temporal-connection.js';
import { acmRestoreProgress, type AcmRestoreProgress } from '../../../workflows/acm-restore-api.js';
import type { acmRestore } from '../../../workflows/index.js';
import { CliError, ExitCode } from '../../exit-codes.js';
import { humanDuration } from '../../output.js';
import { withTemporal } from '../../temporal.js';
import { acmFailedCount, acmPlanLines, acmResultReport } from './acm-output.js';
import { acmRestoreInput, type AcmFlags } from './acm-request.js';
import { formatFailure, restoreFailure } from './failure.js';
import { progressPrinter, watch } from './follow.js';
import { osUser } from './requester.js';
import { bad } from './resource-request.js';
import { workflowRunning } from './running.js';

export interface AcmOptions extends AcmFlags {
  follow?: boolean;
  by?: string;
}

/** Refusals of the request (a name that is not a backup of its type, the old hub alive): exit 2, nothing written. */
const badInputTypes: string[] = [
  FailureTypes.InvalidRestoreRequest,
  FailureTypes.BackupNotFound,
  FailureTypes.InvalidConfig,
  FailureTypes.OldHubAlive,
];

/** ACM's own Restore manifest, -f: its request, or exit 2 with every problem and its fix. */
function readRestoreManifest(path: string): AcmRestoreManifestFields {
  let document: unknown;
  try {
    document = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw bad(`-f ${path}: cannot read it as YAML (${(err as Error).message}); pass ACM's Restore manifest`);
  }
  const result = acmRestoreFields(document, path);
  if (!result.ok) throw bad(result.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  return result.fields;
}

/** `lifeboat restore acm` (acm.ts registers it). */
export async function runAcmRestore(opts: Partial<AcmOptions>): Promise<void> {
  if (!opts.cluster) throw bad('--cluster: name the hub to restore onto, as named in the config (-c HUB)');
  if (!opts.config) throw bad('--config: name the Lifeboat config file (or set LIFEBOAT_CONFIG)');
  const flags = opts as AcmOptions;
  const config = loadConfigFile(flags.config);
  const manifest = flags.restoreFile ? readRestoreManifest(flags.restoreFile) : undefined;
  const input = acmRestoreInput(config, flags, manifest, new Date(), flags.by ?? osUser());
  await withTemporal(async ({ client, settings }) => {
    await refuseWhileOtherRestoreRuns(client, input.hub);
    const handle = await start(client, settings, input);
    if (!flags.follow) {
      console.log(`follow it with: lifeboat restore status ${input.hub} --kind acm`);
      return;
    }
    await followAcm(handle, input.hub);
  });
}

/** The workflow refuses too (activities/restore-exclusion.ts); asking first saves starting a run only to fail it. */
async function refuseWhileOtherRestoreRuns(client: Client, hub: string): Promise<void> {
  for (const [id, kind] of [
    [workflowIds.etcdRestore(hub), 'etcd'],
    [workflowIds.resourceRestore(hub), 'resources'],
  ] as const) {
    if (await workflowRunning(client, id))
      throw new CliError(
        `A ${kind === 'etcd' ? 'etcd' : 'resource'} restore of ${hub} is running (workflow ${id}); restore the hub ` +
          `once it has ended (lifeboat restore status ${hub} --kind ${kind}).`,
      );
  }
}

async function start(
  client: Client,
  settings: TemporalSettings,
  input: AcmRestoreInput,
): Promise<WorkflowHandle<typeof acmRestore>> {
  const workflowId = workflowIds.acmRestore(input.hub);
  const from = input.fromCluster !== input.hub ? ` from the backups of ${input.fromCluster}` : '';
  let handle: WorkflowHandle<typeof acmRestore>;
  try {
    handle = await client.workflow.start<typeof acmRestore>('acmRestore', {
      args: [input],
      taskQueue: settings.taskQueue,
      workflowId,
      workflowIdConflictPolicy: 'FAIL',
      typedSearchAttributes: [
        { key: LifeboatCluster, value: input.hub },
        { key: LifeboatKind, value: LifeboatKinds.acmRestore },
      ],
      staticSummary:
        `ACM hub restore of ${input.hub}${from}: credentials ${input.request.credentials}, resources ` +
        `${input.request.resources}, managed clusters ${input.request.managedClusters}, requested by ${input.requestedBy}`,
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError)
      throw new CliError(
        `An ACM hub restore of ${input.hub} is already running (workflow ${workflowId}). See it with ` +
          `lifeboat restore status ${input.hub} --kind acm.`,
      );
    throw err;
  }
  console.log(`started the ACM hub restore of ${input.hub}${from} (workflow ${workflowId})`);
  return handle;
}

function queryAcmProgress(handle: WorkflowHandle): Promise<AcmRestoreProgress | undefined> {
  return handle.query(acmRestoreProgress).catch(() => undefined);
}

/** Progress to stderr (step transitions, the plan once resolved); the report to stdout. */
export async function followAcm(handle: WorkflowHandle<typeof acmRestore>, hub: string): Promise<void> {
  console.error(
    `following (Ctrl-C stops following, not the restore; see it again with: lifeboat restore status ${hub} --kind acm)`,
  );
  const write = (line: string) => console.error(line);
  const steps = progressPrinter(write, hub);
  let planned = false;
  const started = Date.now();
  const { end } = await watch(
    handle,
    () => queryAcmProgress(handle),
    (p) => {
      if (p.plan && !planned) {
        planned = true;
        for (const line of acmPlanLines(p)) write(`${steps.stamp()}  ${line}`);
      }
      steps(p);
    },
  );
  if (!end.ok) {
    const failure = restoreFailure(end.error);
    if (failure.type && badInputTypes.includes(failure.type))
      throw new CliError(`ACM hub restore of ${hub} refused: ${failure.message}`, ExitCode.BadInput);
    throw new CliError(`ACM hub restore of ${hub} failed${formatFailure(failure)}`);
  }
  console.log(acmResultReport(end.result, humanDuration(Date.now() - started)));
  const failed = acmFailedCount(end.result);
  if (failed > 0)
    throw new CliError(
      `ACM hub restore of ${hub}: ${failed} items failed (listed above).`,
      ExitCode.CompletedWithErrors,
    );
}
