import { ApiextensionsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { temporal } from '@temporalio/proto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { validateConfig } from '../../core/config/parse.js';
import type { LifeboatConfig } from '../../core/config/schema.js';
import { workflowIds } from '../../core/naming.js';
import type { ManagedProcess } from '../../devstack/process.js';
import type { resourceRestore } from '../../workflows/index.js';
import { resourceRestoreProgress } from '../../workflows/resource-restore-api.js';
import { frozenAtCrashPoint, workerProcess } from '../helpers/faults.js';
import { activityRuns } from '../helpers/histories.js';
import { waitFor } from '../helpers/kube.js';
import { createResourceFixture, type ResourceFixture } from '../helpers/resource-fixture.js';
import { backUpResources, localClusterWithRestorer, restoreOptions } from '../helpers/resource-restore.js';
import { isolatedConfig, startTestWorker, testSecrets, uniqueName, type TestWorker } from '../helpers/stack.js';

// A worker SIGKILLed right after a restore step did its writes, before the server heard of it: the worst moment.
// Another worker runs the step again and finds what the dead one created by this restore's label: created once,
// never "already exists", never failed.
const kc = new KubeConfig();
kc.loadFromFile(inject('kubeconfig'));
const core = kc.makeApiClient(CoreV1Api);
const ext = kc.makeApiClient(ApiextensionsV1Api);
const IDENTITY_LINE = /^WORKER IDENTITY (.+)$/m;

function identityOf(worker: ManagedProcess): string {
  const found = IDENTITY_LINE.exec(readFileSync(worker.spec.logFile, 'utf8'));
  if (!found) throw new Error(`${worker.spec.logFile} has no identity line`);
  return found[1]!;
}

describe('resource restore survives a worker killed after a step', { timeout: 300_000 }, () => {
  let fixture: ResourceFixture;
  let config: LifeboatConfig;
  let tw: TestWorker;
  let backup: string;

  beforeAll(async () => {
    fixture = await createResourceFixture(kc);
    const isolated = await isolatedConfig();
    const result = validateConfig({
      ...isolated.config,
      clusters: [localClusterWithRestorer()],
      resourceBackups: [
        { name: 'shop', cluster: 'local', location: 'versitygw', includedNamespaces: [fixture.namespaces.shop] },
      ],
    });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    config = result.config;
    tw = await startTestWorker(config);
    backup = await backUpResources(tw, 'local', 'shop', '2026-05-02T00:00:00.000Z');
    // The CRD too: the plan's first step (CRDs) then creates something, and the kill comes right after it did.
    await core.deleteNamespace({ name: fixture.namespaces.shop });
    await ext.deleteCustomResourceDefinition({ name: fixture.crd.name });
    const absent = (read: Promise<unknown>) =>
      read.then(
        () => false,
        () => true,
      );
    await waitFor(
      'the namespace and the CRD to be gone',
      async () =>
        (await absent(core.readNamespace({ name: fixture.namespaces.shop }))) &&
        (await absent(ext.readCustomResourceDefinition({ name: fixture.crd.name }))),
      120_000,
    );
  }, 240_000);

  afterAll(async () => {
    await tw?.close();
    await fixture?.delete();
  });

  it('killed after its first step wrote: the survivor counts those objects as created, nothing failed', async () => {
    const taskQueue = uniqueName('rr-crash');
    const doomed = workerProcess(config, taskQueue, testSecrets(), { crashPoint: 'after:restoreResourceStep' });
    let survivor: ManagedProcess | undefined;
    await doomed.start();
    try {
      const handle = await tw.client.workflow.start<typeof resourceRestore>('resourceRestore', {
        args: [
          {
            target: 'local',
            backup,
            options: restoreOptions(),
            requestedBy: 'resource-restore-crash.test',
            requestedAt: '2026-06-02T00:00:00.000Z',
          },
        ],
        taskQueue,
        workflowId: workflowIds.resourceRestore('local'),
      });
      await frozenAtCrashPoint(doomed, 'restoreResourceStep');
      // The first step's objects are in the cluster: the dead worker wrote them.
      const first = await handle.query(resourceRestoreProgress);
      expect(first.current?.groupResource).toBeDefined();
      await doomed.kill();
      survivor = workerProcess(config, taskQueue, testSecrets(), { crashPoint: 'none:none' });
      await survivor.start();
      const result = await handle.result();

      expect(result.outcome, JSON.stringify(result.steps.flatMap((s) => s.notable))).toBe('Completed');
      expect(result.counts.failed).toBe(0);
      // Everything it met in the deleted namespace it had created itself: nothing "unchanged" or "already exists"
      // there (only cluster-scoped objects that outlived the namespace, its PV and the CRD, are found unchanged).
      // The namespace's controller makes its `default` ServiceAccount as soon as the restore creates the namespace:
      // that one is found unchanged; everything else was created by this restore (or skipped by the plan: what
      // controllers make, such as ReplicaSets and Endpoints, with its reason).
      const found = Object.fromEntries(
        result.steps.flatMap((s) => {
          const c = s.byNamespace[fixture.namespaces.shop] ?? {};
          const n = (c.unchanged ?? 0) + (c.updated ?? 0) + (c.failed ?? 0);
          return n > 0 ? [[s.groupResource, n]] : [];
        }),
      );
      expect(found, JSON.stringify(result.steps.map((s) => [s.groupResource, s.byNamespace]))).toEqual({
        serviceaccounts: 1,
      });
      const retried = result.steps.find((s) => s.groupResource === first.current!.groupResource)!;
      expect(retried.counts.created).toBeGreaterThan(0);
      expect(retried.groupResource).toBe('customresourcedefinitions.apiextensions.k8s.io');
      expect(retried.counts.unchanged).toBe(0);
      expect(
        (await core.readNamespacedConfigMap({ namespace: fixture.namespaces.shop, name: 'web-config' })).data,
      ).toEqual({
        name: 'web-config',
      });

      // The history shows it: the first step's first attempt timed out on the dead worker, the survivor ran it.
      const history = await handle.fetchHistory();
      const runs = activityRuns(history, 'restoreResourceStep');
      expect(runs[0]).toMatchObject({
        identity: identityOf(survivor),
        lastTimeout: temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_HEARTBEAT,
      });
      expect(runs[0]!.attempt).toBeGreaterThanOrEqual(2);
      expect(identityOf(doomed)).not.toBe(identityOf(survivor));
    } finally {
      await doomed.kill().catch(() => undefined);
      await survivor?.stop().catch(() => undefined);
    }
  });
});
