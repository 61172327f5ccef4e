import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { resolveEtcd } from '../../activities/etcd/target.js';
import { etcdClient } from '../../activities/etcd/members.js';
import { scheduleOptions } from '../../client/schedules-sync.js';
import { desiredSchedules } from '../../core/schedules.js';
import { validateConfig } from '../../core/config/parse.js';
import type { LifeboatConfig } from '../../core/config/schema.js';
import type { EtcdBackupManifest } from '../../core/manifest.js';
import { scheduleIds, workflowIds } from '../../core/naming.js';
import { applyTenant, TENANT_NAMES, waitForTenant } from '../../devstack/kube/etcd-tenant.js';
import type { etcdBackup } from '../../workflows/index.js';
import { waitFor } from './kube.js';
import { isolatedConfig, s3SecretKeys, testDeps, uniqueName } from './stack.js';

/**
 * A hosted tenant to restore: the dev stack's tenant shape (3-member TLS etcd StatefulSet with PVCs, a stand-in
 * kube-apiserver Deployment) in its own namespace, a cluster of its own name in the config (so workflow and schedule
 * ids never collide with other files), and a scheduled backup policy applied to Temporal.
 */
export interface RestoreTenant {
  cluster: string;
  namespace: string;
  config: LifeboatConfig;
  bucket: string;
  kc: KubeConfig;
  scheduleId: string;
  etcd(): Promise<{
    put(k: string, v: string): Promise<void>;
    prefix(p: string): Promise<Record<string, string>>;
    close(): void;
  }>;
  /** What must never leak from a restore: the S3 secret keys and the tenant's etcd client TLS key, labelled. */
  secrets(): Promise<Record<string, string>>;
  dispose(): Promise<void>;
}

export const server = () => inject('s3Servers').find((s) => s.name === 'versitygw')!;

export interface RestoreTenantOptions {
  /** The cluster's `restore:` settings. */
  restore?: Record<string, unknown>;
  /** More cluster entries for the same tenant (name suffix and `restore:` settings), e.g. one with a broken image. */
  variants?: { suffix: string; restore: Record<string, unknown> }[];
  /** More etcd backup policies of the cluster (`cluster` is filled in). */
  policies?: Record<string, unknown>[];
}

export async function createRestoreTenant(prefix: string, opts: RestoreTenantOptions = {}): Promise<RestoreTenant> {
  const kc = new KubeConfig();
  kc.loadFromFile(inject('kubeconfig'));
  const cluster = uniqueName(prefix);
  const namespace = cluster;
  const dir = mkdtempSync(join(tmpdir(), `lifeboat-${prefix}-`));
  const isolated = await isolatedConfig();
  await applyTenant(kc, { namespace, pkiDir: join(dir, 'pki'), s3Credentials: server() });
  await waitForTenant(kc, namespace);
  const clusterEntry = (name: string, settings: Record<string, unknown>) => ({
    name,
    // The worker acts with exactly deploy/kubernetes/rbac.yaml: a restore that needs more fails here first.
    kubernetes: { kubeconfig: inject('workerKubeconfig') },
    etcd: {
      statefulSet: { namespace, name: TENANT_NAMES.statefulSet },
      tls: { secretRef: { namespace, name: TENANT_NAMES.clientTlsSecret } },
    },
    controlPlane: { deployment: { namespace, name: TENANT_NAMES.apiserver } },
    restore: settings,
  });
  const result = validateConfig({
    ...isolated.config,
    clusters: [
      clusterEntry(cluster, opts.restore ?? {}),
      ...(opts.variants ?? []).map((v) => clusterEntry(`${cluster}-${v.suffix}`, v.restore)),
    ],
    etcdBackups: [
      {
        name: 'nightly',
        cluster,
        location: 'versitygw',
        // Never due during a test: the schedule exists to be paused and resumed.
        schedule: { cron: '0 3 1 1 *' },
      },
      ...(opts.policies ?? []).map((p) => ({ location: 'versitygw', ...p, cluster })),
    ],
  });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  const config = result.config;
  const deps = testDeps(config);
  return {
    cluster,
    namespace,
    config,
    bucket: isolated.buckets.versitygw!,
    kc,
    scheduleId: scheduleIds.etcdBackup(cluster, 'nightly'),
    async etcd() {
      const connection = await resolveEtcd(deps, cluster);
      const client = etcdClient(connection.endpoints, connection.tls);
      return {
        put: async (k: string, v: string) => void (await client.put(k).value(v)),
        prefix: (p: string) => client.getAll().prefix(p).strings(),
        close: () => client.close(),
      };
    },
    async secrets() {
      const tls = await kc
        .makeApiClient(CoreV1Api)
        .readNamespacedSecret({ namespace, name: TENANT_NAMES.clientTlsSecret });
      return {
        ...s3SecretKeys(),
        'etcd client TLS key': Buffer.from(tls.data!['tls.key']!, 'base64').toString('utf8'),
      };
    },
    async dispose() {
      await kc
        .makeApiClient(CoreV1Api)
        .deleteNamespace({ name: namespace })
        .catch(() => undefined);
      await deps
        .temporalClient()
        .schedule.getHandle(scheduleIds.etcdBackup(cluster, 'nightly'))
        .delete()
        .catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Creates the tenant's schedule the way `lifeboat apply` does, and only that one: apply would also delete every other
 * schedule in the file's namespace, such as those of another tenant the same file made.
 */
export async function createTenantSchedule(client: Client, tenant: RestoreTenant, taskQueue: string): Promise<void> {
  for (const schedule of desiredSchedules(tenant.config)) {
    if (schedule.id === tenant.scheduleId)
      await client.schedule.create({ scheduleId: schedule.id, ...scheduleOptions(schedule, taskQueue) });
  }
}

export async function backUp(
  client: Client,
  tenant: RestoreTenant,
  taskQueue: string,
  at: string,
  policy = 'nightly',
): Promise<EtcdBackupManifest> {
  return client.workflow.execute<typeof etcdBackup>('etcdBackup', {
    args: [{ cluster: tenant.cluster, policy, requestedAt: at }],
    taskQueue,
    workflowId: uniqueName('restore-backup'),
  });
}

export const restoreWorkflowId = (tenant: RestoreTenant) => workflowIds.etcdRestore(tenant.cluster);

/** What a restore must leave behind: the StatefulSet, the control plane and the schedule as an operator sees them. */
export async function clusterState(client: Client, tenant: RestoreTenant) {
  const apps = tenant.kc.makeApiClient(AppsV1Api);
  const core = tenant.kc.makeApiClient(CoreV1Api);
  const sts = await apps.readNamespacedStatefulSet({ namespace: tenant.namespace, name: TENANT_NAMES.statefulSet });
  const apiserver = await apps.readNamespacedDeployment({ namespace: tenant.namespace, name: TENANT_NAMES.apiserver });
  const claims = await core.listNamespacedPersistentVolumeClaim({ namespace: tenant.namespace });
  const pods = await core.listNamespacedPod({ namespace: tenant.namespace, labelSelector: 'app=etcd' });
  const schedule = await client.schedule.getHandle(tenant.scheduleId).describe();
  return {
    etcdReplicas: sts.spec?.replicas,
    etcdReady: sts.status?.readyReplicas ?? 0,
    annotations: sts.metadata?.annotations ?? {},
    apiserverReplicas: apiserver.spec?.replicas,
    apiserverAnnotations: apiserver.metadata?.annotations ?? {},
    claimUids: Object.fromEntries(claims.items.map((c) => [c.metadata!.name!, c.metadata!.uid!])),
    podUids: Object.fromEntries(pods.items.map((p) => [p.metadata!.name!, p.metadata!.uid!])),
    schedulePaused: schedule.state.paused,
  };
}

/** Polls the progress query until `test` holds (the workflow is at a given step or waits for someone). */
export function waitForProgress<T>(
  handle: WorkflowHandle,
  test: (p: { phase: string; waiting?: { for: string } }) => T | undefined | false,
  timeoutMs = 180_000,
): Promise<T> {
  return waitFor(
    'the restore progress to match',
    async () => test(await handle.query<{ phase: string; waiting?: { for: string } }>('progress')),
    timeoutMs,
    250,
  );
}
