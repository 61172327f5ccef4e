import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  condition,
  isCancellation,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { nonRetryableFailureTypes } from '../core/failure-types.js';
import {
  checkRestoredRevision,
  planFromInspection,
  preflightCheck,
  revisionBump,
  type RestoreStepKind,
} from '../core/restore-plan.js';
import {
  LifeboatBackup,
  LifeboatCluster,
  LifeboatKind,
  LifeboatKinds,
  LifeboatPhase,
} from '../core/search-attributes.js';
import {
  abortRestore,
  approveRestore,
  etcdRestoreProgress,
  retryRestore,
  type EtcdRestoreProgress,
  type EtcdRestoreRequest,
  type EtcdRestoreResult,
  type OperatorDecision,
  type RestorePhase,
  type RestoreStepProgress,
} from './etcd-restore-api.js';

export * from './etcd-restore-api.js';

const retry = {
  initialInterval: '2s',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  maximumAttempts: 5,
  nonRetryableErrorTypes: nonRetryableFailureTypes,
};
// Every activity heartbeats or ends well within its heartbeat timeout, so a killed worker's step is picked up by
// another worker within seconds rather than at its start-to-close timeout.
// A cancelled step is waited for until its activity has stopped: a rollback must not race the step it undoes.
const cancellationType = ActivityCancellationType.WAIT_CANCELLATION_COMPLETED;
const quick = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  heartbeatTimeout: '15s',
  retry,
  cancellationType,
});
const long = proxyActivities<Activities>({
  startToCloseTimeout: '1h',
  heartbeatTimeout: '15s',
  retry,
  cancellationType,
});
// Undoing must not give up after five tries: a cluster left half-paused is worse than a late rollback.
const undo = proxyActivities<Activities>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '15s',
  retry: { ...retry, maximumInterval: '1m', maximumAttempts: 60 },
});

/**
 * The etcd restore, as the runbook has it (design.md, "The etcd restore, step by step"): check the backup, wait for
 * approval if asked, pause everything that writes, stop etcd, replace its volumes with the backup's data, start it,
 * check it, and unpause. Until the volumes are deleted every failure is undone; after that the workflow does not
 * give up: it retries, then waits for an operator to say `retry` or `abort`.
 */
export async function etcdRestore(request: EtcdRestoreRequest): Promise<EtcdRestoreResult> {
  const progress: EtcdRestoreProgress = { cluster: request.cluster, phase: 'planning', steps: [] };
  let approval: OperatorDecision | undefined;
  let decision: ({ action: 'retry' | 'abort' } & OperatorDecision) | undefined;
  setHandler(etcdRestoreProgress, () => progress);
  setHandler(
    approveRestore,
    (by) => {
      approval = by;
      progress.approvedBy = by.by;
      return `approved by ${by.by}`;
    },
    {
      validator: (_decision: OperatorDecision) => {
        if (progress.waiting?.for !== 'approval') throw new Error('this restore is not waiting for approval');
      },
      description: 'Approve the restore waiting at its approval gate: { by }',
    },
  );
  const operatorUpdate = (action: 'retry' | 'abort') => (by: OperatorDecision) => {
    decision = { action, ...by };
    return `${action} requested by ${by.by}`;
  };
  setHandler(retryRestore, operatorUpdate('retry'), {
    validator: (_decision: OperatorDecision) => {
      if (progress.waiting?.for !== 'operator') throw new Error('no step is waiting for an operator to retry it');
    },
    description: 'Run the failed step again: { by }',
  });
  setHandler(abortRestore, operatorUpdate('abort'), {
    validator: (_decision: OperatorDecision) => {
      if (!progress.waiting) throw new Error('this restore is not waiting for an operator; cancel it instead');
    },
    description: 'End the restore (after the point of no return the cluster stays paused): { by, reason? }',
  });

  const enter = (phase: RestorePhase) => {
    progress.phase = phase;
    upsertSearchAttributes([{ key: LifeboatPhase, value: phase }]);
    setCurrentDetails(renderDetails(progress));
  };
  upsertSearchAttributes([
    { key: LifeboatCluster, value: request.cluster },
    { key: LifeboatKind, value: LifeboatKinds.etcdRestore },
  ]);
  enter('planning');

  // 0. Plan: which backup, which members, what will be touched.
  const inspection = await quick.inspectRestore
    .executeWithOptions(
      { summary: `plan the restore of ${request.cluster}`, startToCloseTimeout: '2m', heartbeatTimeout: '15s' },
      [request],
    )
    .catch((err: unknown) => {
      throw refused(request.cluster, 'planning', err);
    });
  const { source, layout } = inspection;
  progress.backup = source.backup;
  upsertSearchAttributes([{ key: LifeboatBackup, value: source.backup }]);
  const plan = planFromInspection(request.cluster, inspection, Boolean(request.requireApproval));
  const requireApproval = plan.some((s) => s.kind === 'approval');
  progress.steps = plan.map((s) => ({ ...s, state: 'pending' }));
  const step = (kind: RestoreStepKind) => progress.steps.find((s) => s.kind === kind);

  /** Runs one step with its bookkeeping: state, times, phase and the UI's current details. */
  async function run<T>(kind: RestoreStepKind, action: () => Promise<T>): Promise<T> {
    const entry = step(kind);
    if (!entry) throw new Error(`step ${kind} is not in the plan`);
    entry.state = 'running';
    entry.startedAt = new Date(Date.now()).toISOString();
    delete entry.error;
    enter(kind);
    try {
      const result = await action();
      entry.state = 'done';
      entry.endedAt = new Date(Date.now()).toISOString();
      return result;
    } catch (err) {
      entry.state = 'failed';
      entry.endedAt = new Date(Date.now()).toISOString();
      entry.error = failureMessage(err);
      progress.lastError = entry.error;
      throw err;
    }
  }

  // 1. Preflight: nothing is touched unless the backup is intact.
  const check = preflightCheck(inspection);
  await run('preflight', () =>
    long.verifyRestoreSource.executeWithOptions(
      {
        summary:
          check === 'store-checksum'
            ? `verify ${source.key}: the store's checksum against the manifest (the whole object if they differ)`
            : `verify ${source.key}: read all ${source.bytes} bytes, check sha256`,
        startToCloseTimeout: '1h',
        heartbeatTimeout: '15s',
      },
      [source, check],
    ),
  ).catch((err: unknown) => {
    throw refused(request.cluster, 'preflight', err);
  });

  // 2. Approval gate.
  if (requireApproval) {
    const entry = step('approval')!;
    entry.state = 'waiting';
    entry.startedAt = new Date(Date.now()).toISOString();
    progress.waiting = {
      for: 'approval',
      hint: `lifeboat restore approve ${request.cluster}   (or abort: lifeboat restore abort ${request.cluster})`,
    };
    enter('waiting-for-approval');
    const answered = await condition(
      () => approval !== undefined || decision?.action === 'abort',
      inspection.settings.approvalTimeout,
    );
    delete progress.waiting;
    entry.endedAt = new Date(Date.now()).toISOString();
    if (!approval) {
      entry.state = 'failed';
      entry.error = answered
        ? `aborted by ${decision!.by}${decision!.reason ? ` (${decision!.reason})` : ''}`
        : `not approved within ${inspection.settings.approvalTimeout}`;
      enter('aborted');
      throw ApplicationFailure.create({
        type: answered ? 'RestoreAborted' : 'ApprovalTimedOut',
        nonRetryable: true,
        message: `restore of ${request.cluster} ${entry.error}; nothing was changed`,
      });
    }
    entry.state = 'done';
    entry.title = `approved by ${approval.by}`;
  }

  // 3-4a. Pause what writes and stop etcd: each of these has an undo, run in reverse if anything fails or the
  // workflow is cancelled before the volumes are gone.
  const undos: { kind: RestoreStepKind; action: () => Promise<unknown> }[] = [];
  let pausedSchedules: string[] = [];
  try {
    await run('pause-schedules', async () => {
      pausedSchedules = await quick.pauseBackupSchedules.executeWithOptions(
        {
          summary: `pause the backup schedules of ${request.cluster}`,
          startToCloseTimeout: '2m',
          heartbeatTimeout: '15s',
        },
        [{ cluster: request.cluster, scheduleIds: inspection.schedules }],
      );
      undos.push({
        kind: 'pause-schedules',
        action: () => undo.resumeBackupSchedules({ cluster: request.cluster, scheduleIds: pausedSchedules }),
      });
    });
    if (inspection.apiserver) {
      await run('pause-control-plane', async () => {
        await long.pauseControlPlane.executeWithOptions(
          {
            summary: `scale the control plane of ${request.cluster} to 0`,
            startToCloseTimeout: '15m',
            heartbeatTimeout: '15s',
          },
          [{ cluster: request.cluster }],
        );
        undos.push({
          kind: 'pause-control-plane',
          action: () => undo.resumeControlPlane({ cluster: request.cluster }),
        });
      });
    }
    await run('scale-etcd-down', async () => {
      // Registered first: a scale-down that fails half-way is undone too.
      undos.push({
        kind: 'scale-etcd-down',
        action: () => undo.scaleEtcdUp({ cluster: request.cluster, members: layout.members.length, release: true }),
      });
      await long.scaleEtcdDown.executeWithOptions(
        { summary: `scale etcd of ${request.cluster} to 0`, startToCloseTimeout: '15m', heartbeatTimeout: '15s' },
        [{ cluster: request.cluster, members: layout.members.length }],
      );
    });
    // A cancellation that arrived while the last step was finishing still counts: never cross into the point of no
    // return with a cancel pending.
    if (CancellationScope.current().consideredCancelled)
      throw new CancelledFailure('cancelled before the point of no return');
  } catch (err) {
    enter('rolling-back');
    await CancellationScope.nonCancellable(async () => {
      for (const { kind, action } of undos.reverse()) {
        await action();
        const entry = step(kind);
        if (entry) entry.state = 'rolled-back';
      }
    });
    enter('rolled-back');
    throw ApplicationFailure.create({
      type: 'RestoreRolledBack',
      nonRetryable: true,
      message:
        `restore of ${request.cluster} ${isCancellation(err) ? 'was cancelled' : `failed before the point of no return: ${failureMessage(err)}`}. ` +
        'Everything it paused was resumed; etcd and its data are as they were.',
      cause: err instanceof Error ? err : undefined,
    });
  }

  // 4b-7. Past the point of no return: the old data goes. A step that keeps failing waits for an operator.
  let generation = 0;
  async function durable<T>(kind: RestoreStepKind, action: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await run(kind, action);
      } catch (err) {
        if (isCancellation(err)) throw aborted(kind, 'the workflow was cancelled');
        decision = undefined;
        progress.waiting = {
          for: 'operator',
          hint: `lifeboat restore retry ${request.cluster}   or   lifeboat restore abort ${request.cluster}`,
        };
        step(kind)!.state = 'waiting';
        enter('waiting-for-operator');
        try {
          await condition(() => decision !== undefined);
        } catch (cancelled) {
          if (isCancellation(cancelled)) throw aborted(kind, 'the workflow was cancelled');
          throw cancelled;
        } finally {
          delete progress.waiting;
        }
        if (decision!.action === 'abort')
          throw aborted(kind, `aborted by ${decision!.by}${decision!.reason ? ` (${decision!.reason})` : ''}`);
        generation += 1;
      }
    }
  }
  function aborted(kind: RestoreStepKind, why: string): ApplicationFailure {
    const entry = step(kind);
    if (entry) entry.state = 'failed';
    enter('aborted');
    const paused = [
      `etcd StatefulSet ${layout.namespace}/${layout.statefulSet} is held at 0 replicas (${layout.members.length} members)`,
      ...(inspection.apiserver
        ? [
            `Deployment ${inspection.apiserver.namespace}/${inspection.apiserver.name} is at 0 (it had ${inspection.apiserver.replicas})`,
          ]
        : []),
      ...(pausedSchedules.length > 0 ? [`schedules ${pausedSchedules.join(', ')} are paused`] : []),
    ];
    return ApplicationFailure.create({
      type: 'RestoreAborted',
      nonRetryable: true,
      message:
        `restore of ${request.cluster} stopped at "${kind}" after the point of no return: ${why}. ` +
        `The cluster stays paused: ${paused.join('; ')}. Last error: ${progress.lastError ?? 'none'}. ` +
        `Fix the cause, then run "lifeboat restore etcd --cluster ${request.cluster} --backup ${request.from ? '…' : source.backup}" again: ` +
        'it restores into the same members and unpauses everything when it completes.',
    });
  }

  const runId = workflowInfo().runId;
  await durable('delete-volumes', () =>
    long.deleteMemberVolumes.executeWithOptions(
      {
        summary: `delete the volumes of ${layout.members.length} etcd members`,
        startToCloseTimeout: '15m',
        heartbeatTimeout: '15s',
      },
      [{ cluster: request.cluster, claims: layout.members.map((m) => m.claim) }],
    ),
  );
  const bump = inspection.settings.bumpRevision
    ? revisionBump(
        BigInt(source.revision ?? '0'),
        inspection.liveRevision ? BigInt(inspection.liveRevision) : undefined,
      )
    : 0n;
  const restored = await durable('restore-members', () =>
    long.restoreMembers.executeWithOptions(
      {
        summary: `restore ${layout.members.length} members from ${source.backup}`,
        startToCloseTimeout: '2h',
        heartbeatTimeout: '15s',
      },
      [{ cluster: request.cluster, restoreId: runId, generation, source, layout, bumpRevision: bump.toString() }],
    ),
  );
  await durable('scale-etcd-up', () =>
    quick.scaleEtcdUp.executeWithOptions(
      {
        summary: `scale etcd of ${request.cluster} back to ${layout.members.length}`,
        startToCloseTimeout: '2m',
        heartbeatTimeout: '15s',
      },
      [{ cluster: request.cluster, members: layout.members.length, release: false }],
    ),
  );
  const quorum = await durable('wait-for-quorum', () =>
    long.waitForQuorum.executeWithOptions(
      {
        summary: `wait for ${layout.members.length} ready members and quorum`,
        startToCloseTimeout: '30m',
        heartbeatTimeout: '15s',
      },
      [{ cluster: request.cluster, members: layout.members.map((m) => m.name) }],
    ),
  );
  const expected = BigInt(restored.snapshotRevision) + bump;
  await durable('verify-revision', () => {
    const check = checkRestoredRevision(expected, BigInt(quorum.revision));
    return check.ok
      ? Promise.resolve()
      : Promise.reject(
          ApplicationFailure.create({ type: 'RevisionMismatch', nonRetryable: true, message: check.error }),
        );
  });
  await durable('mark-initialized', () =>
    quick.markEtcdRestored.executeWithOptions(
      { summary: `mark etcd of ${request.cluster} initialized`, startToCloseTimeout: '2m', heartbeatTimeout: '15s' },
      [{ cluster: request.cluster, backup: source.backup, revision: quorum.revision }],
    ),
  );
  if (inspection.apiserver) {
    await durable('unpause-control-plane', () =>
      quick.resumeControlPlane.executeWithOptions(
        {
          summary: `scale the control plane of ${request.cluster} back`,
          startToCloseTimeout: '2m',
          heartbeatTimeout: '15s',
        },
        [{ cluster: request.cluster }],
      ),
    );
  }
  await durable('resume-schedules', () =>
    quick.resumeBackupSchedules.executeWithOptions(
      {
        summary: `resume the backup schedules of ${request.cluster}`,
        startToCloseTimeout: '2m',
        heartbeatTimeout: '15s',
      },
      [{ cluster: request.cluster, scheduleIds: pausedSchedules }],
    ),
  );
  enter('completed');
  return {
    cluster: request.cluster,
    backup: source.backup,
    revision: quorum.revision,
    members: quorum.members,
    steps: progress.steps,
  };
}

/** A restore that ends before touching anything: the cause's type and message, and that nothing changed. */
function refused(cluster: string, stage: string, err: unknown): unknown {
  if (isCancellation(err)) return err;
  const cause = (err as { cause?: { type?: string } }).cause;
  const message = failureMessage(err);
  return ApplicationFailure.create({
    type: cause?.type ?? 'RestoreRefused',
    nonRetryable: true,
    message: `restore of ${cluster} refused in ${stage}: ${message}${/nothing was changed/i.test(message) ? '' : ' Nothing was changed.'}`,
  });
}

function failureMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // An activity failure wraps the activity's own error: that one says what went wrong.
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error && cause.message ? cause.message : err.message;
}

const stateMarks: Record<RestoreStepProgress['state'], string> = {
  pending: '·',
  running: '▶',
  done: '✓',
  failed: '✗',
  waiting: '⏸',
  'rolled-back': '↩',
};

/** The UI's "current details": the runbook with each step's state. */
function renderDetails(progress: EtcdRestoreProgress): string {
  const lines = [`**Restore of ${progress.cluster}** from ${progress.backup ?? '(planning)'}: ${progress.phase}`, ''];
  for (const s of progress.steps) {
    lines.push(
      `${stateMarks[s.state]} ${s.kind}: ${s.title}${s.pointOfNoReturn && s.kind === 'delete-volumes' ? ' (point of no return)' : ''}`,
    );
    if (s.error) lines.push(`    error: ${s.error}`);
  }
  if (progress.waiting) lines.push('', `Waiting for ${progress.waiting.for}: ${progress.waiting.hint}`);
  return lines.join('\n');
}
