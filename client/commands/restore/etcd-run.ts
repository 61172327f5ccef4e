import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { requireEtcd } from '../../../core/config/clusters.js';
import type { LifeboatConfig } from '../../../core/config/schema.js';
import { workflowIds } from '../../../core/naming.js';
import { LifeboatCluster, LifeboatKind, LifeboatKinds } from '../../../core/search-attributes.js';
import { loadConfigFile } from '../../../runtime/config-file.js';
import type { TemporalSettings } from '../../../runtime/temporal-connection.js';
import type { EtcdRestoreRequest } from '../../../workflows/etcd-restore-api.js';
import type { etcdRestore } from '../../../workflows/index.js';
import { CliError, ExitCode } from '../../exit-codes.js';
import { resolveCluster } from '../../targets.js';
import { withTemporal } from '../../temporal.js';
import { dryRun } from './dry-run.js';
import { follow } from './follow.js';
import { resolveFrom } from './from.js';
import { osUser } from './requester.js';

export interface EtcdOptions {
  cluster: string;
  backup?: string;
  from?: string;
  location?: string;
  requireApproval: boolean;
  dryRun: boolean;
  follow?: boolean;
  by?: string;
  file: string;
}

/** `lifeboat restore etcd` (etcd.ts registers it). */
export async function runEtcdRestore(opts: EtcdOptions): Promise<void> {
  checkWhat(opts);
  const config = loadConfigFile(opts.file);
  const request = restoreRequest(config, opts);
  await withTemporal(async ({ client, settings }) => {
    if (opts.dryRun) return dryRun(client, config, request, opts);
    const handle = await start(client, settings, request, opts.from ?? `backup ${request.backup}`);
    if (opts.follow ?? process.stdout.isTTY) return follow(client, handle, request.cluster);
    console.log(`follow it with: lifeboat restore status ${request.cluster}`);
  });
}

/** Exactly one of --backup and --from; --location only with --from. Checked before the config is read. */
function checkWhat(opts: EtcdOptions): void {
  if (opts.backup && opts.from) {
    throw new CliError('Give either --backup or --from, not both.', ExitCode.BadInput);
  }
  if (!opts.backup && !opts.from) {
    throw new CliError(
      'Say what to restore: --backup latest, --backup <name> (see lifeboat backups list) or --from s3://<bucket>/<key>.',
      ExitCode.BadInput,
    );
  }
  if (opts.location && !opts.from) {
    throw new CliError('--location goes with --from (a backup is found in its policy’s location).', ExitCode.BadInput);
  }
}

/** The workflow's input, from the command line checked against the config. */
function restoreRequest(config: LifeboatConfig, opts: EtcdOptions): EtcdRestoreRequest {
  const cluster = resolveCluster(config, opts.cluster, opts.file);
  const etcd = requireEtcd(
    cluster,
    (message) => new CliError(`${message[0]!.toUpperCase()}${message.slice(1)}.`, ExitCode.BadInput),
  );
  if (!etcd.statefulSet) {
    throw new CliError(
      `Cluster ${cluster.name} has fixed etcd endpoints; Lifeboat restores StatefulSet-hosted etcd only ` +
        `(set clusters[${cluster.name}].etcd.statefulSet), or restore by hand with etcdutl (see the README).`,
      ExitCode.BadInput,
    );
  }
  return {
    cluster: cluster.name,
    backup: opts.backup ?? 'latest',
    ...(opts.from ? { from: resolveFrom(config, opts.from, opts.location) } : {}),
    ...(opts.requireApproval ? { requireApproval: true } : {}),
    requestedBy: opts.by ?? osUser(),
  };
}

/** Starts the restore; one runs at a time per cluster (its workflow id is the cluster's), a second is refused. */
async function start(
  client: Client,
  settings: TemporalSettings,
  request: EtcdRestoreRequest,
  what: string,
): Promise<WorkflowHandle<typeof etcdRestore>> {
  const workflowId = workflowIds.etcdRestore(request.cluster);
  let handle: WorkflowHandle<typeof etcdRestore>;
  try {
    handle = await client.workflow.start<typeof etcdRestore>('etcdRestore', {
      args: [request],
      taskQueue: settings.taskQueue,
      workflowId,
      workflowIdConflictPolicy: 'FAIL',
      typedSearchAttributes: [
        { key: LifeboatCluster, value: request.cluster },
        { key: LifeboatKind, value: LifeboatKinds.etcdRestore },
      ],
      staticSummary: `etcd restore of ${request.cluster} from ${what}, requested by ${request.requestedBy}`,
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new CliError(
        `A restore of ${request.cluster} is already running (workflow ${workflowId}); only one runs at a time. ` +
          `See it with lifeboat restore status ${request.cluster}.`,
      );
    }
    throw err;
  }
  console.log(`started the restore of ${request.cluster} from ${what} (workflow ${workflowId})`);
  return handle;
}
