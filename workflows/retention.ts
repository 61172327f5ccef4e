import { continueAsNew, defineQuery, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { nonRetryableFailureTypes } from '../core/failure-types.js';
import { setEntries } from '../core/acm/hub-backup.js';
import { isManifestKey } from '../core/layout.js';
import { planRetention, type RetentionDecision } from '../core/retention.js';
import { LifeboatCluster, LifeboatKind, LifeboatKinds, LifeboatPolicy } from '../core/search-attributes.js';
import { trackPhases } from './phase.js';

export interface RetentionInput {
  cluster: string;
  policy: string;
  /** Carried across continue-as-new so the final result covers the whole sweep. */
  deletedSoFar?: string[];
}

export interface RetentionResult {
  cluster: string;
  policy: string;
  kept: string[];
  deleted: string[];
  abortedUploads: number;
  decisions: RetentionDecision[];
}

export type RetentionPhase = 'listing' | 'deleting' | 'done';

export const retentionProgress = defineQuery<{ deleted: string[]; remaining: number }>('progress');

const { retentionInventory, deleteObjects, abortUploads } = proxyActivities<Activities>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '2m',
  retry: {
    initialInterval: '5s',
    maximumInterval: '2m',
    maximumAttempts: 10,
    nonRetryableErrorTypes: nonRetryableFailureTypes,
  },
});

/** Backups deleted per activity call: each is a few objects; keeps one call short and the history growing slowly. */
const DELETE_BATCH = 50;

/**
 * Retention for one policy: list what storage holds, let core/retention decide, delete what it says, in batches.
 */
export async function retention(input: RetentionInput): Promise<RetentionResult> {
  const phases = trackPhases<RetentionPhase>();
  phases.enter('listing', `Listing the backups of **${input.cluster}/${input.policy}**`, [
    { key: LifeboatCluster, value: input.cluster },
    { key: LifeboatPolicy, value: input.policy },
    { key: LifeboatKind, value: LifeboatKinds.retention },
  ]);
  const deleted = [...(input.deletedSoFar ?? [])];
  let remaining = 0;
  setHandler(retentionProgress, () => ({ deleted, remaining }));

  const inventory = await retentionInventory.executeWithOptions(
    { summary: `list backups of ${input.cluster}/${input.policy}` },
    [input.cluster, input.policy],
  );
  const entries = inventory.backups.map((b) => ({
    backup: b.backup,
    time: new Date(b.time),
    complete: b.complete,
    oneOff: b.oneOff,
  }));
  // An ACM policy's typed backups are kept or deleted a whole set at a time.
  const bySet = inventory.bySet ? setEntries(entries) : undefined;
  const plan = planRetention(
    bySet?.sets ?? entries,
    inventory.uploads.map((u) => ({ key: u.key, uploadId: u.uploadId, initiated: new Date(u.initiated) })),
    inventory.rules,
    new Date(Date.now()),
  );
  const doomed = plan.backups
    .filter((d) => d.action === 'delete')
    .flatMap((d) => bySet?.members.get(d.backup) ?? [d.backup]);
  const keysOf = new Map(inventory.backups.map((b) => [b.backup, b.keys]));
  remaining = doomed.length;

  phases.enter('deleting');
  for (let i = 0; i < doomed.length; i += DELETE_BATCH) {
    const batch = doomed.slice(i, i + DELETE_BATCH);
    const keys = batch.flatMap((b) => keysOf.get(b) ?? []);
    const manifests = keys.filter(isManifestKey);
    phases.describe(`Deleting ${batch.length} backup(s) of **${input.cluster}/${input.policy}**, ${remaining} left`);
    const summary = `delete ${batch.length} backup(s): ${batch[0]}${batch.length > 1 ? ' ...' : ''}`;
    // Manifests go first, in their own call: an interrupted delete leaves incomplete backups, never a manifest
    // pointing at missing data. Retention removes incomplete ones after the grace period.
    if (manifests.length > 0) {
      await deleteObjects.executeWithOptions({ summary: `${summary} (manifests)` }, [inventory.location, manifests]);
    }
    await deleteObjects.executeWithOptions({ summary: `${summary} (data)` }, [
      inventory.location,
      keys.filter((k) => !isManifestKey(k)),
    ]);
    deleted.push(...batch);
    remaining -= batch.length;
    if (remaining > 0 && workflowInfo().continueAsNewSuggested) {
      // A fresh run re-lists, so it sees exactly what is left.
      return continueAsNew<typeof retention>({ ...input, deletedSoFar: deleted });
    }
  }
  if (plan.abortUploads.length > 0) {
    await abortUploads.executeWithOptions({ summary: `abort ${plan.abortUploads.length} abandoned upload(s)` }, [
      inventory.location,
      plan.abortUploads.map((u) => ({ key: u.key, uploadId: u.uploadId })),
    ]);
  }

  const kept = plan.backups
    .filter((d) => d.action === 'keep')
    .flatMap((d) => bySet?.members.get(d.backup) ?? [d.backup]);
  phases.enter(
    'done',
    `Kept ${kept.length}, deleted ${deleted.length} backup(s) of **${input.cluster}/${input.policy}**`,
  );
  return {
    cluster: input.cluster,
    policy: input.policy,
    kept,
    deleted,
    abortedUploads: plan.abortUploads.length,
    decisions: plan.backups,
  };
}
