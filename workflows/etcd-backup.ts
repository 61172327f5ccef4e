import { defineQuery, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/common';
import type { Activities } from '../activities/index.js';
import { DURATION_RULE, parseDuration } from '../core/duration.js';
import { FailureTypes, OutcomeTypes } from '../core/failure-types.js';
import { failureMessage, rootCause } from '../core/failures.js';
import { etcdManifest } from '../core/manifest-build.js';
import type { EtcdBackupManifest } from '../core/manifest.js';
import { backupName } from '../core/naming.js';
import { commitRetry, nominalTime, startRetention, uploadRetry } from './backup-run.js';
import { trackPhases } from './phase.js';
import {
  LifeboatBackup,
  LifeboatCluster,
  LifeboatKind,
  LifeboatKinds,
  LifeboatPolicy,
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
  retry: uploadRetry,
});
const { writeManifest } = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: commitRetry,
});

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
