import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { BatchV1Api, CoreV1Api } from '@kubernetes/client-node';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { resolveEtcd } from '../../activities/etcd-target.js';
import { PAUSED_REPLICAS_ANNOTATION, RESTORE_REPLICAS_ANNOTATION } from '../../core/restore-annotations.js';
import type { etcdRestore } from '../../workflows/index.js';
import { abortRestore, etcdRestoreProgress, retryRestore } from '../../workflows/etcd-restore-api.js';
import {
  backUp,
  clusterState,
  createRestoreTenant,
  createTenantSchedule,
  server,
  waitForProgress,
  type RestoreTenant,
} from '../helpers/restore.js';
import { s3ClientFor, startTestWorker, testDeps, type TestWorker } from '../helpers/stack.js';
import { recordHistory } from '../helpers/histories.js';
import { workflowIds } from '../../core/naming.js';

const run = promisify(execFile);
const failureOf = async (handle: WorkflowHandle) => {
  const err: unknown = await handle.result().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  return (err as WorkflowFailedError).cause as { type?: string; message: string };
};

// What goes wrong in a restore, on the local stack: a damaged backup, a restore Job that fails, an operator who
// retries or aborts past the point of no return, and a snapshot Lifeboat did not make.
describe('etcd restore faults', { timeout: 900_000 }, () => {
  let tenant: RestoreTenant;
  let tw: TestWorker;
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-restore-faults-'));
  const rightIdentity = generateIdentity();
  const wrongIdentity = generateIdentity();

  beforeAll(async () => {
    const identity = await rightIdentity;
    tenant = await createRestoreTenant('rfault', {
      restore: { backoffLimit: 0, decryptionSecret: { name: 'etcd-age' } },
      // Same tenant, but its restore Jobs run an image without etcdutl: every Job fails to start its command.
      variants: [{ suffix: 'broken', restore: { backoffLimit: 0, image: 'busybox:1.36' } }],
      policies: [
        { name: 'sealed', compression: 'gzip', encryption: { recipients: [await identityToRecipient(identity)] } },
      ],
    });
    tw = await startTestWorker(tenant.config);
    await createTenantSchedule(tw.client, tenant, tw.taskQueue);
    const etcd = await tenant.etcd();
    for (let i = 0; i < 10; i++) await etcd.put(`/registry/kept/${i}`, `v${i}`);
    etcd.close();
  }, 300_000);

  afterAll(async () => {
    await tw?.close();
    await tenant?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = (cluster: string, args: Partial<Parameters<typeof etcdRestore>[0]>) =>
    tw.client.workflow.start<typeof etcdRestore>('etcdRestore', {
      args: [{ cluster, backup: 'latest', ...args }],
      taskQueue: tw.taskQueue,
      workflowId: workflowIds.etcdRestore(cluster),
      workflowIdConflictPolicy: 'FAIL',
    });

  async function writeAfterBackup(key: string) {
    const etcd = await tenant.etcd();
    await etcd.put(key, 'written after the backup');
    etcd.close();
  }

  async function expectRestored(afterKey: string) {
    const etcd = await tenant.etcd();
    try {
      expect(Object.keys(await etcd.prefix('/registry/kept/'))).toHaveLength(10);
      expect(await etcd.prefix(afterKey)).toEqual({});
    } finally {
      etcd.close();
    }
    const state = await clusterState(tw.client, tenant);
    expect([state.etcdReplicas, state.etcdReady, state.apiserverReplicas, state.schedulePaused]).toEqual([
      3,
      3,
      1,
      false,
    ]);
  }

  it('a backup with one byte flipped is refused in preflight, and the cluster is never touched', async () => {
    const manifest = await backUp(tw.client, tenant, tw.taskQueue, '2026-09-01T00:00:00.000Z');
    const s3 = s3ClientFor(server());
    const object = Buffer.from(
      await (
        await s3.send(new GetObjectCommand({ Bucket: tenant.bucket, Key: manifest.object.key }))
      ).Body!.transformToByteArray(),
    );
    object[Math.floor(object.length / 2)]! ^= 0x01;
    await s3.send(new PutObjectCommand({ Bucket: tenant.bucket, Key: manifest.object.key, Body: object }));
    s3.destroy();
    const before = await clusterState(tw.client, tenant);

    const handle = await start(tenant.cluster, { backup: manifest.backup });
    const failure = await failureOf(handle);
    expect(failure.type).toBe('ChecksumMismatch');
    expect(failure.message).toMatch(/refused in preflight: .* does not match its manifest: sha256 [0-9a-f]{64}/);
    expect(failure.message).toContain('Nothing was changed');
    const progress = await handle.query(etcdRestoreProgress);
    expect(progress.steps.filter((s) => s.state !== 'pending').map((s) => [s.kind, s.state])).toEqual([
      ['preflight', 'failed'],
    ]);
    expect(await clusterState(tw.client, tenant)).toEqual(before);
  });

  it('a restore Job that fails waits for an operator; retry runs a new Job; fixing the cause and retrying completes', async () => {
    const manifest = await backUp(tw.client, tenant, tw.taskQueue, '2026-09-02T00:00:00.000Z', 'sealed');
    expect(manifest.object.encryption?.format).toBe('age');
    await writeAfterBackup('/registry/sealed-after/x');
    // The tenant's identity Secret holds the wrong key: every fetch container fails to decrypt.
    const core = tenant.kc.makeApiClient(CoreV1Api);
    const secret = (identity: string) => ({
      metadata: { name: 'etcd-age', namespace: tenant.namespace },
      stringData: { identity: `${identity}\n` },
    });
    await core.createNamespacedSecret({ namespace: tenant.namespace, body: secret(await wrongIdentity) });

    const handle = await start(tenant.cluster, { backup: manifest.backup });
    await waitForProgress(handle, (p) => p.waiting?.for === 'operator');
    let progress = await handle.query(etcdRestoreProgress);
    const failed = progress.steps.find((s) => s.kind === 'restore-members')!;
    expect(failed.state).toBe('waiting');
    expect(failed.error).toMatch(/restore Job .* failed \(BackoffLimitExceeded/);
    expect(failed.error).toMatch(/fetch/);
    expect(progress.waiting?.hint).toContain(`lifeboat restore retry ${tenant.cluster}`);
    // Paused, not rolled back: the old volumes are gone.
    const paused = await clusterState(tw.client, tenant);
    expect([paused.etcdReplicas, paused.apiserverReplicas, paused.schedulePaused]).toEqual([0, 0, true]);

    // Retrying without a fix fails again, in a new Job.
    await handle.executeUpdate(retryRestore, { args: [{ by: 'test' }] });
    await waitForProgress(handle, (p) => p.waiting?.for === 'operator' && p.phase === 'waiting-for-operator');
    const jobs = await tenant.kc
      .makeApiClient(BatchV1Api)
      .listNamespacedJob({ namespace: tenant.namespace, labelSelector: 'app.kubernetes.io/managed-by=lifeboat' });
    const generations = new Set(jobs.items.map((j) => j.metadata?.annotations?.['lifeboat.dev/generation']));
    expect(generations).toEqual(new Set(['0', '1']));

    await core.replaceNamespacedSecret({
      name: 'etcd-age',
      namespace: tenant.namespace,
      body: secret(await rightIdentity),
    });
    await handle.executeUpdate(retryRestore, { args: [{ by: 'test' }] });
    const result = await handle.result();
    await recordHistory('etcd-restore-operator-retries', handle);
    expect(result.backup).toBe(manifest.backup);
    await expectRestored('/registry/sealed-after/');
    progress = await handle.query(etcdRestoreProgress);
    expect(progress.steps.every((s) => s.state === 'done')).toBe(true);
  });

  it('abort after the point of no return leaves the cluster paused and says what to do; a new restore recovers it', async () => {
    const manifest = await backUp(tw.client, tenant, tw.taskQueue, '2026-09-03T00:00:00.000Z');
    await writeAfterBackup('/registry/abort-after/x');
    // The broken variant has no backup policies of its own: it names the object.
    const broken = await start(`${tenant.cluster}-broken`, {
      from: { location: 'versitygw', key: manifest.object.key },
    });
    await waitForProgress(broken, (p) => p.waiting?.for === 'operator');
    await broken.executeUpdate(abortRestore, { args: [{ by: 'test', reason: 'wrong image' }] });
    const failure = await failureOf(broken);
    await recordHistory('etcd-restore-aborted', broken);
    expect(failure.type).toBe('RestoreAborted');
    expect(failure.message).toContain(
      'stopped at "restore-members" after the point of no return: aborted by test (wrong image)',
    );
    expect(failure.message).toContain(`etcd StatefulSet ${tenant.namespace}/etcd is held at 0 replicas (3 members)`);
    expect(failure.message).toContain(`Deployment ${tenant.namespace}/apiserver is at 0 (it had 1)`);
    expect(failure.message).toContain('lifeboat restore etcd --cluster');
    const paused = await clusterState(tw.client, tenant);
    expect(paused.etcdReplicas).toBe(0);
    expect(paused.annotations[RESTORE_REPLICAS_ANNOTATION]).toBe('3');
    expect(paused.annotations['lifeboat.dev/etcd-cluster-initialized']).toBe('false');
    expect(paused.apiserverReplicas).toBe(0);
    expect(paused.apiserverAnnotations[PAUSED_REPLICAS_ANNOTATION]).toBe('1');

    // The way out the message gives: restore again. It finds the members and the old replica count it remembered.
    const recovery = await start(tenant.cluster, {});
    await recovery.result();
    await expectRestored('/registry/abort-after/');
  });

  it("restores a raw `etcdctl snapshot save` file uploaded by hand (--from), checked by etcd's own hash", async () => {
    await writeAfterBackup('/registry/raw-after/x');
    // A snapshot as another tool takes it: etcdctl over TLS into a file, uploaded as-is.
    const connection = await resolveEtcd(testDeps(tenant.config), tenant.cluster);
    const tls = join(dir, 'tls');
    mkdirSync(tls, { recursive: true });
    writeFileSync(join(tls, 'ca.crt'), connection.tls!.ca);
    writeFileSync(join(tls, 'tls.crt'), connection.tls!.cert);
    writeFileSync(join(tls, 'tls.key'), connection.tls!.key);
    const file = join(dir, 'raw.db');
    // Taken now, so it holds the "after" key too; then we write one more the restore must drop.
    await run(inject('tools').etcdctl!, [
      `--endpoints=${connection.endpoints[0]}`,
      `--cacert=${join(tls, 'ca.crt')}`,
      `--cert=${join(tls, 'tls.crt')}`,
      `--key=${join(tls, 'tls.key')}`,
      'snapshot',
      'save',
      file,
    ]);
    await writeAfterBackup('/registry/raw-later/x');
    const key = `manual/${tenant.cluster}-snapshot.db`;
    const s3 = s3ClientFor(server());
    await s3.send(new PutObjectCommand({ Bucket: tenant.bucket, Key: key, Body: readFileSync(file) }));
    s3.destroy();

    const handle = await start(tenant.cluster, { from: { location: 'versitygw', key } });
    const result = await handle.result();
    expect(result.backup).toBe(key);
    await expectRestored('/registry/raw-later/');
    const etcd = await tenant.etcd();
    expect(await etcd.prefix('/registry/raw-after/')).toEqual({ '/registry/raw-after/x': 'written after the backup' });
    etcd.close();
    expect((await clusterState(tw.client, tenant)).annotations['lifeboat.dev/restored-from']).toBe(key);
  });

  it("a raw snapshot with a damaged byte fails etcd's hash in preflight; nothing is touched", async () => {
    const key = `manual/${tenant.cluster}-snapshot.db`;
    const s3 = s3ClientFor(server());
    const object = Buffer.from(
      await (await s3.send(new GetObjectCommand({ Bucket: tenant.bucket, Key: key }))).Body!.transformToByteArray(),
    );
    object[100]! ^= 0xff;
    const damaged = `manual/${tenant.cluster}-damaged.db`;
    await s3.send(new PutObjectCommand({ Bucket: tenant.bucket, Key: damaged, Body: object }));
    s3.destroy();
    const before = await clusterState(tw.client, tenant);
    const failure = await failureOf(await start(tenant.cluster, { from: { location: 'versitygw', key: damaged } }));
    expect(failure.message).toMatch(/is not an intact etcd snapshot: snapshot hash mismatch/);
    expect(await clusterState(tw.client, tenant)).toEqual(before);
  });
});
