import { GetObjectCommand } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import { BatchV1Api, CoreV1Api } from '@kubernetes/client-node';
import { WorkflowFailedError } from '@temporalio/client';
import { Etcd3 } from 'etcd3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { resolveEtcd } from '../../activities/etcd/target.js';
import { etcdClient } from '../../activities/etcd/members.js';
import { validateConfig } from '../../core/config/parse.js';
import type { LifeboatConfig } from '../../core/config/schema.js';
import { applyTenant, TENANT_NAMES, waitForTenant } from '../../devstack/kube/etcd-tenant.js';
import type { etcdBackup } from '../../workflows/index.js';
import { restoreIntoScratchEtcd } from '../helpers/etcd.js';
import { secretsInHistory, secretsInObjects, type Secrets } from '../helpers/secrets.js';
import {
  bucketState,
  isolatedConfig,
  s3ClientFor,
  s3SecretKeys,
  startTestWorker,
  testDeps,
  uniqueName,
  type TestWorker,
} from '../helpers/stack.js';

// A hosted tenant as in production: a TLS etcd StatefulSet on the real control plane, its Pods run by the node agent.
// Lifeboat finds the members through Kubernetes, reads client TLS from the Secret, and backs up in both modes, as the
// worker's least-privilege identity (deploy/kubernetes/rbac.yaml); the test itself inspects the tenant as admin.
const server = inject('s3Servers').find((s) => s.name === 'versitygw')!;
const kc = new KubeConfig();
kc.loadFromFile(inject('kubeconfig'));

/**
 * A store container that behaves like Kubermatic's default one, which runs
 * `s3cmd put /backup/snapshot.db s3://$BUCKET_NAME/$CLUSTER-$BACKUP_TO_CREATE`: curl's SigV4 stands in for s3cmd,
 * which the test host lacks. Only Kubermatic's environment is used, the same file goes to the same key, and nothing
 * Lifeboat-specific is printed.
 */
const kubermaticStore = (file: string) =>
  [
    'set -e',
    'curl --fail --silent --show-error --aws-sigv4 "aws:amz:us-east-1:s3" --user "$ACCESS_KEY_ID:$SECRET_ACCESS_KEY" \\',
    `  -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -T ${file} "$ENDPOINT/$BUCKET_NAME/$CLUSTER-$BACKUP_TO_CREATE"`,
    `echo "upload: ${file} -> s3://$BUCKET_NAME/$CLUSTER-$BACKUP_TO_CREATE"`,
  ].join('\n');

describe('backups of a StatefulSet-hosted etcd', { timeout: 240_000 }, () => {
  const namespace = uniqueName('tenant');
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-kube-backup-'));
  let config: LifeboatConfig;
  let bucket: string;
  let tw: TestWorker;
  let seededKeys: Record<string, string>;
  /** What must never leak from a backup: the S3 secret keys and the tenant's etcd client TLS key, from the cluster. */
  let secrets: Secrets;

  beforeAll(async () => {
    const isolated = await isolatedConfig();
    bucket = isolated.buckets.versitygw!;
    await applyTenant(kc, { namespace, pkiDir: join(dir, 'pki'), s3Credentials: server });
    await waitForTenant(kc, namespace);
    const result = validateConfig({
      ...isolated.config,
      clusters: [
        {
          name: 'tenant',
          // Exactly what production grants the worker: a backup that needs more fails here.
          kubernetes: { kubeconfig: inject('workerKubeconfig') },
          etcd: {
            statefulSet: { namespace, name: TENANT_NAMES.statefulSet },
            tls: { secretRef: { namespace, name: TENANT_NAMES.clientTlsSecret } },
          },
        },
      ],
      etcdBackups: [
        { name: 'direct', cluster: 'tenant', location: 'versitygw', compression: 'gzip' },
        {
          name: 'job',
          cluster: 'tenant',
          location: 'versitygw',
          compression: 'gzip',
          mode: 'job',
          job: { credentialsSecret: TENANT_NAMES.s3Secret },
        },
        {
          name: 'kubermatic',
          cluster: 'tenant',
          location: 'versitygw',
          mode: 'job',
          job: {
            credentialsSecret: TENANT_NAMES.s3Secret,
            storeContainer: {
              image: 'curlimages/curl:8.11.1',
              command: ['/bin/sh', '-c', kubermaticStore('/backup/snapshot.db')],
            },
          },
        },
        {
          // Kubermatic's current default store container uploads the gzipped file its init container leaves.
          name: 'kubermatic-gz',
          cluster: 'tenant',
          location: 'versitygw',
          mode: 'job',
          job: {
            credentialsSecret: TENANT_NAMES.s3Secret,
            storeContainer: {
              image: 'curlimages/curl:8.11.1',
              command: ['/bin/sh', '-c', kubermaticStore('/backup/snapshot.db.gz')],
            },
          },
        },
        {
          name: 'silent',
          cluster: 'tenant',
          location: 'versitygw',
          mode: 'job',
          job: {
            credentialsSecret: TENANT_NAMES.s3Secret,
            storeContainer: { image: 'busybox:1.36', command: ['sh', '-c', 'echo "pretending to upload"'] },
          },
        },
        {
          name: 'broken',
          cluster: 'tenant',
          location: 'versitygw',
          mode: 'job',
          job: {
            credentialsSecret: TENANT_NAMES.s3Secret,
            backoffLimit: 1,
            storeContainer: {
              image: 'busybox:1.36',
              command: ['sh', '-c', 'echo "upload refused: quota exceeded" >&2; exit 3'],
            },
          },
        },
      ],
    });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    config = result.config;
    tw = await startTestWorker(config);
    const tls = await kc
      .makeApiClient(CoreV1Api)
      .readNamespacedSecret({ namespace, name: TENANT_NAMES.clientTlsSecret });
    secrets = {
      ...s3SecretKeys(),
      'etcd client TLS key': Buffer.from(tls.data!['tls.key']!, 'base64').toString('utf8'),
    };

    // Tenant data, written over TLS to the members Lifeboat itself finds.
    const connection = await resolveEtcd(testDeps(config), 'tenant');
    expect(connection.endpoints).toHaveLength(3);
    const etcd = etcdClient(connection.endpoints, connection.tls);
    seededKeys = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`/registry/tenant/key-${i}`, `value-${i}`]));
    for (const [k, v] of Object.entries(seededKeys)) await etcd.put(k).value(v);
    etcd.close();
  });

  afterAll(async () => {
    await tw?.close();
    await kc
      .makeApiClient(CoreV1Api)
      .deleteNamespace({ name: namespace })
      .catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  async function storedObject(key: string): Promise<Buffer> {
    const s3 = s3ClientFor(server);
    try {
      return Buffer.from(
        await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray(),
      );
    } finally {
      s3.destroy();
    }
  }

  async function restoredKeys(key: string): Promise<Record<string, string>> {
    const object = await storedObject(key);
    const file = join(dir, `${key.replaceAll('/', '_')}.db`);
    writeFileSync(file, key.endsWith('.gz') ? gunzipSync(object) : object);
    const scratch = await restoreIntoScratchEtcd(file);
    const etcd = new Etcd3({ hosts: [scratch.endpoint] });
    try {
      return await etcd.getAll().prefix('/registry/tenant/').strings();
    } finally {
      etcd.close();
      await scratch.proc.stop();
    }
  }

  /**
   * Job mode creates objects in the tenant's namespace: its snapshot Job and the Job's Pods, as the API server holds
   * them, must name the S3 and TLS Secrets, never carry their values.
   */
  async function expectNoSecretInSnapshotObjects(backup: string): Promise<void> {
    const selector = { namespace, labelSelector: 'app.kubernetes.io/managed-by=lifeboat' };
    const jobs = (await kc.makeApiClient(BatchV1Api).listNamespacedJob(selector)).items;
    const pods = (await kc.makeApiClient(CoreV1Api).listNamespacedPod(selector)).items;
    // The objects looked at are the real ones: this backup's Job, with its Pods, refers to both Secrets by name.
    const job = jobs.find((j) => j.metadata?.annotations?.['lifeboat.dev/backup'] === backup);
    expect(job).toBeDefined();
    const podSpec = job!.spec!.template.spec!;
    expect(podSpec.containers[0]!.env).toContainEqual({
      name: 'SECRET_ACCESS_KEY',
      valueFrom: { secretKeyRef: { name: TENANT_NAMES.s3Secret, key: 'SECRET_ACCESS_KEY' } },
    });
    expect(podSpec.volumes?.map((v) => v.secret?.secretName)).toContain(TENANT_NAMES.clientTlsSecret);
    const jobPods = pods.filter((p) => p.metadata?.labels?.['lifeboat.dev/job'] === job!.metadata!.name);
    expect(jobPods.length).toBeGreaterThanOrEqual(1);
    expect(await secretsInObjects(`namespace ${namespace}`, [...jobs, ...pods], secrets)).toEqual([]);
  }

  it.each(['direct', 'job'])(
    '%s mode: the backup restores with stock etcdutl to the tenant data, and no secret is in its history',
    async (policy) => {
      const workflowId = uniqueName(`etcd-backup-${policy}`);
      const manifest = await tw.client.workflow.execute<typeof etcdBackup>('etcdBackup', {
        args: [{ cluster: 'tenant', policy, requestedAt: '2026-07-01T00:00:00.000Z' }],
        taskQueue: tw.taskQueue,
        workflowId,
      });
      expect(manifest.object.key).toBe(`it/etcd/tenant/${policy}/${policy}-20260701000000/snapshot.db.gz`);
      expect(manifest.etcd.version).toMatch(/^3\.6/);
      if (policy === 'job') expect(manifest.etcd.member).toMatch(/^etcd-\d \(job lifeboat-snapshot-[0-9a-f]{8}\)$/);
      expect(await restoredKeys(manifest.object.key)).toEqual(seededKeys);
      // Direct mode reads the TLS key into the worker, job mode hands it to the Job by Secret name: in neither does
      // it, or an S3 secret key, reach the history.
      const history = await tw.client.workflow.getHandle(workflowId).fetchHistory();
      expect(await secretsInHistory(history, secrets)).toEqual([]);
      if (policy === 'job') await expectNoSecretInSnapshotObjects(manifest.backup);
    },
  );

  it("job mode with a store container that behaves like Kubermatic's: its object becomes an ordinary backup", async () => {
    const manifest = await tw.client.workflow.execute<typeof etcdBackup>('etcdBackup', {
      args: [{ cluster: 'tenant', policy: 'kubermatic', requestedAt: '2026-07-03T00:00:00.000Z' }],
      taskQueue: tw.taskQueue,
      workflowId: uniqueName('etcd-backup-kubermatic'),
    });
    // Moved from Kubermatic's key to the layout key: listed, retained and restored like any other backup.
    expect(manifest.object).toEqual({
      key: 'it/etcd/tenant/kubermatic/kubermatic-20260703000000/snapshot.db',
      bytes: expect.any(Number) as unknown,
      sha256: expect.any(String) as unknown,
      compression: 'none',
      encryption: null,
    });
    const object = await storedObject(manifest.object.key);
    const sha256 = createHash('sha256').update(object).digest('hex');
    expect(manifest.object).toMatchObject({ bytes: object.length, sha256 });
    expect(manifest.snapshot).toEqual({ bytes: object.length, sha256 });
    expect(manifest.etcd.member).toMatch(/^etcd-\d \(job lifeboat-snapshot-[0-9a-f]{8}\)$/);
    const keys = (await bucketState(server, bucket)).keys;
    expect(keys).not.toContain('tenant-kubermatic-20260703000000');
    expect(keys).toContain('it/etcd/tenant/kubermatic/kubermatic-20260703000000/manifest.json');
    expect(await restoredKeys(manifest.object.key)).toEqual(seededKeys);
  });

  it("job mode with Kubermatic's current store container (it uploads snapshot.db.gz): recorded as gzip", async () => {
    const manifest = await tw.client.workflow.execute<typeof etcdBackup>('etcdBackup', {
      args: [{ cluster: 'tenant', policy: 'kubermatic-gz', requestedAt: '2026-07-04T00:00:00.000Z' }],
      taskQueue: tw.taskQueue,
      workflowId: uniqueName('etcd-backup-kubermatic-gz'),
    });
    expect(manifest.object.key).toBe('it/etcd/tenant/kubermatic-gz/kubermatic-gz-20260704000000/snapshot.db.gz');
    expect(manifest.object.compression).toBe('gzip');
    const object = await storedObject(manifest.object.key);
    expect(manifest.object).toMatchObject({
      bytes: object.length,
      sha256: createHash('sha256').update(object).digest('hex'),
    });
    const plain = gunzipSync(object);
    expect(manifest.snapshot).toEqual({
      bytes: plain.length,
      sha256: createHash('sha256').update(plain).digest('hex'),
    });
    expect(await restoredKeys(manifest.object.key)).toEqual(seededKeys);
  });

  it('a custom store container that neither reports nor uploads fails, naming the keys looked at and its log', async () => {
    const workflowId = uniqueName('etcd-backup-silent');
    const err = await tw.client.workflow
      .execute<typeof etcdBackup>('etcdBackup', {
        args: [{ cluster: 'tenant', policy: 'silent', requestedAt: '2026-07-04T00:00:00.000Z' }],
        taskQueue: tw.taskQueue,
        workflowId,
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause?.cause as { type?: string; message: string };
    expect(cause.type).toBe('SnapshotJobFailed');
    expect(cause.message).toContain('tenant-silent-20260704000000');
    expect(cause.message).toContain('it/etcd/tenant/silent/silent-20260704000000/snapshot.db');
    expect(cause.message).toContain('pretending to upload');
    // The store container's log goes into the failure, and so into the history: no secret with it.
    const history = await tw.client.workflow.getHandle(workflowId).fetchHistory();
    expect(await secretsInHistory(history, secrets)).toEqual([]);
  });

  it('a failing store container fails the backup with its last log lines, after the Job retried it', async () => {
    const err = await tw.client.workflow
      .execute<typeof etcdBackup>('etcdBackup', {
        args: [{ cluster: 'tenant', policy: 'broken', requestedAt: '2026-07-02T00:00:00.000Z' }],
        taskQueue: tw.taskQueue,
        workflowId: uniqueName('etcd-backup-broken'),
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause?.cause as { type?: string; message: string };
    expect(cause.type).toBe('SnapshotJobFailed');
    expect(cause.message).toContain('BackoffLimitExceeded');
    expect(cause.message).toContain('after 2 pod(s)');
    expect(cause.message).toContain('upload refused: quota exceeded');
  });
});
