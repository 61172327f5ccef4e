import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManagedProcess } from '../../devstack/process.js';
import type { etcdRestore } from '../../workflows/index.js';
import { etcdRestoreProgress } from '../../workflows/etcd-restore-api.js';
import { workerProcess, waitFor } from '../helpers/faults.js';
import {
  backUp,
  clusterState,
  createRestoreTenant,
  createTenantSchedule,
  restoreWorkflowId,
  type RestoreTenant,
} from '../helpers/restore.js';
import { startTestWorker, testSecrets, uniqueName, type TestWorker } from '../helpers/stack.js';

/**
 * The worker dies during each step of a restore in turn. It dies at the worst moment: the step's activity has done
 * its work but the server has not heard of it, so another worker runs that step again. Every restore must still
 * complete with the right data, and nothing done twice may do harm (a control plane "remembered" at 0 replicas, a
 * restore Job re-run into a started member, a schedule left paused).
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
  // verify-revision runs in the workflow itself: the worker dies right after it, before the next step starts.
  ['verify-revision', 'before:markEtcdRestored'],
  ['mark-initialized', 'after:markEtcdRestored'],
  ['unpause-control-plane', 'after:resumeControlPlane'],
  ['resume-schedules', 'after:resumeBackupSchedules'],
];

describe('etcd restore survives a worker killed in each step', { timeout: 600_000 }, () => {
  let tenant: RestoreTenant;
  let tw: TestWorker;
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
  }, 300_000);

  afterAll(async () => {
    await tw?.close();
    await tenant?.dispose();
  });

  it.each(crashPoints)('killed in %s (%s)', async (_step, point) => {
    round += 1;
    const after = `/registry/after-${round}/`;
    const etcd = await tenant.etcd();
    await etcd.put(`${after}x`, 'written after the backup');
    etcd.close();
    const before = await clusterState(tw.client, tenant);

    const taskQueue = uniqueName('crash');
    const doomed = workerProcess(tenant.config, taskQueue, testSecrets(), { crashPoint: point });
    let survivor: ManagedProcess | undefined;
    await doomed.start();
    try {
      const handle = await tw.client.workflow.start<typeof etcdRestore>('etcdRestore', {
        args: [{ cluster: tenant.cluster, backup: 'latest' }],
        taskQueue,
        workflowId: restoreWorkflowId(tenant),
        workflowIdConflictPolicy: 'FAIL',
      });
      await waitFor(
        `the worker to reach ${point}`,
        () => Promise.resolve(readFileSync(doomed.spec.logFile, 'utf8').includes('CRASH POINT') || undefined),
        240_000,
      );
      await doomed.kill();
      survivor = workerProcess(tenant.config, taskQueue, testSecrets(), {});
      await survivor.start();
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
      // The step really was interrupted: its activity ran again on the survivor.
      const history = await handle.fetchHistory();
      const attempts = (history.events ?? []).flatMap((e) =>
        e.activityTaskStartedEventAttributes ? [Number(e.activityTaskStartedEventAttributes.attempt)] : [],
      );
      expect(Math.max(...attempts)).toBeGreaterThanOrEqual(2);
      const progress = await handle.query(etcdRestoreProgress);
      expect(progress.steps.every((s) => s.state === 'done')).toBe(true);
    } finally {
      await doomed.kill().catch(() => undefined);
      await survivor?.stop().catch(() => undefined);
    }
  });
});
