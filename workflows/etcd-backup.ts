import {
  ParentClosePolicy,
  defineQuery,
  proxyActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import {
  ActivityFailure,
  ApplicationFailure,
  TimeoutFailure,
  WorkflowExecutionAlreadyStartedError,
} from '@temporalio/common';
import type { Activities } from '../activities/index.js';
import { DURATION_RULE, parseDuration } from '../core/duration.js';
import { FailureTypes, OutcomeTypes, nonRetryableFailureTypes } from '../core/failure-types.js';
import { failureMessage, rootCause } from '../core/failures.js';
import { etcdManifest, type EtcdBackupManifest } from '../core/manifest.js';
import { backupName, workflowIds } from '../core/naming.js';
import { trackPhases } from './phase.js';
import { retention } from './retention.js';
import {
  LifeboatBackup,
  LifeboatCluster,
  LifeboatKind,
  LifeboatKinds,
  LifeboatPolicy,
  TemporalScheduledStartTime,
} from '../core/search-attributes.js';

export interface EtcdBackupInput {
  cluster: string;
  policy: string;
  /** For one-off backups: the trigger time (ISO-8601) chosen by the caller, so a re-run names the same backup. */
  requestedAt?: string;
  /**
   * Stop retrying the snapshot after this long (a duration such as 10m), e.g. a backup before maintenance that is
   * useless if late. Without it, ten attempts with backoff up to 2 minutes (about 12 minutes).
   */
  giveUpAfter?: string;
}

export type EtcdBackupPhase = 'snapshotting' | 'committing' | 'done';

export interface EtcdBackupProgress {
  backup: string;
  phase: EtcdBackupPhase;
  manifestKey?: string;
}

export const etcdBackupProgress = defineQuery<EtcdBackupProgress>('progress');

const { snapshotToStorage } = proxyActivities<Activities>({
  startToCloseTimeout: '2h',
  heartbeatTimeout: '30s',
  retry: {
    initialInterval: '5s',
    backoffCoefficient: 2,
    maximumInterval: '2m',
    maximumAttempts: 10,
    nonRetryableErrorTypes: nonRetryableFailureTypes,
  },
});
const { writeManifest } = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: {
    initialInterval: '2s',
    maximumInterval: '1m',
    maximumAttempts: 20,
    nonRetryableErrorTypes: nonRetryableFailureTypes,
  },
});

function nominalTime(input: EtcdBackupInput): { time: Date; oneOff: boolean } {
  const scheduled = workflowInfo().typedSearchAttributes.get(TemporalScheduledStartTime);
  if (scheduled) return { time: scheduled, oneOff: false };
  return { time: input.requestedAt ? new Date(input.requestedAt) : workflowInfo().startTime, oneOff: true };
}

/**
 * One etcd backup, as the runbook has it: name it from its nominal time, stream a snapshot from a healthy member
 * into storage, then write the manifest, which is what makes the backup exist.
 */
export async function etcdBackup(input: EtcdBackupInput): Promise<EtcdBackupManifest> {
  const { time, oneOff } = nominalTime(input);
  const backup = backupName(input.policy, time);
  const progress: EtcdBackupProgress = { backup, phase: 'snapshotting' };
  setHandler(etcdBackupProgress, () => progress);
  const phases = trackPhases<EtcdBackupPhase>({
    progress,
    render: (details) => `**${backup}** (${input.cluster}/${input.policy}): ${details}`,
  });
  upsertSearchAttributes([
    { key: LifeboatCluster, value: input.cluster },
    { key: LifeboatPolicy, value: input.policy },
    { key: LifeboatKind, value: LifeboatKinds.etcdBackup },
    { key: LifeboatBackup, value: backup },
  ]);
  const startedAt = new Date(Date.now()).toISOString();

  const giveUpAfterMs = input.giveUpAfter === undefined ? undefined : parseDuration(input.giveUpAfter);
  if (giveUpAfterMs === undefined && input.giveUpAfter !== undefined) {
    throw ApplicationFailure.create({
      type: FailureTypes.InvalidConfig,
      nonRetryable: true,
      message: `giveUpAfter "${input.giveUpAfter}" is not a duration: use ${DURATION_RULE}`,
    });
  }

  phases.enter('snapshotting', 'streaming a snapshot from a healthy member into storage');
  const snapshot = await snapshotToStorage
    .executeWithOptions(
      {
        summary: `snapshot ${input.cluster} to storage as ${backup}`,
        ...(giveUpAfterMs !== undefined ? { scheduleToCloseTimeout: giveUpAfterMs } : {}),
      },
      [{ cluster: input.cluster, policy: input.policy, backup }],
    )
    .catch((err: unknown) => {
      throw gaveUp(err, input, backup);
    });

  phases.enter('committing', `writing the manifest for ${snapshot.key}`);
  const info = workflowInfo();
  const manifest = etcdManifest({
    cluster: input.cluster,
    policy: input.policy,
    backup,
    nominalTime: time,
    oneOff,
    startedAt,
    completedAt: new Date(Date.now()).toISOString(),
    snapshot,
    createdBy: { workflowId: info.workflowId, runId: info.runId },
  });
  progress.manifestKey = await writeManifest.executeWithOptions({ summary: `commit ${backup}: write its manifest` }, [
    manifest,
    snapshot.location,
  ]);

  phases.enter('done', `stored ${snapshot.stored.bytes} bytes at revision ${snapshot.member.revision}`);
  await startRetention(input.cluster, input.policy);
  return manifest;
}

/** Every new backup may push an old one out: start the policy's retention sweep, unless one is already running. */
async function startRetention(cluster: string, policy: string): Promise<void> {
  try {
    await startChild(retention, {
      args: [{ cluster, policy }],
      workflowId: workflowIds.retention(cluster, policy),
      parentClosePolicy: ParentClosePolicy.ABANDON,
      staticSummary: `retention of ${cluster}/${policy} after a backup`,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

/**
 * giveUpAfter ran out: one clear failure that says for how long it tried and what the last attempt met (the
 * schedule-to-close timeout carries that attempt's failure as its cause). Other failures pass as they are.
 */
function gaveUp(err: unknown, input: EtcdBackupInput, backup: string): unknown {
  // The server stops retrying when the next attempt would start after the deadline (retry state TIMEOUT), or the
  // deadline passes during one (a TimeoutFailure whose cause is the attempt before).
  if (!(err instanceof ActivityFailure) || err.retryState !== 'TIMEOUT') return err;
  const last = rootCause(err) instanceof TimeoutFailure ? 'no attempt finished in time' : failureMessage(err);
  return ApplicationFailure.create({
    type: OutcomeTypes.BackupGaveUp,
    nonRetryable: true,
    message: `backup ${backup} of ${input.cluster}/${input.policy} gave up after ${input.giveUpAfter}: ${last}`,
    cause: err,
  });
}
