import { clusterApiFor, type ClusterApi } from '../../activities/kube/cluster-api.js';
import { discover } from '../../activities/kube/discovery.js';
import type {
  AcmBackupPolicy,
  EtcdBackupPolicy,
  LifeboatConfig,
  ResourceBackupPolicy,
} from '../../core/config/schema.js';
import { DURATION_RULE, parseDuration } from '../../core/duration.js';
import { BackupKinds } from '../../core/layout.js';
import { backupName, workflowIds } from '../../core/naming.js';
import type { ResourceBackupCounters } from '../../core/resources/model.js';
import { resolveResourceName } from '../../core/resources/selection.js';
import { LifeboatCluster, LifeboatKind, LifeboatKinds, LifeboatPolicy } from '../../core/search-attributes.js';
import { loadConfigFile } from '../../runtime/config-file.js';
import { etcdBackupProgress, type EtcdBackupPhase } from '../../workflows/etcd-backup.js';
import { acmBackupProgress, type AcmBackupInput, type AcmBackupProgress } from '../../workflows/acm-backup-api.js';
import type { acmBackup, etcdBackup, resourceBackup } from '../../workflows/index.js';
import { resourceBackupProgress, type ResourceBackupInput } from '../../workflows/resource-backup-api.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { humanBytes, plural, resourceOutcomeText, table } from '../output.js';
import { resolveAnyPolicy } from '../targets.js';
import { withTemporal, workflowFailureMessage, type TemporalSession } from '../temporal.js';

export interface NowOptions {
  file: string;
  wait: boolean;
  giveUpAfter?: string;
}

/** Seconds since `started`, the prefix of every progress line on stderr. */
const elapsed = (started: number) => `${((Date.now() - started) / 1000).toFixed(1)}s`;

/**
 * Polls a running workflow's progress query about once a second and prints a line when what it says changed,
 * until the workflow's result arrives (which is returned, or thrown as the backup's failure).
 */
async function follow<R, P>(
  result: () => Promise<R>,
  query: () => Promise<P>,
  line: (progress: P) => string,
  name: string,
): Promise<R> {
  const started = Date.now();
  let last: string | undefined;
  let ended = false;
  const report = (text: string) => {
    if (text !== last) console.error(`  ${elapsed(started)}  ${text}`);
    last = text;
  };
  const poll = () =>
    query()
      // A query answered after the result arrived is older than "done": not printed.
      .then((p) => !ended && report(line(p)))
      .catch(() => undefined); // not started yet, or already closed
  await poll();
  const ticker = setInterval(() => void poll(), 1000);
  try {
    const value = await result();
    ended = true;
    clearInterval(ticker);
    report('done');
    return value;
  } catch (err) {
    throw new CliError(`backup ${name} failed: ${workflowFailureMessage(err)}`);
  } finally {
    clearInterval(ticker);
  }
}

async function etcdBackupNow(
  { client, settings }: TemporalSession,
  policy: EtcdBackupPolicy,
  opts: NowOptions,
  requestedAt: Date,
): Promise<void> {
  const name = backupName(policy.name, requestedAt);
  const handle = await client.workflow.start<typeof etcdBackup>('etcdBackup', {
    args: [
      {
        cluster: policy.cluster,
        policy: policy.name,
        requestedAt: requestedAt.toISOString(),
        ...(opts.giveUpAfter ? { giveUpAfter: opts.giveUpAfter } : {}),
      },
    ],
    taskQueue: settings.taskQueue,
    workflowId: workflowIds.etcdBackup(policy.cluster, policy.name, name),
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: [
      { key: LifeboatCluster, value: policy.cluster },
      { key: LifeboatPolicy, value: policy.name },
      { key: LifeboatKind, value: LifeboatKinds.etcdBackup },
    ],
    staticSummary: `one-off etcd backup of ${policy.cluster} (${policy.name})`,
  });
  console.log(`started backup ${name} (workflow ${handle.workflowId})`);
  if (!opts.wait) return;
  const manifest = await follow(
    () => handle.result(),
    () => handle.query(etcdBackupProgress),
    (p): EtcdBackupPhase => p.phase,
    name,
  );
  console.log(
    `backup ${manifest.backup} complete: ${humanBytes(manifest.object.bytes)} at ${manifest.object.key}, ` +
      `etcd revision ${manifest.etcd.revision} from ${manifest.etcd.member}`,
  );
}

/** One progress line of a resource backup: resources done of total, the current one, items, bytes, problems. */
export function resourceProgressLine(phase: string, c: ResourceBackupCounters): string {
  // Nothing counted yet: the archive activity is still reading the API's discovery and planning what to list.
  if (c.resourcesTotal === 0 && c.items === 0 && phase === 'archiving') return 'archiving: discovering the API';
  const current = c.current ? ` (${c.current})` : '';
  return (
    `${phase}: resources ${c.resourcesDone}/${c.resourcesTotal}${current}, ${c.items} items, ` +
    `${humanBytes(c.bytes)}, ${plural(c.warnings, 'warning')}, ${plural(c.errors, 'error')}`
  );
}

/** How long `backup now` waits for the cluster's discovery before it starts the backup without the check. */
const DISCOVERY_CHECK_TIMEOUT_MS = 10_000;

/**
 * Best effort, before a resource backup starts: says on stderr which resource names of the policy no API of the
 * cluster serves (the backup would report them as warnings in its results; a CRD may be installed later, so this
 * never stops it). A policy without resource names costs nothing; a cluster the CLI cannot reach is a note.
 */
async function warnUnservedNames(config: LifeboatConfig, policy: ResourceBackupPolicy): Promise<void> {
  const names = (['includedResources', 'excludedResources'] as const).flatMap((field) =>
    (policy[field] ?? []).filter((name) => name !== '*').map((name) => ({ field, name })),
  );
  if (names.length === 0) return;
  const cluster = config.clusters.find((c) => c.name === policy.cluster)!;
  let api: ClusterApi | undefined;
  try {
    api = await clusterApiFor(cluster);
    const { resources } = await discover(api, AbortSignal.timeout(DISCOVERY_CHECK_TIMEOUT_MS));
    for (const { field, name } of names) {
      if (resolveResourceName(resources, name).length > 0) continue;
      console.error(
        `warning: ${field}: "${name}" is served by no API of cluster ${cluster.name} (a CRD may be installed ` +
          'later); the backup goes ahead without it, and its results will say so.',
      );
    }
  } catch (err) {
    console.error(
      `note: could not check the policy's resource names against cluster ${cluster.name}'s API ` +
        `(${(err as Error).message}); the backup's results will name any that no API serves.`,
    );
  } finally {
    await api?.close();
  }
}

async function resourceBackupNow(
  { client, settings }: TemporalSession,
  policy: ResourceBackupPolicy,
  opts: NowOptions,
  requestedAt: Date,
): Promise<void> {
  const name = backupName(policy.name, requestedAt);
  const input: ResourceBackupInput = {
    cluster: policy.cluster,
    policy: policy.name,
    requestedAt: requestedAt.toISOString(),
  };
  const handle = await client.workflow.start<typeof resourceBackup>('resourceBackup', {
    args: [input],
    taskQueue: settings.taskQueue,
    workflowId: workflowIds.resourceBackup(policy.cluster, policy.name, name),
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: [
      { key: LifeboatCluster, value: policy.cluster },
      { key: LifeboatPolicy, value: policy.name },
      { key: LifeboatKind, value: LifeboatKinds.resourceBackup },
    ],
    staticSummary: `one-off resource backup of ${policy.cluster} (${policy.name})`,
  });
  console.log(`started backup ${name} (workflow ${handle.workflowId})`);
  if (!opts.wait) return;
  const manifest = await follow(
    () => handle.result(),
    () => handle.query(resourceBackupProgress),
    (p) => resourceProgressLine(p.phase, p),
    name,
  );
  const { counts } = manifest;
  const resources = Object.keys(counts.resources).length;
  console.log(
    `backup ${manifest.backup} ${resourceOutcomeText(manifest)}: ${plural(counts.items, 'item')} in ` +
      `${plural(resources, 'resource')}, ` +
      `${humanBytes(manifest.object.bytes)} at ${manifest.object.key}`,
  );
  if (manifest.outcome === 'CompletedWithErrors') {
    throw new CliError(
      `backup ${manifest.backup} exists but lacks what its ${counts.errors} error(s) name: ` +
        `see lifeboat backups results ${manifest.backup}`,
      ExitCode.CompletedWithErrors,
    );
  }
}

/** One progress line of an ACM hub backup set: its phase and the typed backup it is at. */
export function acmProgressLine(p: AcmBackupProgress): string {
  if (p.phase !== 'backing-up') return p.phase;
  const current = p.typed.at(-1);
  return `backing up: ${p.typed.length - 1} typed backups done${current ? `, ${current.type} (${current.backup})` : ''}`;
}

async function acmBackupNow(
  { client, settings }: TemporalSession,
  policy: AcmBackupPolicy,
  opts: NowOptions,
  requestedAt: Date,
): Promise<void> {
  const set = backupName(policy.name, requestedAt);
  const input: AcmBackupInput = {
    cluster: policy.cluster,
    policy: policy.name,
    requestedAt: requestedAt.toISOString(),
  };
  const handle = await client.workflow.start<typeof acmBackup>('acmBackup', {
    args: [input],
    taskQueue: settings.taskQueue,
    workflowId: workflowIds.acmBackup(policy.cluster, policy.name, set),
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: [
      { key: LifeboatCluster, value: policy.cluster },
      { key: LifeboatPolicy, value: policy.name },
      { key: LifeboatKind, value: LifeboatKinds.acmBackup },
    ],
    staticSummary: `one-off ACM hub backup of ${policy.cluster} (${policy.name})`,
  });
  console.log(`started hub backup set ${set} (workflow ${handle.workflowId})`);
  if (!opts.wait) return;
  const result = await follow(
    () => handle.result(),
    () => handle.query(acmBackupProgress),
    acmProgressLine,
    set,
  );
  console.log(
    table(
      ['type', 'backup', 'outcome', 'items'],
      result.typed.map((t) => [t.type, t.backup, t.outcome ?? '', String(t.items ?? '')]),
    ),
  );
  for (const type of result.skipped) console.log(`${type}: not taken, the hub serves none of its kinds`);
  for (const line of result.labels?.labelled ?? []) console.log(`labelled ${line}`);
  for (const warning of result.labels?.warnings ?? []) console.log(`warning: ${warning}`);
  const failed = result.typed.filter((t) => t.outcome === 'CompletedWithErrors');
  console.log(
    `hub backup set ${set} of hub ${result.hub ?? '?'} complete: ${plural(result.typed.length, 'typed backup')}`,
  );
  if (failed.length > 0) {
    throw new CliError(
      `set ${set} exists but ${failed.map((t) => t.backup).join(', ')} lack what their errors name: see ` +
        '`lifeboat backups results NAME`',
      ExitCode.CompletedWithErrors,
    );
  }
}

/** `lifeboat backup now` (backup.ts registers it). */
export async function runBackupNow(target: string, opts: NowOptions): Promise<void> {
  const config = loadConfigFile(opts.file);
  const resolved = resolveAnyPolicy(config, target);
  if (opts.giveUpAfter !== undefined) {
    if (resolved.kind !== BackupKinds.etcd) {
      throw new CliError(
        `--give-up-after bounds the retries of an etcd backup; ${target} is ${resolved.kind === 'acm' ? 'an ACM hub' : 'a resource'} backup policy, ` +
          'which does not take it: leave the option out.',
        ExitCode.BadInput,
      );
    }
    if (parseDuration(opts.giveUpAfter) === undefined) {
      throw new CliError(
        `--give-up-after "${opts.giveUpAfter}" is not a duration: use ${DURATION_RULE}`,
        ExitCode.BadInput,
      );
    }
  }
  // Second precision: the name is the contract (ARCHITECTURE.md, "Names": <policy>-<yyyymmddhhmmss>).
  const requestedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
  if (resolved.kind === BackupKinds.resources) await warnUnservedNames(config, resolved.policy);
  await withTemporal((session) => {
    switch (resolved.kind) {
      case BackupKinds.etcd:
        return etcdBackupNow(session, resolved.policy, opts, requestedAt);
      case BackupKinds.resources:
        return resourceBackupNow(session, resolved.policy, opts, requestedAt);
      case 'acm':
        return acmBackupNow(session, resolved.policy, opts, requestedAt);
    }
  });
}
