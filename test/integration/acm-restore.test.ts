import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AcmRestoreInput } from '../../core/acm/restore-run.js';
import { validateConfig } from '../../core/config/parse.js';
import type { LifeboatConfig } from '../../core/config/schema.js';
import { FailureTypes } from '../../core/failure-types.js';
import { RESTORED_FROM_LABEL } from '../../core/kube-metadata.js';
import { backupName, workflowIds } from '../../core/naming.js';
import { ensureAcmCrds, installAcmCrds } from '../../devstack/tools/acm-crds.js';
import type { acmBackup, acmRestore } from '../../workflows/index.js';
import { createHubFixture, type HubFixture } from '../helpers/acm-hub.js';
import { recordHistory } from '../helpers/histories.js';
import { isolatedConfig, startTestWorker, uniqueName, type TestWorker } from '../helpers/stack.js';

// An ACM hub restore (issue 15) of a hub's own backups on the real control plane with the real ACM CRDs: the passive
// data comes back (a deleted Placement and credential Secret reappear, written by the restore identity), the
// activation is refused while the old hub's newest set is recent, and runs, with the auto-import report, when the
// operator says the old hub is gone. The restore onto a second, empty control plane is not tested yet.
const kc = new KubeConfig();
kc.loadFromFile(inject('kubeconfig'));
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);

const HUB = 'hub';
const POLICY = 'acm';

describe('ACM hub restore', { timeout: 300_000 }, () => {
  let fixture: HubFixture;
  let config: LifeboatConfig;
  let tw: TestWorker;
  const set = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 60_000).toISOString();

  beforeAll(async () => {
    await installAcmCrds(kc, await ensureAcmCrds());
    fixture = await createHubFixture(kc, uniqueName('acmr'));
    const isolated = await isolatedConfig();
    const result = validateConfig({
      ...isolated.config,
      clusters: [
        {
          name: HUB,
          api: { kubeconfig: inject('resourceReaderKubeconfig') },
          restoreApi: { kubeconfig: inject('resourceRestorerKubeconfig') },
          labelApi: { kubeconfig: inject('credentialLabellerKubeconfig') },
        },
      ],
      acmBackups: [
        { name: POLICY, cluster: HUB, location: 'versitygw', schedule: { cron: '0 * * * *' }, noBackupOnStart: true },
      ],
    });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    config = result.config;
    tw = await startTestWorker(config);
    await (
      await tw.client.workflow.start<typeof acmBackup>('acmBackup', {
        args: [{ cluster: HUB, policy: POLICY, requestedAt: set }],
        taskQueue: tw.taskQueue,
        workflowId: workflowIds.acmBackup(HUB, POLICY, backupName(POLICY, new Date(set))),
      })
    ).result();
  }, 600_000);

  // A failed test must not leave its run open: the next one starts under the same workflow id.
  afterEach(async () => {
    for (const id of [workflowIds.acmRestore(HUB), workflowIds.resourceRestore(HUB)]) {
      await tw.client.workflow
        .getHandle(id)
        .terminate('test ended')
        .catch(() => undefined);
    }
  });

  afterAll(async () => {
    await tw?.close();
    await fixture?.cleanup();
  });

  const input = (
    request: Partial<AcmRestoreInput['request']>,
    extra: Partial<AcmRestoreInput> = {},
  ): AcmRestoreInput => ({
    hub: HUB,
    fromCluster: HUB,
    request: { credentials: 'latest', resources: 'latest', managedClusters: 'skip', cleanup: 'none', ...request },
    requestedBy: 'test',
    requestedAt: new Date().toISOString(),
    ...extra,
  });
  const run = (i: AcmRestoreInput) =>
    tw.client.workflow.start<typeof acmRestore>('acmRestore', {
      args: [i],
      taskQueue: tw.taskQueue,
      workflowId: workflowIds.acmRestore(HUB),
    });
  const placement = () =>
    custom.getNamespacedCustomObject({
      group: 'cluster.open-cluster-management.io',
      version: 'v1beta1',
      namespace: fixture.namespaces.apps,
      plural: 'placements',
      name: `${fixture.id}-placement`,
    }) as Promise<{ metadata: { labels?: Record<string, string> } }>;

  it('restores the passive data: deleted objects come back, labelled with the step restore', async () => {
    const { apps, managed } = fixture.namespaces;
    await custom.deleteNamespacedCustomObject({
      group: 'cluster.open-cluster-management.io',
      version: 'v1beta1',
      namespace: apps,
      plural: 'placements',
      name: `${fixture.id}-placement`,
    });
    await core.deleteNamespacedSecret({ name: `${fixture.id}-admin-kubeconfig`, namespace: managed });

    const handle = await run(input({}));
    const result = await handle.result();
    expect(result.results.map((r) => [r.step, r.outcome])).toEqual([
      ['credentials', 'Completed'],
      ['resources', 'Completed'],
      ['generic', 'Completed'],
    ]);
    expect(result.plan?.backups.managedClusters).toBeUndefined();
    expect(result.autoImport).toBeUndefined();
    expect(result.results.find((r) => r.step === 'resources')!.counts.created).toBeGreaterThanOrEqual(1);

    expect((await placement()).metadata.labels?.[RESTORED_FROM_LABEL]).toBe(result.plan!.backups.resources);
    const secret = await core.readNamespacedSecret({ name: `${fixture.id}-admin-kubeconfig`, namespace: managed });
    expect(secret.metadata?.labels?.[RESTORED_FROM_LABEL]).toBe(result.plan!.backups.credentials);
    await recordHistory('acm-restore-passive', handle);
  });

  it('refuses a name that is no backup of its type, and all three skip, before writing anything', async () => {
    for (const [request, message] of [
      [{ credentials: 'nope' }, '--credentials: nope is neither latest, skip nor a credentials backup'],
      [{ credentials: 'skip', resources: 'skip' }, 'all three are skip'],
    ] as const) {
      const failure = await (await run(input(request))).result().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(WorkflowFailedError);
      const cause = (failure as WorkflowFailedError).cause as Error & { type?: string };
      expect(cause.type).toBe(FailureTypes.InvalidRestoreRequest);
      expect(cause.message).toContain(message);
    }
  });

  it('refuses the activation while the old hub wrote a recent set, and runs it when told the hub is gone', async () => {
    const refused = await (await run(input({ managedClusters: 'latest' }))).result().then(
      () => undefined,
      (err: unknown) => err,
    );
    const cause = (refused as WorkflowFailedError).cause as Error & { type?: string };
    expect(cause.type).toBe(FailureTypes.OldHubAlive);
    expect(cause.message).toContain('--old-hub-gone');

    const handle = await run(input({ managedClusters: 'latest' }, { oldHubGone: 'test: same hub' }));
    const result = await handle.result();
    expect(result.results.map((r) => r.step)).toEqual([
      'credentials',
      'resources',
      'generic',
      'generic-active',
      'credentials-active',
      'managed-clusters',
    ]);
    expect(result.activation).toContain('activating anyway: test: same hub (test)');
    // The fixture's managed cluster has no URL (a Hive cluster): no auto-import secret, and the reason says so.
    const mine = result.autoImport!.clusters.find((c) => c.cluster === fixture.namespaces.managed)!;
    expect(mine).toMatchObject({ action: 'skipped' });
    expect(mine.message).toContain('managedClusterClientConfigs');
    expect(result.autoImport!.clusters.map((c) => c.cluster)).not.toContain(fixture.namespaces.local);
    await recordHistory('acm-restore-activated', handle);
  });
});
