import {
  ApplicationFailure,
  executeChild,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { OutcomeTypes } from '../core/failure-types.js';
import { acmTypedPolicy, backupName, workflowIds } from '../core/naming.js';
import {
  LifeboatBackup,
  LifeboatCluster,
  LifeboatKind,
  LifeboatKinds,
  LifeboatPaused,
  LifeboatPolicy,
} from '../core/search-attributes.js';
import {
  acmBackupProgress,
  type AcmBackupInput,
  type AcmBackupPhase,
  type AcmBackupProgress,
} from './acm-backup-api.js';
import { commitRetry, nominalTime, startRetention } from './backup-run.js';
import { trackPhases } from './phase.js';
import { resourceBackup } from './resource-backup.js';

const { planHubBackup, pauseHubBackupSchedule, labelHubCredentials } = proxyActivities<Activities>({
  startToCloseTimeout: '5m',
  heartbeatTimeout: '1m',
  retry: commitRetry,
});

/** Histories recorded before the typed backups ran at once take them one after the other (Temporal's patching). */
const TYPED_BACKUPS_AT_ONCE = 'acm-typed-backups-at-once';

/**
 * One ACM hub backup set, as the cluster-backup-operator takes it: read the hub (its id, what each type selects), stop
 * if another hub writes into the same history (pause the schedule, say why), label the credentials the operator
 * labels, then take the typed backups — credentials, managed clusters, generic resources, resources; the operator
 * creates their Velero Backups together, which Velero's server then runs one after another, and Lifeboat runs them at
 * once — each a resource backup of the hub named `<policy>-<type>-<time>` and tagged with its type, set and hub; then
 * retention, by whole sets.
 */
export async function acmBackup(input: AcmBackupInput): Promise<AcmBackupProgress> {
  const { cluster, policy } = input;
  const { time, oneOff } = nominalTime(input);
  const set = time.toISOString();
  const progress: AcmBackupProgress = { set, phase: 'planning', typed: [], skipped: [] };
  setHandler(acmBackupProgress, () => progress);
  const setName = backupName(policy, time);
  const heading = `**${setName}** (${cluster}/${policy})`;
  const phases = trackPhases<AcmBackupPhase>({
    progress,
    render: (details) => (details === undefined ? undefined : `${heading}: ${details}`),
  });

  phases.enter('planning', 'reading the hub: its id, its API groups, what each backup type selects', [
    { key: LifeboatCluster, value: cluster },
    { key: LifeboatPolicy, value: policy },
    { key: LifeboatKind, value: LifeboatKinds.acmBackup },
    { key: LifeboatBackup, value: setName },
  ]);
  const plan = await planHubBackup.executeWithOptions({ summary: `read hub ${cluster} and plan set ${set}` }, [
    { cluster, policy },
  ]);
  progress.hub = plan.hub;
  progress.skipped = plan.skipped;

  if (plan.collision) {
    phases.enter('collision', plan.collision);
    upsertSearchAttributes([{ key: LifeboatPaused, value: plan.collision }]);
    await pauseHubBackupSchedule.executeWithOptions({ summary: 'pause the schedule: another hub writes here' }, [
      { cluster, policy, note: plan.collision },
    ]);
    throw ApplicationFailure.create({
      type: OutcomeTypes.BackupCollision,
      message: plan.collision,
      nonRetryable: true,
    });
  }

  phases.enter('labelling', 'labelling the credentials the backup must hold, as the operator does');
  progress.labels = await labelHubCredentials.executeWithOptions(
    { summary: `label the credentials of hub ${cluster}` },
    [{ cluster, policy }],
  );

  phases.enter('backing-up', `${plan.typed.length} typed backups of hub ${plan.hub}`);
  const typedBackups = plan.typed.map((typed) => {
    const typedPolicy = acmTypedPolicy(policy, typed.type);
    const backup = backupName(typedPolicy, time);
    const result = { type: typed.type, backup };
    return {
      result,
      run: async () => {
        const manifest = await executeChild(resourceBackup, {
          workflowId: workflowIds.resourceBackup(cluster, typedPolicy, backup),
          staticSummary: `${typed.type} backup of hub ${cluster} (${policy}), set ${set}`,
          args: [
            {
              cluster,
              policy: typedPolicy,
              acm: {
                tag: { policy, type: typed.type, set, hub: plan.hub },
                oneOff,
                filters: typed.filters,
                excludedItems: typed.excludedItems,
              },
            },
          ],
        });
        Object.assign(result, { outcome: manifest.outcome, items: manifest.counts.items });
      },
    };
  });
  if (patched(TYPED_BACKUPS_AT_ONCE)) {
    // All at once: each typed backup's fixed steps (its plan, manifest, Velero record) overlap the others' listing.
    // Every one runs to its end even when another fails, so the set holds every type that could be taken.
    progress.typed.push(...typedBackups.map((t) => t.result));
    phases.describe(`${heading}: ${plan.typed.map((t) => t.type).join(', ')} backups at once`);
    const outcomes = await Promise.allSettled(typedBackups.map((t) => t.run()));
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) throw failed.reason;
  } else {
    for (const typed of typedBackups) {
      progress.typed.push(typed.result);
      phases.describe(
        `${heading}: ${typed.result.type} backup ${typed.result.backup} (${progress.typed.length} of ${plan.typed.length})`,
      );
      await typed.run();
    }
  }

  const items = progress.typed.reduce((sum, t) => sum + (t.items ?? 0), 0);
  phases.enter('done', `${progress.typed.length} typed backups of hub ${plan.hub}, ${items} items`);
  await startRetention(cluster, policy);
  return progress;
}
