import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  INITIALIZED_ANNOTATION,
  RESTORED_FROM_ANNOTATION,
  RESTORE_REPLICAS_ANNOTATION,
} from '../../core/restore-annotations.js';
import { REVISION_SLACK } from '../../core/restore-plan.js';
import { LifeboatBackup, LifeboatCluster, LifeboatKind, LifeboatPhase } from '../../core/search-attributes.js';
import type { etcdRestore } from '../../workflows/index.js';
import { etcdRestoreProgress, approveRestore, abortRestore } from '../../workflows/etcd-restore-api.js';
import {
  backUp,
  clusterState,
  createRestoreTenant,
  createTenantSchedule,
  restoreWorkflowId,
  waitForProgress,
  type RestoreTenant,
} from '../helpers/restore.js';
import { startTestWorker, type TestWorker } from '../helpers/stack.js';
import { recordHistory } from '../helpers/histories.js';
import { waitFor } from '../helpers/kube.js';
import { workflowIds } from '../../core/naming.js';

// The restore on the local stack: a real three-member etcd StatefulSet with real PVCs, real restore Jobs run by the
// node agent, a real S3 server and the real Temporal server.
describe('etcd restore of a StatefulSet-hosted tenant', { timeout: 600_000 }, () => {
  let tenant: RestoreTenant;
  let tw: TestWorker;
  let lastBackupKey: string;

  beforeAll(async () => {
    tenant = await createRestoreTenant('restore', {
      variants: [{ suffix: 'gated', restore: { requireApproval: true, approvalTimeout: '3s' } }],
    });
    tw = await startTestWorker(tenant.config);
    await createTenantSchedule(tw.client, tenant, tw.taskQueue);
  }, 300_000);

  afterAll(async () => {
    await tw?.close();
    await tenant?.dispose();
  });

  const start = (args: Parameters<typeof etcdRestore>[0]) =>
    tw.client.workflow.start<typeof etcdRestore>('etcdRestore', {
      args: [args],
      taskQueue: tw.taskQueue,
      workflowId: restoreWorkflowId(tenant),
      workflowIdConflictPolicy: 'FAIL',
    });

  it('restores latest: keys written before the backup are back, keys written after are gone, everything unpaused', async () => {
    const etcd = await tenant.etcd();
    for (let i = 0; i < 20; i++) await etcd.put(`/registry/a/${i}`, `a-${i}`);
    etcd.close();
    const manifest = await backUp(tw.client, tenant, tw.taskQueue, '2026-08-01T00:00:00.000Z');
    lastBackupKey = manifest.object.key;
    const after = await tenant.etcd();
    for (let i = 0; i < 5; i++) await after.put(`/registry/b/${i}`, `b-${i}`);
    after.close();
    const before = await clusterState(tw.client, tenant);

    const handle = await start({ cluster: tenant.cluster, backup: 'latest' });
    const result = await handle.result();
    await recordHistory('etcd-restore-completed', handle);

    expect(result.backup).toBe(manifest.backup);
    expect(result.members).toEqual(['etcd-0', 'etcd-1', 'etcd-2']);
    const restored = await tenant.etcd();
    try {
      expect(Object.keys(await restored.prefix('/registry/a/'))).toHaveLength(20);
      expect(await restored.prefix('/registry/b/')).toEqual({});
    } finally {
      restored.close();
    }
    // Revisions only go forward: the bump lifts the restored revision above anything the apiserver saw.
    const revision = BigInt(result.revision);
    expect(revision).toBeGreaterThan(BigInt(manifest.etcd.revision) + 1_000_000n);
    expect(revision - BigInt(manifest.etcd.revision)).toBeLessThan(1_000_000_000n + REVISION_SLACK);

    const state = await clusterState(tw.client, tenant);
    expect(state.etcdReplicas).toBe(3);
    expect(state.etcdReady).toBe(3);
    expect(state.apiserverReplicas).toBe(before.apiserverReplicas);
    expect(state.apiserverAnnotations).not.toHaveProperty('lifeboat.dev/paused-replicas');
    expect(state.schedulePaused).toBe(false);
    expect(state.annotations[INITIALIZED_ANNOTATION]).toBe('true');
    expect(state.annotations[RESTORED_FROM_ANNOTATION]).toBe(manifest.backup);
    expect(state.annotations).not.toHaveProperty(RESTORE_REPLICAS_ANNOTATION);
    // New volumes: every claim was replaced.
    for (const [claim, uid] of Object.entries(before.claimUids)) expect(state.claimUids[claim]).not.toBe(uid);

    const progress = await handle.query(etcdRestoreProgress);
    expect(progress.phase).toBe('completed');
    // What the UI's list and search show: the typed search attributes.
    const attributes = (await handle.describe()).typedSearchAttributes;
    expect(attributes.get(LifeboatPhase)).toBe('completed');
    expect(attributes.get(LifeboatKind)).toBe('etcd-restore');
    expect(attributes.get(LifeboatCluster)).toBe(tenant.cluster);
    expect(attributes.get(LifeboatBackup)).toBe(manifest.backup);
    for (const step of progress.steps)
      expect(Date.parse(step.endedAt!)).toBeGreaterThanOrEqual(Date.parse(step.startedAt!));
    expect(progress.steps.map((s) => [s.kind, s.state])).toEqual([
      ['preflight', 'done'],
      ['pause-schedules', 'done'],
      ['pause-control-plane', 'done'],
      ['scale-etcd-down', 'done'],
      ['delete-volumes', 'done'],
      ['restore-members', 'done'],
      ['scale-etcd-up', 'done'],
      ['wait-for-quorum', 'done'],
      ['verify-revision', 'done'],
      ['mark-initialized', 'done'],
      ['unpause-control-plane', 'done'],
      ['resume-schedules', 'done'],
    ]);
    // The UI's view: the history names each step in its activity summaries.
    const history = await handle.fetchHistory();
    const summaries = (history.events ?? []).flatMap((e) =>
      e.activityTaskScheduledEventAttributes && e.userMetadata?.summary?.data
        ? [Buffer.from(e.userMetadata.summary.data).toString()]
        : [],
    );
    expect(summaries.some((s) => s.includes('restore 3 members from'))).toBe(true);
    // Preflight asked the store: the checksum it verified on upload matched the manifest, so nothing was read back.
    const events = history.events ?? [];
    const scheduled = events.find(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'verifyRestoreSource',
    )!;
    const completed = events.find(
      (e) => String(e.activityTaskCompletedEventAttributes?.scheduledEventId) === String(scheduled.eventId),
    )!;
    const verification = defaultPayloadConverter.fromPayload(
      completed.activityTaskCompletedEventAttributes!.result!.payloads![0]!,
    );
    expect(verification).toEqual({ verifiedBy: 'store-checksum', checksum: manifest.object.storeChecksum!.value });
  });

  it('a second restore of the same cluster is refused while one runs; approval gate, then abort changes nothing', async () => {
    const before = await clusterState(tw.client, tenant);
    const first = await start({ cluster: tenant.cluster, backup: 'latest', requireApproval: true });
    await waitForProgress(first, (p) => p.waiting?.for === 'approval');

    const second = await start({ cluster: tenant.cluster, backup: 'latest' }).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(WorkflowExecutionAlreadyStartedError);

    // Approving is only possible at the gate; aborting there ends the restore with nothing changed.
    await first.executeUpdate(abortRestore, { args: [{ by: 'test', reason: 'changed my mind' }] });
    const err = await first.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(((err as WorkflowFailedError).cause as { type?: string }).type).toBe('RestoreAborted');
    await expect(first.executeUpdate(approveRestore, { args: [{ by: 'late' }] })).rejects.toThrow();
    expect(await clusterState(tw.client, tenant)).toEqual(before);
  });

  it('an approval that does not come in time ends the restore with nothing changed', async () => {
    const before = await clusterState(tw.client, tenant);
    const gated = `${tenant.cluster}-gated`;
    const handle = await tw.client.workflow.start<typeof etcdRestore>('etcdRestore', {
      args: [{ cluster: gated, backup: 'latest', from: { location: 'versitygw', key: lastBackupKey } }],
      taskQueue: tw.taskQueue,
      workflowId: workflowIds.etcdRestore(gated),
    });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as { type?: string; message: string };
    expect(cause.type).toBe('ApprovalTimedOut');
    expect(cause.message).toBe(`restore of ${gated} not approved within 3s; nothing was changed`);
    expect(await clusterState(tw.client, tenant)).toEqual(before);
  });

  it('cancelled before the point of no return, it rolls back: etcd, control plane and schedules as they were', async () => {
    const before = await clusterState(tw.client, tenant);
    const handle = await start({ cluster: tenant.cluster, backup: 'latest' });
    await waitForProgress(handle, (p) => p.phase === 'scale-etcd-down');
    await handle.cancel();
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as { type?: string; message: string };
    expect(cause.type).toBe('RestoreRolledBack');
    expect(cause.message).toContain('was cancelled');
    await recordHistory('etcd-restore-cancelled-rolled-back', handle);
    const progress = await handle.query(etcdRestoreProgress);
    expect(progress.phase).toBe('rolled-back');
    expect(progress.steps.filter((s) => s.state === 'rolled-back').map((s) => s.kind)).toEqual([
      'pause-schedules',
      'pause-control-plane',
      'scale-etcd-down',
    ]);
    const after = await waitFor('etcd back with 3 ready members', async () => {
      const state = await clusterState(tw.client, tenant);
      return state.etcdReady === 3 ? state : undefined;
    });
    // The same volumes (the data never went away), the same replica counts, nothing left paused or annotated.
    expect(after.claimUids).toEqual(before.claimUids);
    expect([after.etcdReplicas, after.apiserverReplicas, after.schedulePaused]).toEqual([3, 1, false]);
    expect(after.annotations).toEqual(before.annotations);
    expect(after.apiserverAnnotations).toEqual(before.apiserverAnnotations);
    const etcd = await tenant.etcd();
    try {
      expect(Object.keys(await etcd.prefix('/registry/a/'))).toHaveLength(20);
    } finally {
      etcd.close();
    }
  });
});
