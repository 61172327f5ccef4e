import type { Command } from 'commander';
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  ChildWorkflowFailure,
  TerminatedFailure,
  TimeoutFailure,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { userInfo } from 'node:os';
import type { RestoreInspection } from '../../activities/etcd-restore-inspect.js';
import type { LifeboatConfig, StorageLocation } from '../../core/config/schema.js';
import { FailureTypes } from '../../core/failure-types.js';
import { workflowIds } from '../../core/naming.js';
import { planFromInspection, revisionBump } from '../../core/restore-plan.js';
import { LifeboatCluster, LifeboatKind, LifeboatKinds } from '../../core/search-attributes.js';
import { loadConfigFile } from '../../runtime/config-file.js';
import {
  abortRestore,
  approveRestore,
  etcdRestoreProgress,
  retryRestore,
  type EtcdRestoreProgress,
  type EtcdRestoreRequest,
  type EtcdRestoreResult,
  type OperatorDecision,
  type RestoreStepProgress,
} from '../../workflows/etcd-restore-api.js';
import type { etcdRestore } from '../../workflows/index.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { humanAge, humanBytes, printJson, table } from '../output.js';
import { resolveCluster } from '../targets.js';
import { withTemporal } from '../temporal.js';

/** Who runs the command: recorded as `requestedBy` / the operator of an update. */
function osUser(): string {
  if (process.env.USER) return process.env.USER;
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** `s3://bucket/key` and the storage location that holds it: by bucket, or the one `--location` names. */
export function resolveFrom(
  config: LifeboatConfig,
  url: string,
  locationName: string | undefined,
): { location: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
  if (!match) throw new CliError(`--from ${url} is not s3://<bucket>/<key>.`, ExitCode.BadInput);
  const [, bucket, key] = match as unknown as [string, string, string];
  const describe = (l: StorageLocation) => `${l.name} (bucket ${l.bucket} at ${l.endpoint})`;
  if (locationName) {
    const location = config.storageLocations.find((l) => l.name === locationName);
    if (!location) {
      const known = config.storageLocations.map((l) => l.name).join(', ') || 'none';
      throw new CliError(`--location ${locationName}: no such storage location (known: ${known}).`, ExitCode.BadInput);
    }
    if (location.bucket !== bucket) {
      throw new CliError(
        `--location ${describe(location)} does not hold bucket ${bucket}; name the location whose storageLocations[].bucket is ${bucket}.`,
        ExitCode.BadInput,
      );
    }
    return { location: location.name, key };
  }
  const matching = config.storageLocations.filter((l) => l.bucket === bucket);
  if (matching.length === 0) {
    const known = config.storageLocations.map(describe).join(', ') || 'none';
    throw new CliError(
      `No storage location has bucket ${bucket} (known: ${known}). Add one under storageLocations (with the endpoint ` +
        'and the credentials to read it) and pass its name with --location if several share the bucket.',
      ExitCode.BadInput,
    );
  }
  if (matching.length > 1) {
    throw new CliError(
      `Several storage locations have bucket ${bucket}: ${matching.map(describe).join(', ')}. Choose one with --location.`,
      ExitCode.BadInput,
    );
  }
  return { location: matching[0]!.name, key };
}

// ---------------------------------------------------------------------------------------------------------------
// Failures and progress as a person reads them.

/** The message that says what happened: a restore's own failure (it says what state the cluster is in) or the cause. */
function restoreFailure(err: unknown): { type?: string; message: string } {
  let cause: unknown = err instanceof WorkflowFailedError ? (err.cause ?? err) : err;
  while ((cause instanceof ActivityFailure || cause instanceof ChildWorkflowFailure) && cause.cause)
    cause = cause.cause;
  if (cause instanceof ApplicationFailure)
    return { ...(cause.type ? { type: cause.type } : {}), message: cause.message };
  if (cause instanceof TerminatedFailure)
    return { type: 'Terminated', message: `the workflow was terminated${cause.message ? ` (${cause.message})` : ''}` };
  if (cause instanceof CancelledFailure) return { type: 'Cancelled', message: 'the workflow was cancelled' };
  if (cause instanceof TimeoutFailure) return { type: 'TimedOut', message: 'the workflow timed out' };
  return { message: cause instanceof Error ? cause.message : String(cause) };
}

function seconds(ms: number): string {
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}

function stepDuration(step: RestoreStepProgress, now = Date.now()): string {
  if (!step.startedAt) return '';
  const end = step.endedAt ? Date.parse(step.endedAt) : now;
  return `${seconds(end - Date.parse(step.startedAt))}${step.endedAt ? '' : '…'}`;
}

function utc(iso: string | undefined): string {
  return iso ? iso.replace(/\.\d{3}Z$/, 'Z') : '';
}

/** Breaks text at spaces so a table cell stays narrow; existing line breaks stay. */
function wrap(text: string, width = 56): string {
  return text
    .split('\n')
    .map((line) => {
      const out: string[] = [];
      let current = '';
      for (const word of line.split(' ')) {
        if (current && current.length + 1 + word.length > width) {
          out.push(current);
          current = word;
        } else current = current ? `${current} ${word}` : word;
      }
      out.push(current);
      return out.join('\n');
    })
    .join('\n');
}

/** `label  value` lines, values of several lines indented under the first. */
function printFields(rows: [string, string][]): void {
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  for (const [label, value] of rows) {
    console.log(`${label.padEnd(width)}${value.split('\n').join(`\n${' '.repeat(width)}`)}`);
  }
}

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
      const detail = ended.has(s.state) ? ` (${stepDuration(s)})` : '';
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

/** The progress query, bounded: a closed workflow is answered by replay on a worker, and there may be none. */
function queryProgress(client: Client, handle: WorkflowHandle): Promise<EtcdRestoreProgress | undefined> {
  return client.withDeadline(Date.now() + 5000, () => handle.query(etcdRestoreProgress)).catch(() => undefined);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls the progress query every second until the restore ends; exit code 0 only for a completed restore. */
async function follow(client: Client, handle: WorkflowHandle<typeof etcdRestore>, cluster: string): Promise<void> {
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
  if (!end.ok) {
    const failure = restoreFailure(end.error);
    throw new CliError(`restore of ${cluster} failed${failure.type ? ` (${failure.type})` : ''}: ${failure.message}`);
  }
  const r: EtcdRestoreResult = end.result;
  if (!last) for (const s of r.steps) console.error(`  ${s.kind.padEnd(22)} ${s.state} (${stepDuration(s)})`);
  console.log(
    `restore of ${r.cluster} completed in ${seconds(Date.now() - started)}: backup ${r.backup}, etcd revision ${r.revision}, ` +
      `members ${r.members.join(', ')}`,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// --dry-run: the workflow's own first step, run here, and the plan it would follow.

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
    import('../../activities/etcd-restore-inspect.js'),
    import('../../activities/index.js'),
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

/** The same plan the workflow makes from the same inspection (workflows/etcd-restore.ts, step 0). */
function printPlan(
  config: LifeboatConfig,
  request: EtcdRestoreRequest,
  inspection: RestoreInspection,
  rerun: string,
): void {
  const { source, layout, settings } = inspection;
  const steps = planFromInspection(request.cluster, inspection, Boolean(request.requireApproval));
  const bucket = config.storageLocations.find((l) => l.name === source.location)?.bucket ?? '?';
  const encoding = [source.compression !== 'none' ? source.compression : '', source.encrypted ? 'age-encrypted' : '']
    .filter(Boolean)
    .join(', ');
  let revision: string;
  if (!source.revision) {
    revision = 'unknown until etcdutl reads the snapshot (not a Lifeboat backup)';
  } else if (!settings.bumpRevision) {
    revision = `${source.revision} (no bump: restore.bumpRevision is false)`;
  } else {
    const bump = revisionBump(
      BigInt(source.revision),
      inspection.liveRevision ? BigInt(inspection.liveRevision) : undefined,
    );
    revision =
      `${source.revision}, restored at ${BigInt(source.revision) + bump} (bumped by ${bump}; live revision ` +
      `${inspection.liveRevision ?? 'unknown: no member answered'})`;
  }
  const approval = steps.some((s) => s.kind === 'approval');
  console.log(`Restore plan for cluster ${request.cluster} (dry run: nothing was changed)`);
  printFields([
    [
      'backup',
      `${source.backup}${source.foreign ? ' (a snapshot Lifeboat did not make)' : ''}\n` +
        `s3://${bucket}/${source.key} (location ${source.location}, ${humanBytes(source.bytes)}${encoding ? `, ${encoding}` : ''})`,
    ],
    ['revision', revision],
    [
      'members',
      `${layout.members.map((m) => `${m.name}  ${m.peerUrl}`).join('\n')}\n(StatefulSet ${layout.namespace}/${layout.statefulSet})`,
    ],
    ['approval', approval ? `required: waits for lifeboat restore approve ${request.cluster}` : 'not required'],
  ]);
  const cut = steps.findIndex((s) => s.pointOfNoReturn);
  console.log(
    table(
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
    ),
  );
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

// ---------------------------------------------------------------------------------------------------------------
// Status and operator updates: they need Temporal only, not the config.

async function describeRestore(client: Client, cluster: string) {
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

async function status(client: Client, cluster: string, opts: StatusOptions): Promise<number> {
  const { handle, description } = await describeRestore(client, cluster);
  const state = description.status.name;
  let progress = await queryProgress(client, handle);
  let failure: { type?: string; message: string } | undefined;
  if (state !== 'RUNNING') {
    try {
      const result = await handle.result();
      // No worker answered the query: the result carries the steps of a completed restore.
      progress ??= { cluster, backup: result.backup, phase: 'completed', steps: result.steps };
    } catch (err) {
      failure = restoreFailure(err);
    }
  }
  const code = state === 'RUNNING' || state === 'COMPLETED' ? ExitCode.Ok : ExitCode.Failed;
  if (opts.output === 'json') {
    printJson({
      workflowId: handle.workflowId,
      runId: description.runId,
      status: state.toLowerCase(),
      startTime: description.startTime.toISOString(),
      closeTime: description.closeTime?.toISOString(),
      progress,
      failure,
    });
    return code;
  }
  const rows: [string, string][] = [
    ['workflow', `${handle.workflowId} (run ${description.runId})`],
    ['status', state.toLowerCase()],
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
          stepDuration(s),
          wrap(s.error ?? '', 60),
        ]),
      ),
    );
  }
  if (progress?.waiting) console.log(`Waiting for ${progress.waiting.for}: ${progress.waiting.hint}`);
  if (failure) console.log(`Failed${failure.type ? ` (${failure.type})` : ''}: ${failure.message}`);
  return code;
}

const updates = {
  approve: { definition: approveRestore, description: 'Approve a restore waiting at its approval gate' },
  retry: {
    definition: retryRestore,
    description: 'Run the step a restore is waiting on (after the point of no return) once more',
  },
  abort: {
    definition: abortRestore,
    description:
      'End a waiting restore: at the approval gate nothing has changed yet; after the point of no return the cluster stays paused',
  },
} as const;

async function sendUpdate(client: Client, verb: keyof typeof updates, cluster: string, decision: OperatorDecision) {
  const handle = client.workflow.getHandle<typeof etcdRestore>(workflowIds.etcdRestore(cluster));
  try {
    return await handle.executeUpdate(updates[verb].definition, { args: [decision] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      // The workflow's validator said no: it is not waiting for this.
      const reason = err.cause?.message ?? err.message;
      throw new CliError(
        `cannot ${verb} the restore of ${cluster}: ${reason}. See lifeboat restore status ${cluster}.`,
        ExitCode.Failed,
      );
    }
    const { description } = await describeRestore(client, cluster); // never ran: exit 2
    if (description.status.name !== 'RUNNING') {
      throw new CliError(
        `cannot ${verb} the restore of ${cluster}: it is not running (${description.status.name.toLowerCase()} at ` +
          `${utc(description.closeTime?.toISOString())}). See lifeboat restore status ${cluster}.`,
        ExitCode.Failed,
      );
    }
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------------------------

interface EtcdOptions {
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

export function registerRestore(program: Command): void {
  const restore = program
    .command('restore')
    .description("Restore a cluster's etcd from a backup, and watch, approve, retry or abort a running restore");

  restore
    .command('etcd')
    .description(
      "Replace a cluster's etcd data with a backup's (the etcdRestore workflow: pause, scale down, restore, check)",
    )
    .requiredOption('-c, --cluster <name>', 'the cluster to restore, as named in the config')
    .option('-b, --backup <name>', '"latest" (newest complete backup of any policy of the cluster) or a backup name')
    .option('--from <s3url>', 'a snapshot Lifeboat did not make: s3://<bucket>/<key> in a configured location')
    .option('-l, --location <name>', 'with --from: the storage location to read it through (default: by bucket)')
    .option('--require-approval', 'wait for `lifeboat restore approve` before changing anything', false)
    .option('--dry-run', 'print the plan (backup, revision, members, steps) and change nothing', false)
    .option('--follow', 'print each step as it runs; exit 0 only if the restore completes (default on a terminal)')
    .option('--no-follow', 'return once the restore has started')
    .option('--by <name>', 'who asks, recorded in the workflow (default: $USER)')
    .requiredOption('-f, --file <path>', 'the config file', process.env.LIFEBOAT_CONFIG)
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  lifeboat restore etcd --cluster demo --backup latest --dry-run\n' +
        '  lifeboat restore etcd --cluster demo --backup latest --follow\n' +
        '  lifeboat restore etcd --cluster demo --from s3://lifeboat/raw/etcd-snapshot.db --require-approval\n' +
        '\nWith --follow, progress goes to stderr (a line per step transition) and the outcome to stdout.\n' +
        '--dry-run reads the bucket (S3 keys from the variables the config names) and the cluster (its kubeconfig).',
    )
    .action(async (opts: EtcdOptions) => {
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
        throw new CliError(
          '--location goes with --from (a backup is found in its policy’s location).',
          ExitCode.BadInput,
        );
      }
      const config = loadConfigFile(opts.file);
      const cluster = resolveCluster(config, opts.cluster, opts.file);
      if (!cluster.etcd.statefulSet) {
        throw new CliError(
          `Cluster ${cluster.name} has fixed etcd endpoints; Lifeboat restores StatefulSet-hosted etcd only ` +
            `(set clusters[${cluster.name}].etcd.statefulSet), or restore by hand with etcdutl (see the README).`,
          ExitCode.BadInput,
        );
      }
      const request: EtcdRestoreRequest = {
        cluster: cluster.name,
        backup: opts.backup ?? 'latest',
        ...(opts.from ? { from: resolveFrom(config, opts.from, opts.location) } : {}),
        ...(opts.requireApproval ? { requireApproval: true } : {}),
        requestedBy: opts.by ?? osUser(),
      };
      const workflowId = workflowIds.etcdRestore(cluster.name);
      await withTemporal(async ({ client, settings }) => {
        if (opts.dryRun) {
          console.error(`inspecting the backups, etcd and control plane of ${cluster.name}…`);
          const inspection = await inspect(config, request, client);
          const rerun = [
            `lifeboat restore etcd --cluster ${cluster.name}`,
            opts.from
              ? `--from ${opts.from}${opts.location ? ` --location ${opts.location}` : ''}`
              : `--backup ${request.backup}`,
            ...(opts.requireApproval ? ['--require-approval'] : []),
            `-f ${opts.file}`,
          ].join(' ');
          printPlan(config, request, inspection, rerun);
          const running = await client.workflow
            .getHandle(workflowId)
            .describe()
            .catch(() => undefined);
          if (running?.status.name === 'RUNNING') {
            console.log(
              `Note: a restore of ${cluster.name} is running now (workflow ${workflowId}); another would be refused.`,
            );
          }
          return;
        }
        const what = opts.from ? opts.from : `backup ${request.backup}`;
        let handle: WorkflowHandle<typeof etcdRestore>;
        try {
          handle = await client.workflow.start<typeof etcdRestore>('etcdRestore', {
            args: [request],
            taskQueue: settings.taskQueue,
            workflowId,
            workflowIdConflictPolicy: 'FAIL',
            typedSearchAttributes: [
              { key: LifeboatCluster, value: cluster.name },
              { key: LifeboatKind, value: LifeboatKinds.etcdRestore },
            ],
            staticSummary: `etcd restore of ${cluster.name} from ${what}, requested by ${request.requestedBy}`,
          });
        } catch (err) {
          if (err instanceof WorkflowExecutionAlreadyStartedError) {
            throw new CliError(
              `A restore of ${cluster.name} is already running (workflow ${workflowId}); only one runs at a time. ` +
                `See it with lifeboat restore status ${cluster.name}.`,
            );
          }
          throw err;
        }
        console.log(`started the restore of ${cluster.name} from ${what} (workflow ${workflowId})`);
        if (opts.follow ?? process.stdout.isTTY) return follow(client, handle, cluster.name);
        console.log(`follow it with: lifeboat restore status ${cluster.name}`);
      });
    });

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

  for (const verb of ['approve', 'retry', 'abort'] as const) {
    const command = restore
      .command(verb)
      .description(updates[verb].description)
      .argument('<cluster>', 'the cluster, as named in the config')
      .option('--by <name>', 'who decides, recorded in the workflow (default: $USER)');
    if (verb === 'abort') command.option('--reason <text>', 'why, recorded in the workflow and its failure');
    command
      .addHelpText(
        'after',
        `\nExample:\n  lifeboat restore ${verb} demo${verb === 'abort' ? ' --reason "wrong backup"' : ''}`,
      )
      .action(async (cluster: string, opts: { by?: string; reason?: string }) => {
        await withTemporal(async ({ client }) => {
          const answer = await sendUpdate(client, verb, cluster, {
            by: opts.by ?? osUser(),
            ...(opts.reason ? { reason: opts.reason } : {}),
          });
          console.log(`restore of ${cluster}: ${answer}. Follow it with lifeboat restore status ${cluster}.`);
        });
      });
  }
}
