import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { CoreV1Api, KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { WorkflowFailedError } from '@temporalio/client';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { applySchedules } from '../../client/schedules-sync.js';
import { ACM_BACKUP_TYPES, type AcmBackupType } from '../../core/acm/backup-selection.js';
import { validateConfig } from '../../core/config/parse.js';
import type { LifeboatConfig } from '../../core/config/schema.js';
import { manifestKey, resourceListKey, veleroBackupKey, type ResourceBackupRef } from '../../core/layout.js';
import { parseManifestOfKind, type ResourceBackupManifest } from '../../core/manifest.js';
import { acmTypedPolicy, backupName, scheduleIds, workflowIds } from '../../core/naming.js';
import { LifeboatKind, LifeboatPaused, LifeboatPhase } from '../../core/search-attributes.js';
import { parseResourceList } from '../../core/velero/resource-list.js';
import { ensureAcmCrds, installAcmCrds } from '../../devstack/tools/acm-crds.js';
import type { acmBackup, retention } from '../../workflows/index.js';
import { createHubFixture, type HubFixture } from '../helpers/acm-hub.js';
import { recordHistory } from '../helpers/histories.js';
import { isolatedConfig, s3ClientFor, startTestWorker, uniqueName, type TestWorker } from '../helpers/stack.js';

// ACM hub backups (issue 15) on the real control plane with the real ACM and Hive CRDs, into a real S3 server: one
// set is four typed resource backups, each holding exactly what the operator's selection puts in it; retention
// deletes whole sets; a second hub writing into the same history pauses the schedule with both hub ids.
const server = inject('s3Servers').find((s) => s.name === 'versitygw')!;
const kc = new KubeConfig();
kc.loadFromFile(inject('kubeconfig'));
const core = kc.makeApiClient(CoreV1Api);
const objects = KubernetesObjectApi.makeApiClient(kc);

const CLUSTER = 'hub';
const POLICY = 'acm';
/** The ClusterVersion that makes the same API look like another (OpenShift) hub. */
const OTHER_HUB = '6c1d7f3e-0a4b-4c55-9d2e-3f8a1b2c4d5e';

describe('ACM hub backups', () => {
  let fixture: HubFixture;
  let config: LifeboatConfig;
  let bucket: string;
  let tw: TestWorker;
  let thisHub: string;

  beforeAll(async () => {
    await installAcmCrds(kc, await ensureAcmCrds());
    fixture = await createHubFixture(kc, uniqueName('acm'));
    thisHub = `kube-system-${(await core.readNamespace({ name: 'kube-system' })).metadata!.uid!}`;
    const isolated = await isolatedConfig();
    bucket = isolated.buckets.versitygw!;
    const result = validateConfig({
      ...isolated.config,
      clusters: [
        {
          name: CLUSTER,
          api: { kubeconfig: inject('resourceReaderKubeconfig') },
          labelApi: { kubeconfig: inject('credentialLabellerKubeconfig') },
        },
      ],
      acmBackups: [
        {
          name: POLICY,
          cluster: CLUSTER,
          location: 'versitygw',
          // Never due within the test; runs are started by the test. noBackupOnStart: apply takes no set either.
          schedule: { cron: '0 0 1 1 *' },
          noBackupOnStart: true,
          maxBackups: 2,
          ttl: '720h',
        },
      ],
    });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    config = result.config;
    tw = await startTestWorker(config);
  }, 600_000);

  afterAll(async () => {
    await tw?.close();
    await objects
      .delete({ apiVersion: 'config.openshift.io/v1', kind: 'ClusterVersion', metadata: { name: 'version' } })
      .catch(() => undefined);
    await fixture?.cleanup();
  });

  const ref = (backup: string): ResourceBackupRef => ({ prefix: 'it', kind: 'resources', cluster: CLUSTER, backup });

  async function read(key: string): Promise<Buffer> {
    const s3 = s3ClientFor(server);
    try {
      const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from(await response.Body!.transformToByteArray());
    } finally {
      s3.destroy();
    }
  }

  async function backupsInBucket(): Promise<string[]> {
    const s3 = s3ClientFor(server);
    try {
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `it/resources/${CLUSTER}/` }));
      const names = (listed.Contents ?? []).map((o) => o.Key!.split('/')[4]!);
      return [...new Set(names)].sort();
    } finally {
      s3.destroy();
    }
  }

  // Sets a few hours old, well inside the 720h TTL: hour 1 is the oldest.
  const base = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 10 * 3_600_000;
  const setAt = (hour: number) => new Date(base + hour * 3_600_000).toISOString();
  const typedName = (type: AcmBackupType, set: string) => backupName(acmTypedPolicy(POLICY, type), new Date(set));

  function runSet(set: string) {
    return tw.client.workflow.start<typeof acmBackup>('acmBackup', {
      args: [{ cluster: CLUSTER, policy: POLICY, requestedAt: set }],
      taskQueue: tw.taskQueue,
      workflowId: workflowIds.acmBackup(CLUSTER, POLICY, backupName(POLICY, new Date(set))),
    });
  }

  async function retentionAfter() {
    return tw.client.workflow.getHandle<typeof retention>(workflowIds.retention(CLUSTER, POLICY)).result();
  }

  it('takes one set: four typed backups, each with what the operator selects, tagged with type, set and hub', async () => {
    const set = setAt(1);
    const handle = await runSet(set);
    const result = await handle.result();
    expect(result).toMatchObject({ set, phase: 'done', hub: thisHub, skipped: [] });
    expect(result.typed.map((t) => [t.type, t.backup])).toEqual(ACM_BACKUP_TYPES.map((t) => [t, typedName(t, set)]));
    // The pre-backup step labelled the two credentials the ClusterDeployment names and the imported cluster's
    // ManagedServiceAccount token, as the narrow labeller identity.
    const { managed, imported } = fixture.namespaces;
    expect(result.labels?.warnings).toEqual([]);
    expect(result.labels?.labelled.filter((l) => l.includes(fixture.id)).sort()).toEqual([
      `secrets ${imported}/auto-import-account: cluster.open-cluster-management.io/backup=msa ` +
        '(a ManagedServiceAccount token: the activation writes auto-import secrets from it)',
      `secrets ${managed}/${fixture.id}-bundle: cluster.open-cluster-management.io/backup=certificatebundle ` +
        `(named by ClusterDeployment ${managed}/${managed} (certificateBundles))`,
      `secrets ${managed}/${fixture.id}-pull: cluster.open-cluster-management.io/backup=pullsecret ` +
        `(named by ClusterDeployment ${managed}/${managed} (pullSecretRef))`,
    ]);
    const pull = await core.readNamespacedSecret({ name: `${fixture.id}-pull`, namespace: managed });
    expect(pull.metadata?.labels?.['cluster.open-cluster-management.io/backup']).toBe('pullsecret');

    for (const type of ACM_BACKUP_TYPES) {
      const backup = typedName(type, set);
      const parsed = parseManifestOfKind((await read(manifestKey(ref(backup)))).toString('utf8'), 'resources');
      if (!parsed.ok) throw new Error(parsed.error);
      const manifest: ResourceBackupManifest = parsed.manifest;
      expect(manifest.acm).toEqual({ policy: POLICY, type, set, hub: thisHub });
      expect(manifest).toMatchObject({ policy: acmTypedPolicy(POLICY, type), nominalTime: set, oneOff: true });

      // What the backup holds, read from its resource list: the fixture's objects of this type, and none other.
      const list = parseResourceList(gunzipSync(await read(resourceListKey(ref(backup)))).toString('utf8'));
      const ours = (kind: string) => (list[kind] ?? []).filter((n) => n.includes(fixture.id));
      for (const [kind, names] of Object.entries(fixture.expected[type]))
        expect(ours(kind), `${type}: ${kind}`).toEqual([...names].sort());
      for (const [kind, names] of Object.entries(fixture.nowhere))
        for (const name of names) expect(list[kind] ?? [], `${type} must not hold ${kind} ${name}`).not.toContain(name);
      for (const other of ACM_BACKUP_TYPES.filter((t) => t !== type))
        for (const [kind, names] of Object.entries(fixture.expected[other]))
          for (const name of names)
            if (!(fixture.expected[type][kind] ?? []).includes(name))
              expect(list[kind] ?? [], `${type} must not hold ${other}'s ${kind} ${name}`).not.toContain(name);

      // Stock Velero (and the operator's tooling) sees the type and the hub on the backup's record.
      const record = JSON.parse((await read(veleroBackupKey(ref(backup)))).toString('utf8')) as {
        metadata: { labels: Record<string, string> };
        spec: { ttl?: string };
      };
      expect(record.metadata.labels).toMatchObject({
        'cluster.open-cluster-management.io/backup-schedule-type': {
          credentials: 'credentials',
          'managed-clusters': 'managedClusters',
          'resources-generic': 'resourcesGeneric',
          resources: 'resources',
        }[type],
        'cluster.open-cluster-management.io/backup-cluster': thisHub,
      });
      expect(record.spec.ttl).toBe('720h0m0s');
    }

    const attributes = (await handle.describe()).typedSearchAttributes;
    expect([attributes.get(LifeboatKind), attributes.get(LifeboatPhase)]).toEqual(['acm-backup', 'done']);
    expect((await retentionAfter()).deleted).toEqual([]);
    // The four typed backups ran at once: every child was started before the first one finished.
    const events = (await handle.fetchHistory()).events ?? [];
    const firstDone = events.findIndex((e) => e.childWorkflowExecutionCompletedEventAttributes);
    const started = events.filter(
      (e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name === 'resourceBackup',
    );
    expect(started).toHaveLength(4);
    expect(firstDone).toBeGreaterThan(events.indexOf(started.at(-1)!));
    await recordHistory('acm-backup-completed', handle);
  });

  it('keeps maxBackups whole sets: the oldest set goes with all its types', async () => {
    for (const hour of [2, 3]) {
      await (await runSet(setAt(hour))).result();
      await retentionAfter();
    }
    const names = await backupsInBucket();
    const expected = [2, 3].flatMap((h) => ACM_BACKUP_TYPES.map((t) => typedName(t, setAt(h))));
    expect(names).toEqual(expected.sort());
  });

  it('pauses the schedule when another hub wrote the newest set, naming both hubs, and writes nothing', async () => {
    await applySchedules(tw.client, config, tw.taskQueue, { dryRun: false });
    // The same API as another hub: OpenShift's ClusterVersion id is the hub id where it exists. Its first set is a
    // takeover (it has written none before), not a collision.
    await objects.create({
      apiVersion: 'config.openshift.io/v1',
      kind: 'ClusterVersion',
      metadata: { name: 'version' },
      spec: { clusterID: OTHER_HUB },
    });
    const takeover = await (await runSet(setAt(4))).result();
    expect(takeover).toMatchObject({ hub: OTHER_HUB, phase: 'done' });
    await retentionAfter();

    // The first hub comes back: the newest set is the other hub's, newer than its own.
    await objects.delete({
      apiVersion: 'config.openshift.io/v1',
      kind: 'ClusterVersion',
      metadata: { name: 'version' },
    });
    const before = await backupsInBucket();
    const handle = await runSet(setAt(5));
    const failure = await handle.result().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const message = ((failure as WorkflowFailedError).cause as Error).message;
    expect(message).toContain(`hub ${OTHER_HUB} wrote set ${setAt(4)}`);
    expect(message).toContain(`this hub (${thisHub}) wrote set ${setAt(3)}`);
    expect(await backupsInBucket()).toEqual(before);

    const schedule = await tw.client.schedule.getHandle(scheduleIds.acmBackup(CLUSTER, POLICY)).describe();
    expect(schedule.state.paused).toBe(true);
    expect(schedule.state.note).toBe(message);
    expect(schedule.typedSearchAttributes.get(LifeboatPaused)).toBe(message);
    expect((await handle.describe()).typedSearchAttributes.get(LifeboatPaused)).toBe(message);
    await recordHistory('acm-backup-collision', handle);

    // `apply` does not resume it: that is an operator's explicit action.
    await applySchedules(
      tw.client,
      { ...config, acmBackups: [{ ...config.acmBackups[0]!, maxBackups: 3 }] },
      tw.taskQueue,
      {
        dryRun: false,
      },
    );
    expect((await tw.client.schedule.getHandle(scheduleIds.acmBackup(CLUSTER, POLICY)).describe()).state.paused).toBe(
      true,
    );
  });
});
