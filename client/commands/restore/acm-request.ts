import type { AcmRestoreInput } from '../../../core/acm/restore-run.js';
import { requestIssues, type AcmRestoreRequest, type CleanupMode } from '../../../core/acm/restore-plan.js';
import type { LifeboatConfig } from '../../../core/config/schema.js';
import { parseGoDurationMs, type AcmRestoreManifestFields } from '../../../core/acm/restore-manifest.js';
import { bad, clusterByFlag } from './resource-request.js';

const MIN_SYNC_INTERVAL_MS = 60_000;

/**
 * `lifeboat restore acm`'s flags (or ACM's own Restore manifest, -f) → the acmRestore workflow's input, checked
 * against the config before anything starts. Pure (the clock, the user and the parsed manifest come in). What needs
 * the backups (does a name exist, is it of that type, is the old hub alive) is the workflow's planning, which fails
 * InvalidRestoreRequest or OldHubAlive: exit 2 as well.
 */

export interface AcmFlags {
  cluster: string;
  fromCluster?: string;
  location?: string;
  managedClusters?: string;
  credentials?: string;
  resources?: string;
  cleanupBeforeRestore?: string;
  yesDeleteUnrestored?: boolean;
  requireApproval?: boolean;
  oldHubGone?: string;
  sync?: boolean;
  syncInterval?: string;
  config: string;
  /** The path of the Restore manifest, when -f gave one (its request comes in as `manifest`). */
  restoreFile?: string;
}

const CLEANUP_MODES: readonly CleanupMode[] = ['none', 'restored', 'all'];
const TYPE_FLAGS = [
  ['credentials', '--credentials'],
  ['resources', '--resources'],
  ['managedClusters', '--managed-clusters'],
] as const;

function requestFromFlags(flags: AcmFlags): AcmRestoreRequest {
  const problems: string[] = [];
  for (const [field, flag] of TYPE_FLAGS) {
    const value = flags[field];
    if (value === undefined || value.trim() === '')
      problems.push(`${flag}: say what to restore of this type: latest, skip, or a backup name`);
  }
  const cleanup = (flags.cleanupBeforeRestore ?? 'none').trim().toLowerCase();
  if (!CLEANUP_MODES.includes(cleanup as CleanupMode))
    problems.push(
      `--cleanup-before-restore ${flags.cleanupBeforeRestore}: not a mode; use none, restored (delete what an ` +
        'earlier restore brought and these backups no longer hold) or all (also what was made on this hub)',
    );
  if (problems.length > 0) throw bad(problems.join('\n'));
  return {
    credentials: flags.credentials!.trim(),
    resources: flags.resources!.trim(),
    managedClusters: flags.managedClusters!.trim(),
    cleanup: cleanup as CleanupMode,
    ...(flags.yesDeleteUnrestored ? { cleanupAllConfirmed: true } : {}),
  };
}

/** With -f, the three type flags and the cleanup mode come from the manifest: giving them too is ambiguous. */
function refuseFlagsBesideManifest(flags: AcmFlags): void {
  const given = [
    ...TYPE_FLAGS.filter(([field]) => flags[field] !== undefined).map(([, flag]) => flag),
    ...(flags.cleanupBeforeRestore !== undefined ? ['--cleanup-before-restore'] : []),
  ];
  if (given.length > 0)
    throw bad(
      `${given.join(', ')}: ${flags.restoreFile} already says what to restore (veleroCredentialsBackupName, ` +
        'veleroResourcesBackupName, veleroManagedClustersBackupName, cleanupBeforeRestore); drop the flags or -f',
    );
}

export function acmRestoreInput(
  config: LifeboatConfig,
  flags: AcmFlags,
  manifest: Pick<AcmRestoreManifestFields, 'request' | 'syncIntervalMs'> | undefined,
  now: Date,
  requestedBy: string,
): AcmRestoreInput {
  const hub = clusterByFlag(config, '--cluster', flags.cluster, flags.config).name;
  const fromCluster = flags.fromCluster
    ? clusterByFlag(config, '--from-cluster', flags.fromCluster, flags.config).name
    : hub;
  if (manifest) refuseFlagsBesideManifest(flags);
  const manifestSyncIntervalMs = manifest?.syncIntervalMs;
  const request = manifest
    ? { ...manifest.request, ...(flags.yesDeleteUnrestored ? { cleanupAllConfirmed: true } : {}) }
    : requestFromFlags(flags);
  const sync = request.sync === true || flags.sync === true;
  if (flags.sync) request.sync = true;
  let syncIntervalMs = manifestSyncIntervalMs;
  if (flags.syncInterval !== undefined) {
    const ms = parseGoDurationMs(flags.syncInterval.trim());
    if (ms === undefined || ms <= 0)
      throw bad(`--sync-interval ${flags.syncInterval}: not a duration; use one such as 30m, 1h or 90s`);
    if (ms < MIN_SYNC_INTERVAL_MS)
      throw bad(
        `--sync-interval ${flags.syncInterval}: shorter than a minute; every look reads the backups' manifests, so use 1m or more`,
      );
    syncIntervalMs = ms;
  }
  if (!sync && flags.syncInterval !== undefined)
    throw bad('--sync-interval: only a sync (--sync) looks for newer backups; add --sync or drop it');
  if (sync && flags.requireApproval)
    throw bad(
      '--require-approval: a sync waits for `lifeboat restore acm activate` before it activates, which is the ' +
        'approval; drop --require-approval',
    );
  const issues = requestIssues(request);
  if (issues.length > 0) throw bad(issues.map((i) => `${i.flag}: ${i.message}`).join('\n'));
  if (flags.location !== undefined && !config.storageLocations.some((l) => l.name === flags.location)) {
    const known = config.storageLocations.map((l) => l.name).join(', ') || 'none';
    throw bad(`--location ${flags.location}: no such storage location in ${flags.config} (known: ${known}).`);
  }
  if (flags.oldHubGone !== undefined && flags.oldHubGone.trim() === '')
    throw bad('--old-hub-gone: give the reason you know the old hub is gone (it is recorded in the workflow)');
  return {
    hub,
    fromCluster,
    ...(flags.location ? { location: flags.location } : {}),
    request,
    ...(flags.requireApproval ? { requireApproval: true } : {}),
    ...(flags.oldHubGone ? { oldHubGone: flags.oldHubGone.trim() } : {}),
    ...(sync && syncIntervalMs !== undefined ? { syncIntervalMs } : {}),
    requestedBy,
    requestedAt: now.toISOString(),
  };
}
