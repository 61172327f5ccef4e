import {
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  RbacAuthorizationV1Api,
} from '@kubernetes/client-node';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { WorkflowFailedError } from '@temporalio/client';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { validateConfig } from '../../core/config/parse.js';
import type { LifeboatConfig } from '../../core/config/schema.js';
import { restoreName, workflowIds } from '../../core/naming.js';
import type { ResourceRestoreRequest } from '../../core/resources/restore-run.js';
import type { resourceRestore } from '../../workflows/index.js';
import type { ResourceRestoreResult } from '../../workflows/resource-restore-api.js';
import { recordHistory } from '../helpers/histories.js';
import { waitFor } from '../helpers/kube.js';
import { createResourceFixture, type ResourceFixture } from '../helpers/resource-fixture.js';
import { backUpResources, localClusterWithRestorer, restoreOptions } from '../helpers/resource-restore.js';
import { isolatedConfig, s3ClientFor, startTestWorker, type TestWorker } from '../helpers/stack.js';

// A resource backup of the fixture's shop namespaces restored by the resourceRestore workflow into the same cluster,
// as the restore identity production ships (deploy/kubernetes/resource-restorer.yaml): after the namespaces and the
// CRD are deleted everything comes back (the custom resources right after their CRD), then again over what exists
// (unchanged, different and skipped, updated), under a namespace mapping, as a dry run, and refused in preflight for
// an identity that may not write.
const server = inject('s3Servers').find((s) => s.name === 'versitygw')!;
const kc = new KubeConfig();
kc.loadFromFile(inject('kubeconfig'));
const core = kc.makeApiClient(CoreV1Api);
const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
const ext = kc.makeApiClient(ApiextensionsV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);

const RESTORED_FROM = 'lifeboat.dev/restored-from';
const RESTORE_LABEL = 'lifeboat.dev/restore';

const options = restoreOptions;

async function gone(check: () => Promise<unknown>): Promise<boolean> {
  try {
    await check();
    return false;
  } catch {
    return true;
  }
}

describe('resourceRestore', () => {
  let fixture: ResourceFixture;
  let config: LifeboatConfig;
  let tw: TestWorker;
  let bucket: string;
  let backup: string;
  let nodePort: number;
  let clock = Date.parse('2026-06-01T00:00:00Z');

  async function restore(over: Partial<ResourceRestoreRequest> = {}, worker = tw) {
    const requestedAt = new Date((clock += 60_000)).toISOString();
    const request: ResourceRestoreRequest = {
      target: 'local',
      backup,
      options: options(),
      requestedBy: 'resource-restore.test',
      requestedAt,
      ...over,
    };
    const id = request.dryRun
      ? workflowIds.resourceRestoreDryRun('local', restoreName('local', new Date(requestedAt)))
      : workflowIds.resourceRestore('local');
    const handle = await worker.client.workflow.start<typeof resourceRestore>('resourceRestore', {
      args: [request],
      taskQueue: worker.taskQueue,
      workflowId: id,
    });
    return { handle, result: handle.result() };
  }

  function step(result: ResourceRestoreResult, groupResource: string) {
    const found = result.steps.find((s) => s.groupResource === groupResource);
    if (!found) throw new Error(`no step ${groupResource} in ${result.steps.map((s) => s.groupResource).join(', ')}`);
    return found;
  }

  beforeAll(async () => {
    fixture = await createResourceFixture(kc);
    const isolated = await isolatedConfig();
    bucket = isolated.buckets.versitygw!;
    const result = validateConfig({
      ...isolated.config,
      clusters: [localClusterWithRestorer()],
      resourceBackups: [
        {
          name: 'shop',
          cluster: 'local',
          location: 'versitygw',
          includedNamespaces: [fixture.namespaces.shop, fixture.namespaces.shopDb],
        },
      ],
    });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    config = result.config;
    // A NodePort Service: --preserve-node-ports must bring its port back (its cluster IP is the API's to allocate).
    const service = await core.createNamespacedService({
      namespace: fixture.namespaces.shop,
      body: {
        metadata: { name: 'edge' },
        spec: { type: 'NodePort', selector: { app: 'edge' }, ports: [{ port: 80, targetPort: 8080 }] },
      },
    });
    nodePort = service.spec!.ports![0]!.nodePort!;
    tw = await startTestWorker(config);
    backup = await backUpResources(tw, 'local', 'shop', '2026-05-01T00:00:00.000Z');
  }, 240_000);

  afterAll(async () => {
    await tw?.close();
    for (const name of [`${fixture?.namespaces.shop}-copy`])
      await core.deleteNamespace({ name }).catch(() => undefined);
    await fixture?.delete();
  });

  it('brings back deleted namespaces, their objects and a CRD with its custom resources, all created', async () => {
    const { shop, shopDb } = fixture.namespaces;
    const before = await core.readNamespacedConfigMap({ namespace: shop, name: 'web-config' });
    for (const name of [shop, shopDb]) await core.deleteNamespace({ name });
    await ext.deleteCustomResourceDefinition({ name: fixture.crd.name });
    await waitFor(
      'the namespaces and the CRD to be gone',
      async () =>
        (await gone(() => core.readNamespace({ name: shop }))) &&
        (await gone(() => core.readNamespace({ name: shopDb }))) &&
        (await gone(() => ext.readCustomResourceDefinition({ name: fixture.crd.name }))),
      120_000,
    );

    const { handle, result } = await restore({ options: options({ preserveNodePorts: true }) });
    const restored = await result;
    await recordHistory('resource-restore-completed', handle);

    expect(restored.outcome, JSON.stringify(restored.steps.flatMap((s) => s.notable))).toBe('Completed');
    expect(restored.counts.failed).toBe(0);
    expect(restored.counts.created).toBeGreaterThan(10);
    // CRDs first, and the custom resources after them: none skipped for a CRD not ready.
    const order = restored.plan.map((s) => s.groupResource);
    expect(order.indexOf('customresourcedefinitions.apiextensions.k8s.io')).toBeLessThan(
      order.indexOf(fixture.crd.resource),
    );
    expect(step(restored, fixture.crd.resource).counts.failed).toBe(0);
    expect(order.indexOf('namespaces')).toBeLessThan(order.indexOf('configmaps'));

    const config = await core.readNamespacedConfigMap({ namespace: shop, name: 'web-config' });
    expect(config.data).toEqual(before.data);
    expect(config.metadata?.labels).toMatchObject({
      ...before.metadata?.labels,
      [RESTORED_FROM]: backup,
      [RESTORE_LABEL]: restored.restore,
    });
    expect(config.metadata?.uid).not.toBe(before.metadata?.uid);
    const secret = await core.readNamespacedSecret({ namespace: shop, name: 'web-tls' });
    expect(secret.data).toEqual(fixture.secretData);
    const binding = await rbac.readNamespacedRoleBinding({ namespace: shop, name: 'web-reader' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'web', namespace: shop }]);
    const crd = await ext.readCustomResourceDefinition({ name: fixture.crd.name });
    expect(crd.status?.conditions?.find((c) => c.type === 'Established')?.status).toBe('True');
    const widgets = (await custom.listNamespacedCustomObject({
      group: fixture.crd.group,
      version: 'v1',
      namespace: shop,
      plural: fixture.crd.plural,
    })) as { items: { metadata: { name: string } }[] };
    expect(widgets.items.length).toBeGreaterThan(0);
    const edge = await core.readNamespacedService({ namespace: shop, name: 'edge' });
    expect(edge.spec?.ports?.[0]?.nodePort).toBe(nodePort);
    expect(edge.spec?.clusterIP).toBeDefined();
    expect(edge.spec?.clusterIPs).toEqual([edge.spec?.clusterIP]);
    // The claim comes back bound to its volume's name; the volume, Retained, outlived the namespace.
    const claim = await core.readNamespacedPersistentVolumeClaim({ namespace: shop, name: fixture.pvc });
    expect(claim.spec?.volumeName).toBe(fixture.cluster.pv);
    // Objects controllers make again are left to them, with a reason.
    expect(restored.skipped.length + restored.counts.skipped).toBeGreaterThan(0);

    // The results and the record are under the target's restores/ folder, apart from Velero's restore-* names.
    const s3 = s3ClientFor(server);
    try {
      const listed = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: 'it/resources/local/restores/' }),
      );
      const keys = (listed.Contents ?? []).map((o) => o.Key!);
      expect(keys).toContain(restored.recordKey);
      expect(keys.some((k) => k.includes(`/restores/${restored.restore}/lifeboat-items-`))).toBe(true);
    } finally {
      s3.destroy();
    }
  }, 180_000);

  it('over existing objects: unchanged, a changed one skipped with why, then updated with the update policy', async () => {
    const { shop } = fixture.namespaces;
    const changed = await core.readNamespacedConfigMap({ namespace: shop, name: 'web-config' });
    const original = { ...changed.data };
    await core.replaceNamespacedConfigMap({
      namespace: shop,
      name: 'web-config',
      body: { ...changed, data: { ...changed.data, extra: 'edited by hand' } },
    });

    const kept = await (await restore()).result;
    expect(kept.counts.created).toBe(0);
    expect(kept.counts.failed).toBe(0);
    expect(kept.counts.unchanged).toBeGreaterThan(5);
    const configMaps = step(kept, 'configmaps');
    const note = configMaps.notable.find((r) => r.name === 'web-config');
    expect(note?.outcome).toBe('skipped');
    expect(note?.reason).toMatch(/data/);
    expect((await core.readNamespacedConfigMap({ namespace: shop, name: 'web-config' })).data?.extra).toBe(
      'edited by hand',
    );

    const updated = await (await restore({ options: options({ existingResourcePolicy: 'update' }) })).result;
    expect(updated.counts.failed).toBe(0);
    expect(step(updated, 'configmaps').notable.find((r) => r.name === 'web-config')?.outcome).toBe('updated');
    const after = await core.readNamespacedConfigMap({ namespace: shop, name: 'web-config' });
    // A merge patch puts back what the backup holds; a key only the live object has stays (Velero's update does too).
    expect(after.data).toMatchObject(original);
  }, 120_000);

  it('a dry run says what it would create, and writes nothing', async () => {
    const { shop } = fixture.namespaces;
    await core.deleteNamespacedConfigMap({ namespace: shop, name: 'web-config' });
    const dry = await (await restore({ dryRun: true })).result;
    expect(dry.dryRun).toBe(true);
    expect(dry.recordKey).toBeUndefined();
    expect(step(dry, 'configmaps').byNamespace[shop]?.created).toBe(1);
    expect(dry.counts.unchanged).toBeGreaterThan(5);
    expect(await gone(() => core.readNamespacedConfigMap({ namespace: shop, name: 'web-config' }))).toBe(true);
  }, 60_000);

  it('maps a namespace: its objects and the RoleBinding subjects land in the new one', async () => {
    const { shop } = fixture.namespaces;
    const copy = `${shop}-copy`;
    const mapped = await (
      await restore({
        options: options({
          namespaceMapping: { [shop]: copy },
          filters: {
            includedNamespaces: [shop],
            excludedNamespaces: [],
            includedResources: [],
            excludedResources: [],
          },
        }),
      })
    ).result;
    expect(mapped.counts.failed, JSON.stringify(mapped.steps.flatMap((s) => s.notable))).toBe(0);
    const binding = await rbac.readNamespacedRoleBinding({ namespace: copy, name: 'web-reader' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'web', namespace: copy }]);
    expect(
      (await core.readNamespacedConfigMap({ namespace: copy, name: 'web-config' })).metadata?.labels,
    ).toMatchObject({ [RESTORED_FROM]: backup });
  }, 60_000);

  it('an identity that may not write is refused in preflight, naming kinds and verbs, before anything is written', async () => {
    const narrow = await fixture.narrowKubeconfig(
      'restore-narrow',
      [
        {
          apiGroups: ['', 'apps', 'rbac.authorization.k8s.io', 'apiextensions.k8s.io'],
          resources: ['*'],
          verbs: ['get', 'list'],
        },
      ],
      mkdtempSync(join(tmpdir(), 'lifeboat-narrow-')),
    );
    const narrowConfig = {
      ...config,
      clusters: [{ ...config.clusters[0]!, restoreApi: { kubeconfig: narrow } }],
    };
    const worker = await startTestWorker(narrowConfig);
    try {
      const { shop } = fixture.namespaces;
      await core.deleteNamespacedConfigMap({ namespace: shop, name: 'web-config' }).catch(() => undefined);
      const refused = await (
        await restore({}, worker)
      ).result.then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(refused).toBeInstanceOf(WorkflowFailedError);
      const message = JSON.stringify((refused as WorkflowFailedError).cause);
      expect(message).toMatch(/RestorePermissionDenied/);
      expect(message).toMatch(/create/);
      expect(message).toMatch(/configmaps/);
      expect(await gone(() => core.readNamespacedConfigMap({ namespace: shop, name: 'web-config' }))).toBe(true);
    } finally {
      await worker.close();
    }
  }, 60_000);
});
