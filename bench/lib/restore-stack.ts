import { KubeConfig } from '@kubernetes/client-node';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { appendFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { productionDeps, type ActivityDeps } from '../../activities/index.js';
import { applySchedules } from '../../client/schedules-sync.js';
import { validateConfig } from '../../core/config/parse.js';
import type { LifeboatConfig } from '../../core/config/schema.js';
import { applyTenant, TENANT_NAMES, waitForTenant } from '../../devstack/kube/etcd-tenant.js';
import { grantWorkerAccess } from '../../devstack/kube/worker-access.js';
import { startNodeAgent } from '../../devstack/node-agent/agent.js';
import { prepareNodeIdentity } from '../../devstack/node-agent/identity.js';
import { killRecordedContainers } from '../../devstack/node-agent/leftovers.js';
import { ensureBucket } from '../../devstack/s3-bucket.js';
import type { ToolPaths } from '../../devstack/tools/build.js';
import { createLifeboatWorker, workflowsPath } from '../../worker/create-worker.js';
import { startBenchServers } from './servers.js';
import type { Teardown } from './teardown.js';

/** The one cluster, policy and tenant the restore benchmark works on. */
export const BENCH = { cluster: 'bench', policy: 'bench', namespace: 'bench-tenant', bucket: 'bench' } as const;

export interface RestoreStack {
  config: LifeboatConfig;
  deps: ActivityDeps;
  client: Client;
  taskQueue: string;
  /** Cluster-admin access to the local Kubernetes (the worker itself runs with the production RBAC). */
  admin: KubeConfig;
}

/**
 * What a restore needs on this machine, in `dir`, on free loopback ports, from the dev stack's own building blocks:
 * Temporal (in memory), versitygw, the real Kubernetes control plane with a node agent, the TLS etcd tenant, and an
 * in-process Lifeboat worker on its own task queue with the worker's production RBAC. Every piece is registered with
 * `teardown` as soon as it starts, so a failure or Ctrl-C half-way stops what already runs.
 */
export async function startRestoreStack(
  tools: ToolPaths,
  dir: string,
  teardown: Teardown,
  say: (line: string) => void,
): Promise<RestoreStack> {
  say('starting Temporal, versitygw and Kubernetes (etcd, kube-apiserver, controller-manager, scheduler)...');
  const bundlePath = join(dir, 'workflow-bundle.js');
  const quiet = new DefaultLogger('WARN');
  const { temporalPort, s3, plane, kubeDir, extraPorts } = await startBenchServers(tools, dir, teardown, {
    alongside: bundleWorkflowCode({ workflowsPath, logger: quiet }).then((bundle) =>
      writeFileSync(bundlePath, bundle.code),
    ),
    extraPorts: 1,
  });
  const kubeletPort = extraPorts[0]!;

  say('starting the node agent and the tenant (a three-member TLS etcd StatefulSet)...');
  const agentDir = join(kubeDir, 'node-agent');
  const identity = await prepareNodeIdentity({
    pki: plane.pki,
    server: plane.server,
    nodeName: 'bench-node',
    dir: join(kubeDir, 'node'),
  });
  teardown.atExit(() => killRecordedContainers(agentDir));
  const agent = await startNodeAgent({
    ...identity,
    dataDir: agentDir,
    port: kubeletPort,
    etcdBinDir: dirname(tools.etcd),
    adminKubeconfig: plane.adminKubeconfig,
    log: (line) => appendFileSync(join(kubeDir, 'node-agent.log'), `${new Date().toISOString()} ${line}\n`),
  });
  teardown.add('node agent and its Pods', () => agent.stop());
  const admin = new KubeConfig();
  admin.loadFromFile(plane.adminKubeconfig);
  const workerKubeconfig = await grantWorkerAccess(plane, kubeDir);
  await applyTenant(admin, { namespace: BENCH.namespace, pkiDir: join(dir, 'tenant-pki') });
  await waitForTenant(admin, BENCH.namespace);
  await ensureBucket(s3, BENCH.bucket);

  const parsed = validateConfig({
    apiVersion: 'lifeboat.dev/v1alpha1',
    kind: 'LifeboatConfig',
    storageLocations: [
      {
        name: 'bench',
        endpoint: s3.endpoint,
        bucket: BENCH.bucket,
        credentials: { accessKeyIdEnv: 'BENCH_S3_ACCESS_KEY_ID', secretAccessKeyEnv: 'BENCH_S3_SECRET_ACCESS_KEY' },
      },
    ],
    clusters: [
      {
        name: BENCH.cluster,
        kubernetes: { kubeconfig: workerKubeconfig },
        etcd: {
          statefulSet: { namespace: BENCH.namespace, name: TENANT_NAMES.statefulSet },
          tls: { secretRef: { namespace: BENCH.namespace, name: TENANT_NAMES.clientTlsSecret } },
        },
        controlPlane: { deployment: { namespace: BENCH.namespace, name: TENANT_NAMES.apiserver } },
      },
    ],
    etcdBackups: [
      {
        name: BENCH.policy,
        cluster: BENCH.cluster,
        location: 'bench',
        compression: 'none',
        // Never due during a run: the schedule exists so the restore pauses and resumes it, as in production.
        schedule: { cron: '0 3 1 1 *' },
      },
    ],
  });
  if (!parsed.ok) throw new Error(`bench config invalid: ${JSON.stringify(parsed.issues)}`);
  const config = parsed.config;
  const address = `127.0.0.1:${temporalPort}`;
  const deps = productionDeps(config, {
    TEMPORAL_ADDRESS: address,
    BENCH_S3_ACCESS_KEY_ID: s3.accessKeyId,
    BENCH_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
  });

  say('starting the Lifeboat worker (in this process)...');
  try {
    Runtime.install({ logger: quiet });
  } catch {
    // installed already
  }
  const taskQueue = 'lifeboat-bench';
  const nativeConnection = await NativeConnection.connect({ address });
  teardown.add('worker connection', () => nativeConnection.close());
  const worker = await createLifeboatWorker({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue,
    deps,
    shutdownGraceTime: '1s',
    workflowBundlePath: bundlePath,
  });
  const running = worker.run().catch((err: unknown) => say(`Lifeboat worker stopped: ${(err as Error).message}`));
  teardown.add('Lifeboat worker', async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  });
  const connection = await Connection.connect({ address });
  teardown.add('Temporal client', () => connection.close());
  const client = new Client({ connection, namespace: 'default' });
  await applySchedules(client, config, taskQueue, { dryRun: false });
  return { config, deps, client, taskQueue, admin };
}
