import {
  ActivityCancellationType,
  ApplicationFailure,
  proxyActivities,
  upsertSearchAttributes,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { PreflightMode } from '../core/config/schema.js';
import { FailureTypes } from '../core/failure-types.js';
import {
  checkRestoredRevision,
  planFromInspection,
  preflightCheck,
  plannedBump,
  strandedRestore,
  type RestoreStepKind,
} from '../core/restore-plan.js';
import { LifeboatBackup, LifeboatCluster, LifeboatKind, LifeboatKinds } from '../core/search-attributes.js';
import {
  etcdRestoreProgress,
  type EtcdRestoreProgress,
  type EtcdRestoreRequest,
  type EtcdRestoreResult,
} from './etcd-restore-api.js';
import { restoreActivityRetry } from './restore-retry.js';
import { Runbook, type RunbookTexts } from './runbook.js';

export * from './etcd-restore-api.js';

const retry = restoreActivityRetry;
// Every activity heartbeats or ends well within its heartbeat timeout, so a killed worker's step is picked up by
// another worker within seconds rather than at its start-to-close timeout.
const heartbeating: ActivityOptions = { heartbeatTimeout: '15s', retry };
// A cancelled step is waited for until its activity has stopped: a rollback must not race the step it undoes.
const step: ActivityOptions = {
  ...heartbeating,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
};
const quick = proxyActivities<Activities>({ ...step, startToCloseTimeout: '2m' });
// Steps that wait for pods or Jobs; the few that take longer say so at their call.
const long = proxyActivities<Activities>({ ...step, startToCloseTimeout: '15m' });
// Undoing must not give up after five tries: a cluster left half-paused is worse than a late rollback.
const undo = proxyActivities<Activities>({
  ...heartbeating,
  startToCloseTimeout: '10m',
  retry: { ...retry, maximumInterval: '1m', maximumAttempts: 60 },
});

/**
 * The etcd restore, as the runbook has it (ARCHITECTURE.md, "The runbook engine"): check the backup, wait for
 * approval if asked, pause everything that writes, stop etcd, replace its volumes with the backup's data, start it,
 * check it, and unpause. Until delete-volumes every failure is undone; from it on the workflow does not give up: it
 * retries, then waits for an operator to say `retry` or `abort` (workflows/runbook.ts).
 */
export async function etcdRestore(request: EtcdRestoreRequest): Promise<EtcdRestoreResult> {
  const { cluster } = request;
  const progress: EtcdRestoreProgress = { cluster, phase: 'planning', steps: [] };
  const runbook = new Runbook<RestoreStepKind, EtcdRestoreProgress>(etcdRestoreProgress, progress, texts(cluster));
  runbook.begin([
    { key: LifeboatCluster, value: cluster },
    { key: LifeboatKind, value: LifeboatKinds.etcdRestore },
  ]);

  // Plan: which backup, which members, what will be touched.
  const inspection = await runbook.refusing('planning', () =>
    quick.inspectRestore.executeWithOptions({ summary: `plan the restore of ${cluster}` }, [request]),
  );
  const { source, layout } = inspection;
  const members = layout.members.length;
  progress.backup = source.backup;
  upsertSearchAttributes([{ key: LifeboatBackup, value: source.backup }]);
  let pausedSchedules: string[] = [];
  runbook.plan(planFromInspection(cluster, inspection, Boolean(request.requireApproval)), {
    rolledBack: 'Everything it paused was resumed; etcd and its data are as they were.',
    stranded: () => strandedRestore(request, inspection, pausedSchedules),
  });

  // Nothing is touched unless the backup is intact, and (if asked) an operator approved.
  const check = preflightCheck(inspection);
  await runbook.check('preflight', () =>
    long.verifyRestoreSource.executeWithOptions(
      { summary: preflightSummary(source, check), startToCloseTimeout: '1h' },
      [source, check],
    ),
  );
  await runbook.gate('approval', inspection.settings.approvalTimeout);

  // Pause what writes and stop etcd, each with its undo.
  pausedSchedules = await runbook.change(
    'pause-schedules',
    () =>
      quick.pauseBackupSchedules.executeWithOptions({ summary: `pause the backup schedules of ${cluster}` }, [
        { cluster, scheduleIds: inspection.schedules },
      ]),
    { undo: (scheduleIds) => undo.resumeBackupSchedules({ cluster, scheduleIds }) },
  );
  if (inspection.apiserver) {
    await runbook.change(
      'pause-control-plane',
      () =>
        long.pauseControlPlane.executeWithOptions({ summary: `scale the control plane of ${cluster} to 0` }, [
          { cluster },
        ]),
      { undo: () => undo.resumeControlPlane({ cluster }) },
    );
  }
  await runbook.change(
    'scale-etcd-down',
    () => long.scaleEtcdDown.executeWithOptions({ summary: `scale etcd of ${cluster} to 0` }, [{ cluster, members }]),
    { undoEvenIfFailed: () => undo.scaleEtcdUp({ cluster, members, release: true }) },
  );

  // delete-volumes is the point of no return: the old data goes.
  await runbook.change('delete-volumes', () =>
    long.deleteMemberVolumes.executeWithOptions({ summary: `delete the volumes of ${members} etcd members` }, [
      { cluster, claims: layout.members.map((m) => m.claim) },
    ]),
  );
  const bump = plannedBump(inspection);
  const restoreId = workflowInfo().runId;
  const restored = await runbook.change('restore-members', () =>
    long.restoreMembers.executeWithOptions(
      { summary: `restore ${members} members from ${source.backup}`, startToCloseTimeout: '2h' },
      [{ cluster, restoreId, generation: runbook.retries, source, layout, bumpRevision: bump.toString() }],
    ),
  );
  await runbook.change('scale-etcd-up', () =>
    quick.scaleEtcdUp.executeWithOptions({ summary: `scale etcd of ${cluster} back to ${members}` }, [
      { cluster, members, release: false },
    ]),
  );
  const quorum = await runbook.change('wait-for-quorum', () =>
    long.waitForQuorum.executeWithOptions(
      { summary: `wait for ${members} ready members and quorum`, startToCloseTimeout: '30m' },
      [{ cluster, members: layout.members.map((m) => m.name) }],
    ),
  );
  await runbook.change('verify-revision', () =>
    verifyRevision(BigInt(restored.snapshotRevision) + bump, BigInt(quorum.revision)),
  );
  await runbook.change('mark-initialized', () =>
    quick.markEtcdRestored.executeWithOptions({ summary: `mark etcd of ${cluster} initialized` }, [
      { cluster, backup: source.backup, revision: quorum.revision },
    ]),
  );
  if (inspection.apiserver) {
    await runbook.change('unpause-control-plane', () =>
      quick.resumeControlPlane.executeWithOptions({ summary: `scale the control plane of ${cluster} back` }, [
        { cluster },
      ]),
    );
  }
  await runbook.change('resume-schedules', () =>
    quick.resumeBackupSchedules.executeWithOptions({ summary: `resume the backup schedules of ${cluster}` }, [
      { cluster, scheduleIds: pausedSchedules },
    ]),
  );
  runbook.complete();
  return { cluster, backup: source.backup, revision: quorum.revision, members: quorum.members, steps: progress.steps };
}

function verifyRevision(expected: bigint, live: bigint): Promise<void> {
  const check = checkRestoredRevision(expected, live);
  return check.ok
    ? Promise.resolve()
    : Promise.reject(
        ApplicationFailure.create({ type: FailureTypes.RevisionMismatch, nonRetryable: true, message: check.error }),
      );
}

/** What the runbook says to people: failure messages start with the subject, the hints are the CLI's commands. */
function texts(cluster: string): RunbookTexts<EtcdRestoreProgress> {
  return {
    subject: `restore of ${cluster}`,
    heading: (p) => `**Restore of ${cluster}** from ${p.backup ?? '(planning)'}: ${p.phase}`,
    hints: {
      approval: `lifeboat restore approve ${cluster}   (or abort: lifeboat restore abort ${cluster})`,
      operator: `lifeboat restore retry ${cluster}   or   lifeboat restore abort ${cluster}`,
    },
  };
}

function preflightSummary(source: { key: string; bytes: number }, check: PreflightMode): string {
  return check === 'store-checksum'
    ? `verify ${source.key}: the store's checksum against the manifest (the whole object if they differ)`
    : `verify ${source.key}: read all ${source.bytes} bytes, check sha256`;
}
