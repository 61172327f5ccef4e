import { CoreV1Api, KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import { AUTO_IMPORT_SECRET } from '../../core/acm/auto-import.js';
import type { AcmBackupType } from '../../core/acm/backup-selection.js';
import { validateConfig } from '../../core/config/parse.js';
import { RESTORED_FROM_LABEL } from '../../core/kube-metadata.js';
import { workflowIds } from '../../core/naming.js';
import type { ControlPlane } from '../../devstack/kube/control-plane.js';
import { grantAcmRestoreCleanerAccess } from '../../devstack/kube/worker-access.js';
import type { AcmRestorePlan, AcmRestoreRequest } from '../../core/acm/restore-plan.js';
import { FailureTypes } from '../../core/failure-types.js';
import type { acmRestore } from '../../workflows/index.js';
import { backUpHub, createHubFixture, startPrivateHub, type HubFixture, type PrivateHub } from '../helpers/acm-hub.js';
import { recordHistory } from '../helpers/histories.js';
import { isolatedConfig, startTestWorker, uniqueName, type TestWorker } from '../helpers/stack.js';

// The disaster the ACM restore exists for (issue 15): the old hub's backups restored onto a new, empty hub (its own
// kube-apiserver and etcd, with only the ACM CRDs), written by the restore identity production ships. Every object
// the operator's selection put in a typed backup arrives, labelled with the backup of its step; nothing the operator
// never restores does. The old hub's set is three hours old (its schedule is hourly), so the activation runs without
// an override, and the imported cluster gets its auto-import secret on the new hub.

const OLD = 'old-hub';
const NEW = 'new-hub';
const POLICY = 'acm';

describe('an ACM hub restore onto a new, empty hub', { timeout: 300_000 }, () => {
  let fixture: HubFixture;
  let oldHub: PrivateHub;
  let newHub: PrivateHub;
  let plane: ControlPlane;
  let fresh: KubeConfig;
  let tw: TestWorker;
  const set = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3 * 3_600_000).toISOString();

  beforeAll(async () => {
    // Two hubs of this file's own: the old one's backups then hold only this fixture (a hub backup selects across
    // the cluster), and the new one starts empty but for the ACM CRDs.
    // Settled, not Promise.all: a hub that started is kept for afterAll to stop even when the other one failed.
    const [old, neu] = await Promise.allSettled([startPrivateHub('acm-old-hub'), startPrivateHub('acm-new-hub')]);
    if (old.status === 'fulfilled') oldHub = old.value;
    if (neu.status === 'fulfilled') newHub = neu.value;
    for (const hub of [old, neu]) if (hub.status === 'rejected') throw hub.reason;
    plane = newHub.plane;
    fresh = newHub.kc;
    fixture = await createHubFixture(oldHub.kc, uniqueName('acmn'));
    const isolated = await isolatedConfig();
    const result = validateConfig({
      ...isolated.config,
      clusters: [
        {
          name: OLD,
          api: { kubeconfig: oldHub.reader },
          labelApi: { kubeconfig: oldHub.labeller },
        },
        { name: NEW, api: { kubeconfig: newHub.reader }, restoreApi: { kubeconfig: newHub.restorer } },
      ],
      acmBackups: [
        { name: POLICY, cluster: OLD, location: 'versitygw', schedule: { cron: '0 * * * *' }, noBackupOnStart: true },
      ],
    });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    tw = await startTestWorker(result.config);
    await backUpHub(tw, OLD, POLICY, set);
  }, 600_000);

  afterAll(async () => {
    await tw?.close();
    await Promise.all([oldHub?.plane.stop(), newHub?.plane.stop()]);
  });

  /** An object of the fixture as the resource list names it (`<apiVersion>/<Kind>`, `[<namespace>/]<name>`). */
  const ref = (kind: string, name: string) => {
    const cut = kind.lastIndexOf('/');
    const [namespace, object] = name.includes('/') ? name.split('/') : [undefined, name];
    return {
      apiVersion: kind.slice(0, cut),
      kind: kind.slice(cut + 1),
      metadata: { name: object, ...(namespace ? { namespace } : {}) },
    };
  };

  const restore = (request: AcmRestoreRequest) =>
    tw.client.workflow.execute<typeof acmRestore>('acmRestore', {
      args: [{ hub: NEW, fromCluster: OLD, request, requestedBy: 'test', requestedAt: new Date().toISOString() }],
      taskQueue: tw.taskQueue,
      workflowId: workflowIds.acmRestore(NEW),
    });
  const everything: AcmRestoreRequest = {
    credentials: 'latest',
    resources: 'latest',
    managedClusters: 'latest',
    cleanup: 'none',
  };

  it('restores every type onto the new hub, each object from its own step, and activates the imported cluster', async () => {
    const restored = await restore(everything);
    expect(restored.results.map((r) => [r.step, r.outcome, r.failed])).toEqual(
      ['credentials', 'resources', 'generic', 'generic-active', 'credentials-active', 'managed-clusters'].map((s) => [
        s,
        'Completed',
        [],
      ]),
    );
    expect(restored.activation).not.toContain('activating anyway');

    const api = KubernetesObjectApi.makeApiClient(fresh);
    const backups: AcmRestorePlan['backups'] = restored.plan!.backups;
    const stepBackup: Record<AcmBackupType, string | undefined> = {
      credentials: backups.credentials,
      resources: backups.resources,
      'resources-generic': backups.generic,
      'managed-clusters': backups.managedClusters,
    };
    for (const [type, kinds] of Object.entries(fixture.expected) as [AcmBackupType, Record<string, string[]>][])
      for (const [kind, names] of Object.entries(kinds))
        for (const name of names) {
          const object = await api.read(ref(kind, name));
          expect([type, kind, name, object.metadata?.labels?.[RESTORED_FROM_LABEL]]).toEqual([
            type,
            kind,
            name,
            stepBackup[type],
          ]);
        }
    for (const [kind, names] of Object.entries(fixture.nowhere))
      for (const name of names)
        await expect(api.read(ref(kind, name)), `${kind} ${name} must not be restored`).rejects.toThrow();

    const core = fresh.makeApiClient(CoreV1Api);
    const { imported, managed } = fixture.namespaces;
    const secret = await core.readNamespacedSecret({ name: AUTO_IMPORT_SECRET, namespace: imported });
    expect(Buffer.from(secret.data!['server']!, 'base64').toString('utf8')).toBe(fixture.imported.url);
    expect(Buffer.from(secret.data!['token']!, 'base64').toString('utf8')).toBe(fixture.imported.token);
    expect(restored.autoImport!.clusters.find((c) => c.cluster === managed)).toMatchObject({ action: 'skipped' });
  });

  it('cleans up what an earlier restore brought (restored), then what nobody restored (all), as the restore identity', async () => {
    const api = KubernetesObjectApi.makeApiClient(fresh);
    const { apps, managed } = fixture.namespaces;
    const placement = (name: string, labels: Record<string, string> = {}) => ({
      apiVersion: 'cluster.open-cluster-management.io/v1beta1',
      kind: 'Placement',
      metadata: { name, namespace: apps, labels },
      spec: {},
    });
    const older = (type: string) => ({ [RESTORED_FROM_LABEL]: `acm-${type}-20250101000000` });
    const stale = [
      placement(`${fixture.id}-stale`, older('resources')),
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: `${fixture.id}-stale-creds`,
          namespace: managed,
          labels: { 'cluster.open-cluster-management.io/type': 'aws', ...older('credentials') },
        },
      },
      {
        apiVersion: 'cluster.open-cluster-management.io/v1',
        kind: 'ManagedCluster',
        metadata: { name: `${fixture.id}-detached`, labels: older('managed-clusters') },
        spec: { hubAcceptsClient: true },
      },
    ];
    const handmade = placement(`${fixture.id}-handmade`);
    for (const object of [...stale, handmade]) await api.create(object);
    const exists = (o: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }) =>
      api.read(o).then(
        () => true,
        () => false,
      );
    const restoredPlacement = placement(`${fixture.id}-placement`);

    // Without the cleaner role the restore is refused before it writes anything: nothing is deleted.
    const refused = await restore({ ...everything, cleanup: 'restored' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WorkflowFailedError);
    const cause = (refused as WorkflowFailedError).cause as Error & { type?: string };
    expect(cause.type).toBe(FailureTypes.RestorePermissionDenied);
    expect(cause.message).toContain('bind it to deploy/kubernetes/acm-restore-cleaner.yaml');
    for (const object of stale) expect(await exists(object)).toBe(true);

    await grantAcmRestoreCleanerAccess(plane);
    const cleaned = await restore({ ...everything, cleanup: 'restored' });
    expect(cleaned.cleanup).toMatchObject({
      mode: 'restored',
      deleted: { credentials: 1, resources: 1, generic: 0, 'managed-clusters': 1 },
      failed: [],
    });
    await recordHistory('acm-restore-cleanup', tw.client.workflow.getHandle(workflowIds.acmRestore(NEW)));
    for (const object of stale) expect(await exists(object), object.metadata.name).toBe(false);
    expect(await exists(handmade)).toBe(true);
    expect(await exists(restoredPlacement)).toBe(true);

    const all = await restore({
      credentials: 'skip',
      resources: 'latest',
      managedClusters: 'skip',
      cleanup: 'all',
      cleanupAllConfirmed: true,
    });
    expect(all.cleanup).toMatchObject({ mode: 'all', deleted: { resources: 1, credentials: 0 }, failed: [] });
    expect(all.cleanup!.examples).toEqual([
      `resources: placements.cluster.open-cluster-management.io ${apps}/${fixture.id}-handmade (not in ${all.plan!.backups.resources} (cleanup all))`,
    ]);
    expect(await exists(handmade)).toBe(false);
    expect(await exists(restoredPlacement)).toBe(true);
  });
});
