import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManagedProcess } from '../../devstack/process.js';
import type { etcdRestore } from '../../workflows/index.js';
import { approveRestore, etcdRestoreProgress } from '../../workflows/etcd-restore-api.js';
import { frozenAtCrashPoint, identityOf, workerProcess } from '../helpers/faults.js';
import { activityRuns } from '../helpers/histories.js';
import {
  backUp,
  clusterState,
  createRestoreTenant,
  createTenantSchedule,
  restoreWorkflowId,
  waitForProgress,
  type RestoreTenant,
} from '../helpers/restore.js';
import { secretsInHistory, secretsInText, type Secrets } from '../helpers/secrets.js';
import { startTestWorker, testSecrets, uniqueName, type TestWorker } from '../helpers/stack.js';

/**
 * The worker dies during each step of a restore in turn. It dies at the worst moment: the step's activity has done
 * its work but the server has not heard of it, so another worker runs that step again. Every restore must still
 * complete with the right data, and nothing done twice may do harm (a control plane "remembered" at 0 replicas, a
 * restore Job re-run into a started member, a schedule left paused). Each round also proves the kill mattered: the
 * activity the worker died in ran again, on the survivor, after its first attempt timed out.
 */
const crashPoints: [step: string, point: string][] = [
  ['planning', 'after:inspectRestore'],
  ['preflight', 'after:verifyRestoreSource'],
  ['pause-schedules', 'after:pauseBackupSchedules'],
  ['pause-control-plane', 'after:pauseControlPlane'],
  ['scale-etcd-down', 'after:scaleEtcdDown'],
  ['delete-volumes', 'after:deleteMemberVolumes'],
  ['restore-members', 'after:restoreMembers'],
  ['scale-etcd-up', 'after:scaleEtcdUp'],
  ['wait-for-quorum', 'after:waitForQuorum'],
  // verify-revision runs in the workflow itself, in the same workflow task that schedules markEtcdRestored: the
  // worker dies right after it, before the next step's activity does anything. What shows the kill there is that
  // markEtcdRestored's first attempt (on the dead worker) timed out and another worker ran it; that worker rebuilt
  // verify-revision's outcome by replaying the history, which the step list being all done then shows.
  ['verify-revision', 'before:markEtcdRestored'],
  ['mark-initialized', 'after:markEtcdRestored'],
  ['unpause-control-plane', 'after:resumeControlPlane'],
  ['resume-schedules', 'after:resumeBackupSchedules'],
];

type History = temporal.api.history.v1.IHistory;

/** Every update the workflow accepted: its name and the worker whose workflow task accepted it. */
function acceptedUpdates(history: History) {
  const events = history.events ?? [];
  return events.flatMap((e, i) => {
    const accepted = e.workflowExecutionUpdateAcceptedEventAttributes;
    if (!accepted) return [];
    const task = events
      .slice(0, i)
      .reverse()
      .find((t) => t.workflowTaskCompletedEventAttributes)?.workflowTaskCompletedEventAttributes;
    return [{ name: accepted.acceptedRequest?.input?.name, identity: task?.identity }];
  });
}

/** What a round shows: the first attempt ran out its heartbeat timeout on the dead worker; the survivor ran it again. */
function expectRetriedOnSurvivor(history: History, activity: string, survivor: string): void {
  expect(activityRuns(history, activity)).toEqual([
    {
      attempt: expect.any(Number) as number,
      identity: survivor,
      lastTimeout: temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_HEARTBEAT,
    },
  ]);
  expect(activityRuns(history, activity)[0]!.attempt).toBeGreaterThanOrEqual(2);
}

describe('etcd restore survives a worker killed in each step', { timeout: 600_000 }, () => {
  let tenant: RestoreTenant;
  let tw: TestWorker;
  let secrets: Secrets;
  let round = 0;

  beforeAll(async () => {
    tenant = await createRestoreTenant('rcrash');
    // This worker serves the test's own backups; restores run on per-case queues with worker processes.
    tw = await startTestWorker(tenant.config);
    await createTenantSchedule(tw.client, tenant, tw.taskQueue);
    const etcd = await tenant.etcd();
    for (let i = 0; i < 10; i++) await etcd.put(`/registry/kept/${i}`, `v${i}`);
    etcd.close();
    await backUp(tw.client, tenant, tw.taskQueue, '2026-10-01T00:00:00.000Z');
    secrets = await tenant.secrets();
  }, 300_000);

  afterAll(async () => {
    await tw?.close();
    await tenant?.dispose();
  });

  type Handle = WorkflowHandle<typeof etcdRestore>;

  /**
   * One restore on its own task queue: a doomed worker process (frozen at `crashPoint`, if given) until `kill` says
   * it is time, then SIGKILL and a survivor process, then `resume` (what the test does once the survivor runs).
   * Checks what every round must leave: the backup's data, everything unpaused, every step done, no secret in the
   * history or either worker's log. Returns the history and who was who.
   */
  async function crashRound(opts: {
    crashPoint?: string;
    requireApproval?: boolean;
    kill: (handle: Handle, doomed: ManagedProcess) => Promise<unknown>;
    resume?: (handle: Handle) => Promise<unknown>;
  }) {
    round += 1;
    const after = `/registry/after-${round}/`;
    const etcd = await tenant.etcd();
    await etcd.put(`${after}x`, 'written after the backup');
    etcd.close();
    const before = await clusterState(tw.client, tenant);

    const taskQueue = uniqueName('crash');
    const doomed = workerProcess(
      tenant.config,
      taskQueue,
      testSecrets(),
      opts.crashPoint ? { crashPoint: opts.crashPoint } : {},
    );
    let survivor: ManagedProcess | undefined;
    await doomed.start();
    try {
      const doomedId = identityOf(doomed);
      const handle = await tw.client.workflow.start<typeof etcdRestore>('etcdRestore', {
        args: [
          { cluster: tenant.cluster, backup: 'latest', ...(opts.requireApproval ? { requireApproval: true } : {}) },
        ],
        taskQueue,
        workflowId: restoreWorkflowId(tenant),
        workflowIdConflictPolicy: 'FAIL',
      });
      await opts.kill(handle, doomed);
      await doomed.kill();
      survivor = workerProcess(tenant.config, taskQueue, testSecrets(), {});
      await survivor.start();
      const survivorId = identityOf(survivor);
      expect(survivorId).not.toBe(doomedId);
      await opts.resume?.(handle);
      const result = await handle.result();

      // The right data: the backup's keys, none written after it.
      const restored = await tenant.etcd();
      try {
        expect(Object.keys(await restored.prefix('/registry/kept/'))).toHaveLength(10);
        expect(await restored.prefix(after)).toEqual({});
      } finally {
        restored.close();
      }
      expect(result.members).toEqual(['etcd-0', 'etcd-1', 'etcd-2']);
      // Everything as it was, but the volumes (replaced) and the pods (restarted).
      const state = await clusterState(tw.client, tenant);
      expect(state.etcdReplicas).toBe(3);
      expect(state.etcdReady).toBe(3);
      expect(state.apiserverReplicas).toBe(before.apiserverReplicas);
      expect(state.schedulePaused).toBe(false);
      expect(state.apiserverAnnotations).not.toHaveProperty('lifeboat.dev/paused-replicas');
      expect(state.annotations['lifeboat.dev/etcd-cluster-initialized']).toBe('true');
      const progress = await handle.query(etcdRestoreProgress);
      expect(progress.steps.every((s) => s.state === 'done')).toBe(true);

      const history = await handle.fetchHistory();
      // Neither the history nor the logs of the workers (the dead one's included) show a secret.
      expect(await secretsInHistory(history, secrets)).toEqual([]);
      expect([
        ...secretsInText(
          `doomed worker log ${doomed.spec.logFile}`,
          readFileSync(doomed.spec.logFile, 'utf8'),
          secrets,
        ),
        ...secretsInText(`survivor log ${survivor.spec.logFile}`, readFileSync(survivor.spec.logFile, 'utf8'), secrets),
      ]).toEqual([]);
      return { history, progress, doomedId, survivorId };
    } finally {
      await doomed.kill().catch(() => undefined);
      await survivor?.stop().catch(() => undefined);
    }
  }

  /** Waits for the doomed worker to freeze at its crash point. */
  const frozen = (doomed: ManagedProcess, point: string) => frozenAtCrashPoint(doomed, point.split(':')[1]!);

  it.each(crashPoints)('killed in %s (%s)', async (_step, point) => {
    const { history, survivorId } = await crashRound({
      crashPoint: point,
      kill: (_h, doomed) => frozen(doomed, point),
    });
    // The step really was interrupted: the activity the worker died in ran again, on the survivor.
    expectRetriedOnSurvivor(history, point.split(':')[1]!, survivorId);
  });

  it('killed while waiting at the approval gate: a new worker takes the approval and completes', async () => {
    const { history, progress, doomedId, survivorId } = await crashRound({
      requireApproval: true,
      kill: (handle) => waitForProgress(handle, (p) => p.waiting?.for === 'approval'),
      resume: (handle) => handle.executeUpdate(approveRestore, { args: [{ by: 'test' }] }),
    });
    // The dead worker planned and checked the backup, once each; the survivor found the gate by replaying the history
    // (nothing before it ran again), accepted the approval there and ran every step after it.
    for (const activity of ['inspectRestore', 'verifyRestoreSource'])
      expect(activityRuns(history, activity)).toEqual([{ attempt: 1, identity: doomedId, lastTimeout: undefined }]);
    expect(acceptedUpdates(history)).toEqual([{ name: 'approve', identity: survivorId }]);
    expect(activityRuns(history, 'pauseBackupSchedules').map((r) => r.identity)).toEqual([survivorId]);
    expect(progress.approvedBy).toBe('test');
  });

  it('killed just after the approval was accepted (before:pauseBackupSchedules): the survivor does not ask again', async () => {
    const point = 'before:pauseBackupSchedules';
    const { history, progress, doomedId, survivorId } = await crashRound({
      crashPoint: point,
      requireApproval: true,
      kill: async (handle, doomed) => {
        await waitForProgress(handle, (p) => p.waiting?.for === 'approval');
        await handle.executeUpdate(approveRestore, { args: [{ by: 'test' }] });
        await frozen(doomed, point);
      },
    });
    // One approval, taken by the dead worker; the survivor replayed it and went on without waiting at the gate again.
    expect(acceptedUpdates(history)).toEqual([{ name: 'approve', identity: doomedId }]);
    expectRetriedOnSurvivor(history, 'pauseBackupSchedules', survivorId);
    expect(progress.approvedBy).toBe('test');
    expect(progress.steps.find((s) => s.kind === 'approval')).toMatchObject({
      state: 'done',
      title: 'approved by test',
    });
  });
});
