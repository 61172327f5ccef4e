import { proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { resourceManifest } from '../core/manifest-build.js';
import type { ResourceBackupManifest } from '../core/manifest.js';
import { backupName } from '../core/naming.js';
import type { ResourceBackupCounters } from '../core/resources/model.js';
import { zeroCounters } from '../core/resources/model.js';
import { countersDetails, outcomeText } from '../core/resources/progress.js';
import {
  LifeboatBackup,
  LifeboatCluster,
  LifeboatKind,
  LifeboatKinds,
  LifeboatPolicy,
} from '../core/search-attributes.js';
import { commitRetry, nominalTime, startRetention, uploadRetry } from './backup-run.js';
import { trackPhases } from './phase.js';
import {
  resourceBackupCounters,
  resourceBackupProgress,
  type ResourceBackupInput,
  type ResourceBackupPhase,
  type ResourceBackupProgress,
} from './resource-backup-api.js';

// Listing a large cluster takes long (Velero needed hours for 300k objects); the heartbeat, not this timeout, is
// what notices a dead worker.
const { archiveResources } = proxyActivities<Activities>({
  startToCloseTimeout: '6h',
  heartbeatTimeout: '30s',
  retry: uploadRetry,
});
const { commitResourceBackup } = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: commitRetry,
});

/**
 * One backup of a cluster's API objects, as the runbook has it: name it from its nominal time, archive the objects
 * the policy selects into one tar.gz in storage (Velero's format), then write Velero's record and the manifest, which
 * is what makes the backup exist; then the policy's retention.
 */
export async function resourceBackup(input: ResourceBackupInput): Promise<ResourceBackupManifest> {
  const { cluster, policy } = input;
  // A hub backup set's typed backups are named by the set's time (a child does not see its parent's schedule).
  const { time, oneOff } = input.acm
    ? { time: new Date(input.acm.tag.set), oneOff: input.acm.oneOff }
    : nominalTime(input);
  const backup = backupName(policy, time);
  const progress: ResourceBackupProgress = { backup, phase: 'archiving', ...zeroCounters() };
  setHandler(resourceBackupProgress, () => progress);
  const heading = (details: string) => `**${backup}** (${cluster}/${policy}): ${details}`;
  const phases = trackPhases<ResourceBackupPhase>({
    progress,
    render: (details) => (details === undefined ? undefined : heading(details)),
  });
  setHandler(resourceBackupCounters, (counters) => {
    // A signal sent just before the archive finished may arrive after it: the final counts are the archive's.
    if (progress.phase !== 'archiving') return;
    setCounters(progress, counters);
    phases.describe(heading(countersDetails(counters)));
  });

  phases.enter('archiving', 'discovering the API and listing the resources the policy selects', [
    { key: LifeboatCluster, value: cluster },
    { key: LifeboatPolicy, value: policy },
    { key: LifeboatKind, value: LifeboatKinds.resourceBackup },
    { key: LifeboatBackup, value: backup },
  ]);
  const startedAt = new Date(Date.now()).toISOString();
  const archive = await archiveResources.executeWithOptions(
    { summary: `archive the resources of ${cluster} (${policy}) as ${backup}` },
    [{ cluster, policy, backup, startedAt, ...(input.acm ? { acm: input.acm } : {}) }],
  );
  // Without a signal (a short backup) the counts per resource are all there is to say how many were listed.
  const listed = Math.max(progress.resourcesTotal, Object.keys(archive.counts.resources).length);
  setCounters(progress, {
    resourcesDone: listed,
    resourcesTotal: listed,
    items: archive.counts.items,
    bytes: archive.stored.bytes,
    warnings: archive.counts.warnings,
    errors: archive.counts.errors,
  });

  phases.enter('committing', `writing the Velero record and the manifest of ${archive.key}`);
  const info = workflowInfo();
  const manifest = resourceManifest({
    cluster,
    policy,
    backup,
    nominalTime: time,
    oneOff,
    startedAt,
    completedAt: new Date(Date.now()).toISOString(),
    archive,
    createdBy: { workflowId: info.workflowId, runId: info.runId },
    ...(input.acm ? { acm: input.acm.tag } : {}),
  });
  progress.manifestKey = await commitResourceBackup.executeWithOptions(
    { summary: `commit ${backup}: write its Velero record and manifest` },
    [manifest, archive.location],
  );

  phases.enter('done', `${outcomeText(manifest)}: ${countersDetails(progress)}`);
  // A hub backup set's retention counts whole sets: its workflow runs it once every type is in.
  if (!input.acm) await startRetention(cluster, policy);
  return manifest;
}

/** The progress query's counters, replaced as a whole: a counter the activity no longer sends (current) goes. */
function setCounters(progress: ResourceBackupProgress, counters: ResourceBackupCounters): void {
  progress.resourcesDone = counters.resourcesDone;
  progress.resourcesTotal = counters.resourcesTotal;
  progress.current = counters.current;
  progress.items = counters.items;
  progress.bytes = counters.bytes;
  progress.warnings = counters.warnings;
  progress.errors = counters.errors;
}
