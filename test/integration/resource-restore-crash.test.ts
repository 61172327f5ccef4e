import { ApiextensionsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { temporal } from '@temporalio/proto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { validateConfig } from '../../core/config/parse.js';
import type { LifeboatConfig } from '../../core/config/schema.js';
import { workflowIds } from '../../core/naming.js';
import type { ManagedProcess } from '../../devstack/process.js';
import type { resourceRestore } from '../../workflows/index.js';
import { resourceRestoreProgress } from '../../workflows/resource-restore-api.js';
import { frozenAtCrashPoint, identityOf, workerProcess } from '../helpers/faults.js';
import { activityRuns } from '../helpers/histories.js';
import { waitFor } from '../helpers/kube.js';
import { createResourceFixture, type ResourceFixture } from '../helpers/resource-fixture.js';
import { backUpResources, localClusterWithRestorer, restoreOptions } from '../helpers/resource-restore.js';
import { isolatedConfig, startTestWorker, testSecrets, uniqueName, type TestWorker } from '../helpers/stack.js';

// A worker SIGKILLed right after a restore step did its writes, before the server heard of it (the worst moment),
// after every step of the restore. Each next worker runs the step again and finds what the dead one created by this
// restore's label: created once, never "already exists", never failed.
const kc = new KubeConfig();
kc.loadFromFile(inject('kubeconfig'));
const core = kc.makeApiClient(CoreV1Api);
const ext = kc.makeApiClient(ApiextensionsV1Api);
describe('resource restore survives a worker killed after each step', { timeout: 300_000 }, () => {
  let fixture: ResourceFixture;
  let config: LifeboatConfig;
  let tw: TestWorker;
  /** The restore's steps in plan order (core/resources/restore-plan.ts): the CRD first, its custom resources last. */
  let stepResources: string[] = [];
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
    stepResources = [
      'customresourcedefinitions.apiextensions.k8s.io',
      'namespaces',
      'secrets',
      'configmaps',
      fixture.crd.resource,
    ];
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

  it('killed after every step wrote: each survivor counts those objects as created, nothing failed', async () => {
    const taskQueue = uniqueName('rr-crash');
    const ledger = join(mkdtempSync(join(tmpdir(), 'lifeboat-crash-')), 'ledger');
    const crashed: ManagedProcess[] = [];
    let worker: ManagedProcess | undefined;
    const nextWorker = async () => {
      worker = workerProcess(config, taskQueue, testSecrets(), {
        crashPoint: 'after-each:restoreResourceStep',
        crashLedger: ledger,
      });
      await worker.start();
      return worker;
    };
    try {
      const handle = await tw.client.workflow.start<typeof resourceRestore>('resourceRestore', {
        args: [
          {
            target: 'local',
            backup,
            // Five steps, the CRD's first: each kill costs a heartbeat timeout (30 s), so not the whole fixture.
            options: restoreOptions({
              filters: {
                includedNamespaces: [],
                excludedNamespaces: [],
                includedResources: stepResources,
                excludedResources: [],
              },
            }),
            requestedBy: 'resource-restore-crash.test',
            requestedAt: '2026-06-02T00:00:00.000Z',
          },
        ],
        taskQueue,
        workflowId: workflowIds.resourceRestore('local'),
      });
      const result = handle.result();
      // Each worker runs the retry of the step its predecessor died in, then the next step, and freezes after it.
      for (;;) {
        const current = await nextWorker();
        // A worker that never freezes (the restore ended) must not leave a rejection behind: the error is a value.
        const frozen = frozenAtCrashPoint(current, 'restoreResourceStep').then(
          () => 'frozen' as const,
          (err: unknown) => err as Error,
        );
        const ended = result.then(
          () => 'ended' as const,
          () => 'ended' as const,
        );
        const outcome = await Promise.race([frozen, ended]);
        if (outcome instanceof Error) throw outcome;
        if (outcome === 'ended') break;
        const progress = await handle.query(resourceRestoreProgress);
        expect(progress.current?.groupResource, 'the step the worker froze after').toBeDefined();
        await current.kill();
        crashed.push(current);
      }
      const restored = await result;

      expect(restored.outcome, JSON.stringify(restored.steps.flatMap((s) => s.notable))).toBe('Completed');
      expect(restored.counts.failed).toBe(0);
      expect(restored.steps.map((s) => s.groupResource)).toEqual(stepResources);
      // Everything it met in the deleted namespace it had created itself, though every step ran twice: nothing
      // "unchanged" or "already exists". The namespace's default ServiceAccount is not among these kinds.
      for (const step of restored.steps) {
        const counts = step.byNamespace[fixture.namespaces.shop];
        const inNamespace = !['customresourcedefinitions.apiextensions.k8s.io', 'namespaces'].includes(
          step.groupResource,
        );
        if (inNamespace) expect(counts?.created, step.groupResource).toBe(step.counts.created);
        expect(step.counts.created, step.groupResource).toBeGreaterThan(0);
        expect(step.counts.unchanged + step.counts.updated + step.counts.failed, step.groupResource).toBe(0);
      }
      expect(
        (await core.readNamespacedConfigMap({ namespace: fixture.namespaces.shop, name: 'web-config' })).data,
      ).toEqual({ name: 'web-config' });
      expect((await core.readNamespacedSecret({ namespace: fixture.namespaces.shop, name: 'web-tls' })).data).toEqual(
        fixture.secretData,
      );

      // The history shows it: every step's first attempt ran on a worker that was killed (a heartbeat timeout), and
      // the attempt that completed it ran on the next one.
      expect(crashed).toHaveLength(stepResources.length);
      const runs = activityRuns(await handle.fetchHistory(), 'restoreResourceStep');
      expect(runs).toHaveLength(stepResources.length);
      runs.forEach((run, i) => {
        expect(run, stepResources[i]).toMatchObject({
          identity: identityOf(i + 1 < crashed.length ? crashed[i + 1]! : worker!),
          lastTimeout: temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_HEARTBEAT,
        });
        expect(run.attempt, stepResources[i]).toBeGreaterThanOrEqual(2);
      });
    } finally {
      for (const dead of crashed) await dead.kill().catch(() => undefined);
      await worker?.kill().catch(() => undefined);
    }
  });
});
