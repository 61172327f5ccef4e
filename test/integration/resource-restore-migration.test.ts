import {
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  RbacAuthorizationV1Api,
} from '@kubernetes/client-node';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { validateConfig } from '../../core/config/parse.js';
import type { LifeboatConfig } from '../../core/config/schema.js';
import { workflowIds } from '../../core/naming.js';
import { startControlPlane, type ControlPlane } from '../../devstack/kube/control-plane.js';
import { grantResourceRestorerAccess } from '../../devstack/kube/worker-access.js';
import { freePorts } from '../../devstack/ports.js';
import type { ToolPaths } from '../../devstack/tools/build.js';
import type { resourceRestore } from '../../workflows/index.js';
import { createResourceFixture, type ResourceFixture } from '../helpers/resource-fixture.js';
import { backUpResources, restoreOptions } from '../helpers/resource-restore.js';
import { isolatedConfig, startTestWorker, uniqueName, type TestWorker } from '../helpers/stack.js';

// Migration: a new cluster (its own kube-apiserver and etcd, nothing in it) gets the objects of another cluster's
// backup, `--from-cluster`, written by the restore identity production ships. CRDs, custom resources, RBAC with its
// subjects, Secrets: everything the shop namespace held.
const kc = new KubeConfig();
kc.loadFromFile(inject('kubeconfig'));

describe('a resource restore into a new, empty cluster (migration)', { timeout: 300_000 }, () => {
  let fixture: ResourceFixture;
  let plane: ControlPlane;
  let fresh: KubeConfig;
  let config: LifeboatConfig;
  let tw: TestWorker;
  let backup: string;

  beforeAll(async () => {
    const [apiServerPort, etcdClientPort, etcdPeerPort, schedulerPort] = (await freePorts(4)) as [
      number,
      number,
      number,
      number,
    ];
    const dataDir = join(inject('dataDir'), uniqueName('new-cluster'));
    [fixture, plane] = await Promise.all([
      createResourceFixture(kc),
      startControlPlane({
        tools: inject('tools') as ToolPaths,
        dataDir,
        apiServerPort,
        etcdClientPort,
        etcdPeerPort,
        schedulerPort,
        unsafeNoFsync: true,
      }),
    ]);
    fresh = new KubeConfig();
    fresh.loadFromFile(plane.adminKubeconfig);
    const restorer = await grantResourceRestorerAccess(plane, dataDir);
    const isolated = await isolatedConfig();
    const result = validateConfig({
      ...isolated.config,
      clusters: [
        { name: 'old', api: { kubeconfig: inject('resourceReaderKubeconfig') } },
        // A cluster without etcd: its `kubernetes` is its own API; restores write as the restorer.
        { name: 'new', kubernetes: { kubeconfig: restorer } },
      ],
      resourceBackups: [
        { name: 'shop', cluster: 'old', location: 'versitygw', includedNamespaces: [fixture.namespaces.shop] },
      ],
    });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    config = result.config;
    tw = await startTestWorker(config);
    backup = await backUpResources(tw, 'old', 'shop', '2026-05-03T00:00:00.000Z');
  }, 240_000);

  afterAll(async () => {
    await tw?.close();
    await plane?.stop();
    await fixture?.delete();
  });

  it("restores the old cluster's backup with --from-cluster: every object of the namespace, CRD first", async () => {
    const restored = await tw.client.workflow.execute<typeof resourceRestore>('resourceRestore', {
      args: [
        {
          target: 'new',
          fromCluster: 'old',
          backup: 'latest',
          options: restoreOptions(),
          requestedBy: 'resource-restore-migration.test',
          requestedAt: '2026-06-03T00:00:00.000Z',
        },
      ],
      taskQueue: tw.taskQueue,
      workflowId: workflowIds.resourceRestore('new'),
    });
    expect(restored.backup).toBe(backup);
    expect(restored.outcome, JSON.stringify(restored.steps.flatMap((s) => s.notable))).toBe('Completed');
    expect(restored.counts.failed).toBe(0);

    const { shop } = fixture.namespaces;
    const oldCore = kc.makeApiClient(CoreV1Api);
    const newCore = fresh.makeApiClient(CoreV1Api);
    const oldConfig = await oldCore.readNamespacedConfigMap({ namespace: shop, name: 'web-config' });
    const newConfig = await newCore.readNamespacedConfigMap({ namespace: shop, name: 'web-config' });
    expect(newConfig.data).toEqual(oldConfig.data);
    expect((await newCore.readNamespacedSecret({ namespace: shop, name: 'web-tls' })).data).toEqual(fixture.secretData);
    const binding = await fresh
      .makeApiClient(RbacAuthorizationV1Api)
      .readNamespacedRoleBinding({ namespace: shop, name: 'web-reader' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'web', namespace: shop }]);
    const crd = await fresh.makeApiClient(ApiextensionsV1Api).readCustomResourceDefinition({ name: fixture.crd.name });
    expect(crd.status?.conditions?.find((c) => c.type === 'Established')?.status).toBe('True');
    const list = (namespace: string, api: CustomObjectsApi) =>
      api.listNamespacedCustomObject({
        group: fixture.crd.group,
        version: 'v1',
        namespace,
        plural: fixture.crd.plural,
      }) as Promise<{ items: { metadata: { name: string }; spec: unknown }[] }>;
    const byName = (items: { metadata: { name: string }; spec: unknown }[]) =>
      Object.fromEntries(items.map((i) => [i.metadata.name, i.spec]));
    const oldWidgets = byName((await list(shop, kc.makeApiClient(CustomObjectsApi))).items);
    const newWidgets = byName((await list(shop, fresh.makeApiClient(CustomObjectsApi))).items);
    // The excluded widgets were never in the backup; every other one is in the new cluster with its spec.
    for (const excluded of fixture.excluded.filter((e) => e.resource === fixture.crd.resource))
      delete oldWidgets[excluded.name];
    expect(newWidgets).toEqual(oldWidgets);
    // The bound claim's volume came with it.
    expect((await newCore.readPersistentVolume({ name: fixture.cluster.pv })).spec?.claimRef?.name).toBe('data');
  });
});
