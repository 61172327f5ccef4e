import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  AdmissionregistrationV1Api,
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { resolveEtcd } from '../../activities/etcd/target.js';
import { PAUSED_REPLICAS_ANNOTATION, RESTORE_REPLICAS_ANNOTATION } from '../../core/kube-metadata.js';
import { TENANT_NAMES } from '../../devstack/kube/etcd-tenant.js';
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
import { waitFor } from '../helpers/kube.js';
import { secretsInHistory, secretsInObjects } from '../helpers/secrets.js';
import { workflowIds } from '../../core/naming.js';

const run = promisify(execFile);
const failureOf = async (handle: WorkflowHandle) => {
  const err: unknown = await handle.result().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  return (err as WorkflowFailedError).cause as { type?: string; message: string };
};
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/**
 * Makes the management cluster refuse to scale the tenant's etcd StatefulSet below its 3 members, as a policy engine
 * (Kyverno, Gatekeeper) guarding a control plane would: a ValidatingAdmissionPolicy on the real API server, bound to
 * the tenant's namespace. Returns once the API server enforces it (a dry-run scale-down is refused); `remove` returns
 * once it no longer does, so no later restore meets it.
 */
async function refuseEtcdScaleDown(tenant: RestoreTenant, message: string): Promise<{ remove(): Promise<void> }> {
  const admission = tenant.kc.makeApiClient(AdmissionregistrationV1Api);
  const apps = tenant.kc.makeApiClient(AppsV1Api);
  const name = `lifeboat-test-guard-${tenant.namespace}`;
  const refused = () =>
    apps
      .patchNamespacedStatefulSet(
        {
          namespace: tenant.namespace,
          name: TENANT_NAMES.statefulSet,
          body: { spec: { replicas: 0 } },
          dryRun: 'All',
        },
        mergePatch,
      )
      .then(
        () => false,
        (err: unknown) => {
          // Refused by the guard (its message in the API server's answer), not for any other reason.
          if (String(err).includes(message)) return true;
          throw err;
        },
      );
  await admission.createValidatingAdmissionPolicy({
    body: {
      metadata: { name },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: {
          resourceRules: [
            { apiGroups: ['apps'], apiVersions: ['v1'], operations: ['UPDATE'], resources: ['statefulsets'] },
          ],
        },
        validations: [
          {
            expression: `object.metadata.name != '${TENANT_NAMES.statefulSet}' || object.spec.replicas >= 3`,
            message,
          },
        ],
      },
    },
  });
  await admission.createValidatingAdmissionPolicyBinding({
    body: {
      metadata: { name },
      spec: {
        policyName: name,
        validationActions: ['Deny'],
        matchResources: {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': tenant.namespace } },
        },
      },
    },
  });
  await waitFor('the API server to enforce the scale-down guard', refused, 60_000, 250);
  return {
    async remove() {
      await admission.deleteValidatingAdmissionPolicyBinding({ name }).catch(() => undefined);
      await admission.deleteValidatingAdmissionPolicy({ name }).catch(() => undefined);
      await waitFor('the API server to drop the scale-down guard', async () => !(await refused()), 60_000, 250);
    },
  };
}

// What goes wrong in a restore, on the local stack: a damaged backup, a step that fails before the point of no return,
// a restore Job that fails, an operator who retries or aborts past the point of no return, a cancel past it, and a
// snapshot Lifeboat did not make. Every test starts from and leaves a healthy tenant, and makes the backups it needs.
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

  /** Every secret a restore here handles: the S3 secret keys, the etcd client TLS key, and both age identities. */
  const secrets = async () => ({
    ...(await tenant.secrets()),
    'age identity': await rightIdentity,
    'wrong age identity': await wrongIdentity,
  });

  /** A restore's history (decoded payloads, string fields, raw bytes) holds none of them. */
  async function expectNoSecretsIn(handle: WorkflowHandle) {
    const all = await secrets();
    // An empty secret would match nothing: the check would pass without looking.
    for (const [label, value] of Object.entries(all)) expect(value.trim().length, label).toBeGreaterThanOrEqual(16);
    expect(await secretsInHistory(await handle.fetchHistory(), all)).toEqual([]);
  }

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

  /** A snapshot as another tool takes it: etcdctl over TLS into a file. */
  async function etcdctlSnapshot(file: string) {
    const connection = await resolveEtcd(testDeps(tenant.config), tenant.cluster);
    const tls = join(dir, 'tls');
    mkdirSync(tls, { recursive: true });
    writeFileSync(join(tls, 'ca.crt'), connection.tls!.ca);
    writeFileSync(join(tls, 'tls.crt'), connection.tls!.cert);
    writeFileSync(join(tls, 'tls.key'), connection.tls!.key);
    await run(inject('tools').etcdctl!, [
      `--endpoints=${connection.endpoints[0]}`,
      `--cacert=${join(tls, 'ca.crt')}`,
      `--cert=${join(tls, 'tls.crt')}`,
      `--key=${join(tls, 'tls.key')}`,
      'snapshot',
      'save',
      file,
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
    await expectNoSecretsIn(handle);
  });

  it('a step that fails before the point of no return rolls back: the schedules and the control plane resume, etcd keeps its data', async () => {
    const manifest = await backUp(tw.client, tenant, tw.taskQueue, '2026-09-01T12:00:00.000Z');
    await writeAfterBackup('/registry/rollback-after/x');
    const before = await clusterState(tw.client, tenant);
    // scale-etcd-down fails for real, on the API server, after pause-schedules and pause-control-plane have done their
    // work: the rollback has three steps to undo. The guard lets etcd be scaled back to 3, which the undo does.
    const refusal = 'test guard: this etcd may not be scaled below 3 members';
    const guard = await refuseEtcdScaleDown(tenant, refusal);
    let handle: WorkflowHandle;
    let failure: { type?: string; message: string };
    try {
      handle = await start(tenant.cluster, { backup: manifest.backup });
      failure = await failureOf(handle);
    } finally {
      await guard.remove();
    }

    expect(failure.type).toBe('RestoreRolledBack');
    expect(failure.message).toContain(`restore of ${tenant.cluster} failed before the point of no return: `);
    expect(failure.message).toContain(refusal);
    expect(failure.message).toContain('Everything it paused was resumed; etcd and its data are as they were.');
    const progress = await handle.query(etcdRestoreProgress);
    expect(progress.phase).toBe('rolled-back');
    expect(progress.steps.filter((s) => s.state !== 'pending').map((s) => [s.kind, s.state])).toEqual([
      ['preflight', 'done'],
      ['pause-schedules', 'rolled-back'],
      ['pause-control-plane', 'rolled-back'],
      ['scale-etcd-down', 'rolled-back'],
    ]);
    expect(progress.steps.find((s) => s.kind === 'scale-etcd-down')?.error).toContain(refusal);
    // As before: the same members with the same volumes, the apiserver back at 1 (and running), the schedule resumed,
    // and the data written after the backup still there.
    expect(await clusterState(tw.client, tenant)).toEqual(before);
    await waitFor(
      'the apiserver to run again',
      async () =>
        (
          await tenant.kc
            .makeApiClient(AppsV1Api)
            .readNamespacedDeployment({ namespace: tenant.namespace, name: TENANT_NAMES.apiserver })
        ).status?.readyReplicas === 1,
      60_000,
      250,
    );
    const etcd = await tenant.etcd();
    try {
      expect(await etcd.prefix('/registry/rollback-after/')).toEqual({
        '/registry/rollback-after/x': 'written after the backup',
      });
    } finally {
      etcd.close();
    }
    await expectNoSecretsIn(handle);
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
    // The identity reaches the Jobs as a Secret volume, by reference: no Job or Pod in the tenant's namespace holds
    // it (nor an S3 secret key: the Jobs read through a presigned URL, nor the etcd client key).
    for (const job of jobs.items) {
      expect(job.spec?.template.spec?.volumes?.map((v) => v.secret?.secretName)).toContain('etcd-age');
    }
    const pods = await core.listNamespacedPod({ namespace: tenant.namespace });
    expect(pods.items.filter((p) => p.metadata?.labels?.['job-name']).length).toBeGreaterThanOrEqual(jobs.items.length);
    expect(
      await secretsInObjects(`Jobs and Pods in ${tenant.namespace}`, [...jobs.items, ...pods.items], await secrets()),
    ).toEqual([]);

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
    await expectNoSecretsIn(handle);
  });

  it('abort or cancel after the point of no return leaves the cluster paused and says what to do; a new restore recovers it', async () => {
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
    await expectNoSecretsIn(broken);

    // Cancelling a restore past the point of no return is an abort too, not a rollback. This one starts from the
    // paused cluster (as the message above says to), deletes the volumes again and is cancelled while the members
    // are being restored.
    const cancelled = await start(tenant.cluster, { backup: manifest.backup });
    await waitForProgress(cancelled, (p) => p.phase === 'restore-members');
    await cancelled.cancel();
    const cancel = await failureOf(cancelled);
    expect(cancel.type).toBe('RestoreAborted');
    // The activity hears of the cancel at its next heartbeat, which is throttled: when the member Jobs finish first,
    // the step after it is where the restore stops (it never starts). Either way etcd is not scaled back.
    const stoppedAt =
      /stopped at "(restore-members|scale-etcd-up)" after the point of no return: the workflow was cancelled\./.exec(
        cancel.message,
      )?.[1];
    expect(stoppedAt, cancel.message).toBeDefined();
    expect(cancel.message).toContain(`etcd StatefulSet ${tenant.namespace}/etcd is held at 0 replicas (3 members)`);
    expect(cancel.message).toContain(`Deployment ${tenant.namespace}/apiserver is at 0 (it had 1)`);
    expect(cancel.message).toContain(`schedules ${tenant.scheduleId} are paused`);
    const cancelProgress = await cancelled.query(etcdRestoreProgress);
    expect(cancelProgress.phase).toBe('aborted');
    expect(cancelProgress.steps.find((s) => s.kind === 'delete-volumes')?.state).toBe('done');
    expect(cancelProgress.steps.find((s) => s.kind === stoppedAt)?.state).toBe('failed');
    expect(cancelProgress.steps.some((s) => s.state === 'rolled-back')).toBe(false);
    const stillPaused = await clusterState(tw.client, tenant);
    expect([stillPaused.etcdReplicas, stillPaused.apiserverReplicas, stillPaused.schedulePaused]).toEqual([0, 0, true]);
    expect(stillPaused.annotations[RESTORE_REPLICAS_ANNOTATION]).toBe('3');
    expect(stillPaused.annotations['lifeboat.dev/etcd-cluster-initialized']).toBe('false');
    await expectNoSecretsIn(cancelled);

    // The way out the messages give: restore again. It finds the members and the old replica count it remembered.
    const recovery = await start(tenant.cluster, { backup: manifest.backup });
    await recovery.result();
    await expectRestored('/registry/abort-after/');
    await expectNoSecretsIn(recovery);
  });

  it("restores a raw `etcdctl snapshot save` file uploaded by hand (--from), checked by etcd's own hash", async () => {
    await writeAfterBackup('/registry/raw-after/x');
    // Taken now, so it holds the "after" key too; then we write one more the restore must drop.
    const file = join(dir, 'raw.db');
    await etcdctlSnapshot(file);
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
    await expectNoSecretsIn(handle);
  });

  it("a raw snapshot with a damaged byte fails etcd's hash in preflight; nothing is touched", async () => {
    // A snapshot of its own: this test does not rely on the one the test above uploaded.
    const file = join(dir, 'to-damage.db');
    await etcdctlSnapshot(file);
    const object = readFileSync(file);
    object[100]! ^= 0xff;
    const damaged = `manual/${tenant.cluster}-damaged.db`;
    const s3 = s3ClientFor(server());
    await s3.send(new PutObjectCommand({ Bucket: tenant.bucket, Key: damaged, Body: object }));
    s3.destroy();
    const before = await clusterState(tw.client, tenant);
    const handle = await start(tenant.cluster, { from: { location: 'versitygw', key: damaged } });
    const failure = await failureOf(handle);
    expect(failure.message).toMatch(/is not an intact etcd snapshot: snapshot hash mismatch/);
    expect(await clusterState(tw.client, tenant)).toEqual(before);
    await expectNoSecretsIn(handle);
  });
});
