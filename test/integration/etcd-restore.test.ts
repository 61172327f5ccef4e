import { BatchV1Api, CoreV1Api, type V1Job, type V1Pod, type V1PodSpec } from '@kubernetes/client-node';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveEtcd } from '../../activities/etcd/target.js';
import { etcdClient } from '../../activities/etcd/members.js';
import type { LifeboatConfig } from '../../core/config/schema.js';
import type { EtcdBackupManifest } from '../../core/manifest.js';
import {
  INITIALIZED_ANNOTATION,
  RESTORED_AT_ANNOTATION,
  RESTORED_FROM_ANNOTATION,
  RESTORE_REPLICAS_ANNOTATION,
} from '../../core/kube-metadata.js';
import { REVISION_SLACK } from '../../core/restore-plan.js';
import { LifeboatBackup, LifeboatCluster, LifeboatKind, LifeboatPhase } from '../../core/search-attributes.js';
import type { etcdRestore } from '../../workflows/index.js';
import {
  etcdRestoreProgress,
  approveRestore,
  abortRestore,
  type EtcdRestoreResult,
  type RestoreStepProgress,
} from '../../workflows/etcd-restore-api.js';
import {
  backUp,
  clusterState,
  createRestoreTenant,
  createTenantSchedule,
  waitForProgress,
  type RestoreTenant,
} from '../helpers/restore.js';
import { secretsInHistory, secretsInObjects, type Secrets } from '../helpers/secrets.js';
import { startTestWorker, testDeps, type TestWorker } from '../helpers/stack.js';
import { activityResult, recordHistory } from '../helpers/histories.js';
import { waitFor } from '../helpers/kube.js';
import { workflowIds } from '../../core/naming.js';

/** The tenant's etcd revision now, as a linearizable read reports it. */
async function revisionNow(tenant: RestoreTenant): Promise<bigint> {
  const connection = await resolveEtcd(testDeps(tenant.config), tenant.cluster);
  const client = etcdClient(connection.endpoints, connection.tls);
  try {
    return BigInt((await client.get('/').exec()).header.revision);
  } finally {
    client.close();
  }
}

/**
 * Lists the restore Jobs and their Pods in the tenants' namespaces until stopped, keeping the last version of each
 * seen. A restore deletes its Jobs (and so their Pods) once they are done, so they can only be seen while it runs.
 * A failed list is skipped: the counts asserted on what was caught show whether enough was seen.
 */
function watchRestoreObjects(tenants: RestoreTenant[]) {
  const jobs = new Map<string, V1Job>();
  const pods = new Map<string, V1Pod>();
  const clients = tenants.map((t) => ({
    namespace: t.namespace,
    batch: t.kc.makeApiClient(BatchV1Api),
    core: t.kc.makeApiClient(CoreV1Api),
  }));
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      for (const { namespace, batch, core } of clients) {
        try {
          const listed = await batch.listNamespacedJob({
            namespace,
            labelSelector: 'app.kubernetes.io/managed-by=lifeboat,lifeboat.dev/restore',
          });
          for (const job of listed.items) jobs.set(job.metadata!.uid!, job);
          const running = await core.listNamespacedPod({
            namespace,
            labelSelector: 'app.kubernetes.io/managed-by=lifeboat,lifeboat.dev/job',
          });
          for (const pod of running.items) pods.set(pod.metadata!.uid!, pod);
        } catch {
          // the next round lists again
        }
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { jobs: [...jobs.values()], pods: [...pods.values()] };
    },
  };
}

/** The URL a restore Pod's fetch container downloads the snapshot from. */
const snapshotUrlOf = (spec: V1PodSpec | undefined) =>
  spec?.initContainers?.find((c) => c.name === 'fetch')?.env?.find((e) => e.name === 'LIFEBOAT_SNAPSHOT_URL')?.value;

const stepOf = (steps: RestoreStepProgress[], kind: string) => steps.find((s) => s.kind === kind)!;

// The restore on the local stack: a real three-member etcd StatefulSet with real PVCs, real restore Jobs run by the
// node agent, a real S3 server and the real Temporal server.
describe('etcd restore of a StatefulSet-hosted tenant', { timeout: 600_000 }, () => {
  let tenant: RestoreTenant;
  /** Another cluster, restored at the same time as the first, with the settings the first does not use. */
  let other: RestoreTenant;
  let tw: TestWorker;
  /** The backups every test restores, taken in beforeAll so that each test stands alone. */
  let manifest: EtcdBackupManifest;
  let otherManifest: EtcdBackupManifest;
  /** Both tenants' secrets: the S3 secret keys and each tenant's etcd client TLS key. */
  let secrets: Secrets;

  beforeAll(async () => {
    // Made at once: most of a tenant's minute is waiting for its pods to start.
    const made = await Promise.allSettled([
      createRestoreTenant('restore', {
        variants: [{ suffix: 'gated', restore: { requireApproval: true, approvalTimeout: '3s' } }],
      }),
      createRestoreTenant('restore2', { restore: { bumpRevision: false, verify: 'download' } }),
    ]);
    if (made[0].status === 'fulfilled') tenant = made[0].value;
    if (made[1].status === 'fulfilled') other = made[1].value;
    for (const m of made) if (m.status === 'rejected') throw m.reason;
    // One worker for both clusters, as in production one config lists them all. The second tenant's backups go to
    // the first's buckets (the config's storage locations), where its restore looks for them.
    const config: LifeboatConfig = {
      ...tenant.config,
      clusters: [...tenant.config.clusters, ...other.config.clusters],
      etcdBackups: [...tenant.config.etcdBackups, ...other.config.etcdBackups],
    };
    tw = await startTestWorker(config);
    for (const t of [tenant, other]) {
      await createTenantSchedule(tw.client, t, tw.taskQueue);
      const etcd = await t.etcd();
      for (let i = 0; i < 20; i++) await etcd.put(`/registry/a/${i}`, `a-${i}`);
      etcd.close();
    }
    manifest = await backUp(tw.client, tenant, tw.taskQueue, '2026-08-01T00:00:00.000Z');
    otherManifest = await backUp(tw.client, other, tw.taskQueue, '2026-08-01T00:00:00.000Z');
    const { 'etcd client TLS key': otherKey, ...otherRest } = await other.secrets();
    secrets = { ...(await tenant.secrets()), ...otherRest, 'etcd client TLS key (second cluster)': otherKey! };
  }, 420_000);

  afterAll(async () => {
    await tw?.close();
    await tenant?.dispose();
    await other?.dispose();
  });

  const start = (args: Parameters<typeof etcdRestore>[0]) =>
    tw.client.workflow.start<typeof etcdRestore>('etcdRestore', {
      args: [args],
      taskQueue: tw.taskQueue,
      workflowId: workflowIds.etcdRestore(args.cluster),
      workflowIdConflictPolicy: 'FAIL',
    });

  /** What a completed restore leaves: the backup's data, every claim replaced, nothing paused, the annotations. */
  async function expectRestored(
    t: RestoreTenant,
    handle: WorkflowHandle<typeof etcdRestore>,
    result: EtcdRestoreResult,
    backup: EtcdBackupManifest,
    before: Awaited<ReturnType<typeof clusterState>>,
  ) {
    expect(result.backup).toBe(backup.backup);
    expect(result.members).toEqual(['etcd-0', 'etcd-1', 'etcd-2']);
    const restored = await t.etcd();
    try {
      expect(Object.keys(await restored.prefix('/registry/a/'))).toHaveLength(20);
      expect(await restored.prefix('/registry/b/')).toEqual({});
    } finally {
      restored.close();
    }
    const state = await clusterState(tw.client, t);
    expect(state.etcdReplicas).toBe(3);
    expect(state.etcdReady).toBe(3);
    expect(state.apiserverReplicas).toBe(before.apiserverReplicas);
    expect(state.apiserverAnnotations).not.toHaveProperty('lifeboat.dev/paused-replicas');
    expect(state.schedulePaused).toBe(false);
    expect(state.annotations[INITIALIZED_ANNOTATION]).toBe('true');
    expect(state.annotations[RESTORED_FROM_ANNOTATION]).toBe(backup.backup);
    expect(state.annotations).not.toHaveProperty(RESTORE_REPLICAS_ANNOTATION);
    // When: a timestamp from the step that marks etcd restored, so within this restore's run.
    const restoredAt = state.annotations[RESTORED_AT_ANNOTATION]!;
    expect(restoredAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const marked = stepOf(result.steps, 'mark-initialized');
    expect(Date.parse(restoredAt)).toBeGreaterThanOrEqual(Date.parse(marked.startedAt!));
    expect(Date.parse(restoredAt)).toBeLessThanOrEqual(Date.parse(marked.endedAt!));
    const run = await handle.describe();
    expect(Date.parse(restoredAt)).toBeGreaterThan(run.startTime.getTime());
    expect(Date.parse(restoredAt)).toBeLessThan(run.closeTime!.getTime());
    // New volumes: every claim was replaced.
    for (const [claim, uid] of Object.entries(before.claimUids)) expect(state.claimUids[claim]).not.toBe(uid);
  }

  it('restores latest of two clusters at once: keys written before the backup are back, keys written after are gone, everything unpaused, no secret in the histories or the restore Jobs', async () => {
    for (const t of [tenant, other]) {
      const after = await t.etcd();
      for (let i = 0; i < 5; i++) await after.put(`/registry/b/${i}`, `b-${i}`);
      after.close();
    }
    const before = await clusterState(tw.client, tenant);
    const otherBefore = await clusterState(tw.client, other);
    // Nothing writes to the tenant's etcd from here on: the restore's bump is measured from this.
    const live = await revisionNow(tenant);

    const watcher = watchRestoreObjects([tenant, other]);
    let results: [EtcdRestoreResult, EtcdRestoreResult];
    let handle: WorkflowHandle<typeof etcdRestore>;
    let otherHandle: WorkflowHandle<typeof etcdRestore>;
    let objects: { jobs: V1Job[]; pods: V1Pod[] };
    try {
      handle = await start({ cluster: tenant.cluster, backup: 'latest' });
      otherHandle = await start({ cluster: other.cluster, backup: 'latest' });
      // Approval is for a restore waiting at its gate: one that is running but not there refuses it, saying why.
      await waitForProgress(handle, (p) => !['planning', 'preflight', 'completed'].includes(p.phase));
      const early = await handle.executeUpdate(approveRestore, { args: [{ by: 'early' }] }).catch((e: unknown) => e);
      expect(early).toBeInstanceOf(WorkflowUpdateFailedError);
      expect((early as WorkflowUpdateFailedError).cause?.message).toBe('this restore is not waiting for approval');
      results = await Promise.all([handle.result(), otherHandle.result()]);
    } finally {
      objects = await watcher.stop();
    }
    const [result, otherResult] = results;
    await recordHistory('etcd-restore-completed', handle);

    await expectRestored(tenant, handle, result, manifest, before);
    await expectRestored(other, otherHandle, otherResult, otherManifest, otherBefore);
    // At once: each cluster's etcd was down (from stopping it to quorum again) while the other's was.
    const down = (r: EtcdRestoreResult) => [
      Date.parse(stepOf(r.steps, 'scale-etcd-down').startedAt!),
      Date.parse(stepOf(r.steps, 'wait-for-quorum').endedAt!),
    ];
    const [a, b] = [down(result), down(otherResult)];
    expect(a[0]).toBeLessThan(b[1]!);
    expect(b[0]).toBeLessThan(a[1]!);

    // Revisions only go forward: the bump lifts the restored revision just above what the live cluster had, by
    // revisionBump's margin of a million (give or take what etcd writes itself), not by a blind billion.
    const revision = BigInt(result.revision);
    expect(revision).toBeGreaterThanOrEqual(live + 1_000_000n);
    expect(revision).toBeLessThanOrEqual(live + 1_000_000n + REVISION_SLACK);
    // bumpRevision: false: the second cluster starts at the snapshot's own revision, exactly.
    expect(otherResult.revision).toBe(otherManifest.etcd.revision);

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
    expect(activityResult(history, 'verifyRestoreSource')).toEqual({
      verifiedBy: 'store-checksum',
      checksum: manifest.object.storeChecksum!.value,
    });
    // verify: download reads the whole object whatever the store says: every byte, and the manifest's sha256.
    const otherHistory = await otherHandle.fetchHistory();
    expect(activityResult(otherHistory, 'verifyRestoreSource')).toEqual({
      verifiedBy: 'download',
      bytes: otherManifest.object.bytes,
      sha256: otherManifest.object.sha256,
    });

    // No secret in either history (decoded payloads, string fields, raw bytes).
    expect(await secretsInHistory(history, secrets)).toEqual([]);
    expect(await secretsInHistory(otherHistory, secrets)).toEqual([]);
    // Nor in what the restores created in the tenants' namespaces: three Jobs each, one per member, and their Pods.
    const { jobs, pods } = objects;
    for (const t of [tenant, other]) {
      const inNamespace = jobs.filter((j) => j.metadata?.namespace === t.namespace);
      expect(inNamespace.map((j) => j.metadata?.annotations?.['lifeboat.dev/member']).sort()).toEqual([
        'etcd-0',
        'etcd-1',
        'etcd-2',
      ]);
      expect(inNamespace.every((j) => j.metadata?.annotations?.['lifeboat.dev/cluster'] === t.cluster)).toBe(true);
      expect(pods.filter((p) => p.metadata?.namespace === t.namespace).length).toBeGreaterThanOrEqual(3);
    }
    expect(await secretsInObjects('restore Jobs', jobs, secrets)).toEqual([]);
    expect(await secretsInObjects('restore Pods', pods, secrets)).toEqual([]);
    // Not vacuous: what those objects carry to reach the backup is a presigned URL (one object, a signature).
    for (const spec of [...jobs.map((j) => j.spec?.template.spec), ...pods.map((p) => p.spec)]) {
      expect(snapshotUrlOf(spec)).toMatch(/[?&]X-Amz-Signature=[0-9a-f]{64}(&|$)/);
    }
  });

  it('a second restore of the same cluster is refused while one runs; approval gate, then abort changes nothing', async () => {
    const before = await clusterState(tw.client, tenant);
    const first = await start({ cluster: tenant.cluster, backup: 'latest', requireApproval: true });
    await waitForProgress(first, (p) => p.waiting?.for === 'approval');

    const second = await start({ cluster: tenant.cluster, backup: 'latest' }).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(WorkflowExecutionAlreadyStartedError);

    // Aborting at the gate ends the restore with nothing changed.
    await first.executeUpdate(abortRestore, { args: [{ by: 'test', reason: 'changed my mind' }] });
    const err = await first.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(((err as WorkflowFailedError).cause as { type?: string }).type).toBe('RestoreAborted');
    expect(await clusterState(tw.client, tenant)).toEqual(before);
    expect(await secretsInHistory(await first.fetchHistory(), secrets)).toEqual([]);
  });

  it('an approval that does not come in time ends the restore with nothing changed', async () => {
    const before = await clusterState(tw.client, tenant);
    const gated = `${tenant.cluster}-gated`;
    const handle = await tw.client.workflow.start<typeof etcdRestore>('etcdRestore', {
      args: [{ cluster: gated, backup: 'latest', from: { location: 'versitygw', key: manifest.object.key } }],
      taskQueue: tw.taskQueue,
      workflowId: workflowIds.etcdRestore(gated),
    });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as { type?: string; message: string };
    expect(cause.type).toBe('ApprovalTimedOut');
    expect(cause.message).toBe(`restore of ${gated} not approved within 3s; nothing was changed`);
    expect(await clusterState(tw.client, tenant)).toEqual(before);
    expect(await secretsInHistory(await handle.fetchHistory(), secrets)).toEqual([]);
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
    expect(await secretsInHistory(await handle.fetchHistory(), secrets)).toEqual([]);
  });
});
