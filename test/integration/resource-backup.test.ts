import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { KubeConfig } from '@kubernetes/client-node';
import { WorkflowFailedError } from '@temporalio/client';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { validateConfig } from '../../core/config/parse.js';
import type { LifeboatConfig } from '../../core/config/schema.js';
import { rootCause } from '../../core/failures.js';
import { kindPrefix, manifestKey, type ResourceBackupRef } from '../../core/layout.js';
import { parseManifestOfKind, type ResourceBackupManifest } from '../../core/manifest.js';
import type { ItemProblem } from '../../core/resources/model.js';
import { parseItemPath } from '../../core/velero/archive-paths.js';
import { parseResourceList } from '../../core/velero/resource-list.js';
import { parseVeleroResults } from '../../core/velero/results.js';
import { TarReader, type TarEntry } from '../../core/velero/tar.js';
import type { ManagedProcess } from '../../devstack/process.js';
import type { resourceBackup } from '../../workflows/index.js';
import { pendingActivity, waitFor, workerProcess } from '../helpers/faults.js';
import {
  createResourceFixture,
  FIXTURE_LABEL,
  LIFEBOAT_EXCLUDE,
  VELERO_EXCLUDE,
  type FixtureItem,
  type ResourceFixture,
} from '../helpers/resource-fixture.js';
import {
  bucketState,
  isolatedConfig,
  s3ClientFor,
  startTestWorker,
  testSecrets,
  uniqueName,
  type TestWorker,
} from '../helpers/stack.js';

// Resource backups of a real control plane into a real S3 server, read back entry by entry. The worker reads the
// cluster as exactly the identity production ships for it (deploy/kubernetes/resource-reader.yaml); the fixture is
// made as admin. Each case's expected entries are the fixture's objects as the API serves them (inventory()),
// chosen by the rule under test: what the namespaces hold, controllers' by-products included, so nothing is guessed.
const server = inject('s3Servers').find((s) => s.name === 'versitygw')!;
const PREFIX = 'it';
const CLUSTER = 'local';
const kc = new KubeConfig();
kc.loadFromFile(inject('kubeconfig'));

interface Stored {
  manifest: ResourceBackupManifest;
  /** The tarball's entries in archive order. */
  entries: TarEntry[];
  /** Every key of the backup's folder. */
  keys: string[];
  results: ItemProblem[];
  resourceList: Record<string, string[]>;
  record: { apiVersion: string; kind: string; metadata: { name: string }; status: Record<string, unknown> };
}

const isExcluded = (i: FixtureItem) => i.labels[LIFEBOAT_EXCLUDE] === 'true' || i.labels[VELERO_EXCLUDE] === 'true';
const matches = (selector: Record<string, string>) => (i: FixtureItem) =>
  Object.entries(selector).every(([k, v]) => i.labels[k] === v);

/** Velero's two entries per item: the version-less path and the preferred version's copy. */
function itemEntries(item: FixtureItem): string[] {
  const scope = item.namespace ? `namespaces/${item.namespace}` : 'cluster';
  return [
    `resources/${item.resource}/${scope}/${item.name}.json`,
    `resources/${item.resource}/${item.version}-preferredversion/${scope}/${item.name}.json`,
  ];
}

const expectedEntries = (items: FixtureItem[]) => ['metadata/version', ...items.flatMap(itemEntries)].sort();

function countsOf(items: FixtureItem[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[item.resource] = (counts[item.resource] ?? 0) + 1;
  return counts;
}

describe('resource backups in Velero format', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-resource-backup-'));
  let fixture: ResourceFixture;
  let inventory: FixtureItem[];
  let config: LifeboatConfig;
  let bucket: string;
  let tw: TestWorker;

  beforeAll(async () => {
    fixture = await createResourceFixture(kc);
    const { shop, shopDb, other } = fixture.namespaces;
    const id = fixture.id;
    // Cannot list Secrets: everything else the denied policy reads, and discovery.
    const narrow = await fixture.narrowKubeconfig(
      'no-secrets',
      [{ apiGroups: [''], resources: ['configmaps', 'serviceaccounts', 'namespaces'], verbs: ['get', 'list'] }],
      dir,
    );
    const isolated = await isolatedConfig();
    bucket = isolated.buckets.versitygw!;
    const fixtureSelector = `${FIXTURE_LABEL}=${id}`;
    const result = validateConfig({
      ...isolated.config,
      clusters: [
        { name: CLUSTER, api: { kubeconfig: inject('resourceReaderKubeconfig') } },
        { name: 'narrow', api: { kubeconfig: narrow } },
        // Valid here; its api is taken away below, as a config edited behind validation would be.
        { name: 'noapi', etcd: { endpoints: inject('etcdEndpoints') }, api: { kubeconfig: narrow } },
      ],
      resourceBackups: [
        ...(
          [
            { name: 'globs', includedNamespaces: [`${id}-shop*`], excludedNamespaces: [shopDb] },
            {
              name: 'resources',
              includedNamespaces: [`${id}-*`],
              // The exclude names by its short name what the include names in full: resolved alike, the exclude wins.
              includedResources: ['cm', 'deployments.apps', 'statefulsets.apps'],
              excludedResources: ['sts'],
            },
            // The fixture's label keeps "every cluster-scoped object" to this fixture's, whatever else the cluster holds.
            {
              name: 'cluster-true',
              includedNamespaces: [other],
              includeClusterResources: true,
              labelSelector: fixtureSelector,
            },
            { name: 'cluster-false', includedNamespaces: [shop], includeClusterResources: false },
            { name: 'cluster-unset', labelSelector: fixtureSelector },
            { name: 'selector', includedNamespaces: [`${id}-*`], labelSelector: 'app=web' },
            { name: 'or-selectors', includedNamespaces: [`${id}-*`], orLabelSelectors: ['app=web', 'tier=db'] },
            {
              name: 'unknown',
              includedNamespaces: [other],
              includedResources: ['configmaps', 'gizmos.nowhere.example.com'],
            },
            { name: 'bulk', includedNamespaces: [fixture.aux], includedResources: ['configmaps'] },
          ] as Record<string, unknown>[]
        ).map((p) => ({ ...p, cluster: CLUSTER, location: 'versitygw' })),
        {
          name: 'denied',
          cluster: 'narrow',
          location: 'versitygw',
          includedNamespaces: [shop],
          includedResources: ['configmaps', 'secrets', 'serviceaccounts'],
        },
        { name: 'noapi-backup', cluster: 'noapi', location: 'versitygw' },
      ],
    });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    config = result.config;
    delete config.clusters.find((c) => c.name === 'noapi')!.api;
    tw = await startTestWorker(config);
    inventory = await fixture.inventory();
  }, 240_000);

  afterAll(async () => {
    await tw?.close();
    await fixture?.delete();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (policy: string, cluster = CLUSTER, taskQueue = tw.taskQueue) =>
    tw.client.workflow.start<typeof resourceBackup>('resourceBackup', {
      args: [{ cluster, policy, requestedAt: new Date().toISOString() }],
      taskQueue,
      workflowId: uniqueName(`resource-backup-${policy}`),
    });

  async function object(key: string): Promise<Buffer> {
    const s3 = s3ClientFor(server);
    try {
      const body = (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!;
      return Buffer.from(await body.transformToByteArray());
    } finally {
      s3.destroy();
    }
  }

  /** The policy's one backup, as stored: found by name under the cluster's folder, every file read back. */
  async function stored(policy: string, cluster = CLUSTER): Promise<Stored> {
    const s3 = s3ClientFor(server);
    const listed = await s3
      .send(new ListObjectsV2Command({ Bucket: bucket, Prefix: kindPrefix(PREFIX, 'resources', cluster) }))
      .finally(() => s3.destroy());
    const keys = (listed.Contents ?? []).map((o) => o.Key!).filter((k) => k.split('/')[4]?.startsWith(`${policy}-`));
    const backups = [...new Set(keys.map((k) => k.split('/')[4]!))];
    expect(backups, `backups of ${policy}`).toHaveLength(1);
    const ref: ResourceBackupRef = { prefix: PREFIX, kind: 'resources', cluster, backup: backups[0]! };
    const parsed = parseManifestOfKind((await object(manifestKey(ref))).toString('utf8'), 'resources');
    if (!parsed.ok) throw new Error(parsed.error);
    const manifest = parsed.manifest;
    const reader = new TarReader();
    const entries = reader.push(gunzipSync(await object(manifest.object.key)));
    reader.end();
    return {
      manifest,
      entries,
      keys: keys.sort(),
      results: parseVeleroResults(gunzipSync(await object(manifest.files.results)).toString('utf8')),
      resourceList: parseResourceList(gunzipSync(await object(manifest.files.resourceList)).toString('utf8')),
      record: JSON.parse((await object(manifest.files.veleroRecord!)).toString('utf8')) as Stored['record'],
    };
  }

  async function backup(policy: string, cluster = CLUSTER): Promise<Stored> {
    await (await run(policy, cluster)).result();
    return stored(policy, cluster);
  }

  /** The format rules every archive follows, whatever was filtered. */
  function expectVeleroArchive(b: Stored, expected: FixtureItem[]) {
    const names = b.entries.map((e) => e.name);
    expect(names[0]).toBe('metadata/version');
    expect(Buffer.from(b.entries[0]!.content).toString('utf8')).toBe('1.1.0\n');
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual(expectedEntries(expected));
    for (const entry of b.entries) {
      expect({ name: entry.name, mode: entry.mode, type: entry.type }).toEqual({
        name: entry.name,
        mode: 0o755,
        type: '0',
      });
    }
    // Each copy is the object as listed: its kind, name and namespace are the path's, and both copies are equal.
    const byName = new Map(b.entries.map((e) => [e.name, Buffer.from(e.content).toString('utf8')]));
    for (const item of expected) {
      const [plain, preferred] = itemEntries(item);
      const json = JSON.parse(byName.get(plain!)!) as {
        apiVersion: string;
        metadata: { name: string; namespace?: string };
      };
      expect(byName.get(preferred!)).toBe(byName.get(plain!));
      expect(json.metadata.name).toBe(item.name);
      expect(json.metadata.namespace).toBe(item.namespace);
      expect(json.apiVersion.split('/').at(-1)).toBe(item.version);
    }

    // The manifest counts what the archive holds; Velero's files are beside it and agree.
    const archived: Record<string, number> = {};
    for (const name of names) {
      const item = parseItemPath(name);
      if (item && item.versionDir === undefined) archived[item.groupResource] = (archived[item.groupResource] ?? 0) + 1;
    }
    expect(b.manifest.counts.resources).toEqual(archived);
    expect(b.manifest.counts.resources).toEqual(countsOf(expected));
    expect(b.manifest.counts.items).toBe(expected.length);
    const folder = b.manifest.object.key.slice(0, b.manifest.object.key.lastIndexOf('/') + 1);
    const backupName = b.manifest.backup;
    expect(b.keys).toEqual(
      [
        `${backupName}-resource-list.json.gz`,
        `${backupName}-results.gz`,
        `${backupName}.tar.gz`,
        'manifest.json',
        'velero-backup.json',
      ]
        .map((f) => folder + f)
        .sort(),
    );
    expect(Object.values(b.resourceList).flat()).toHaveLength(expected.length);
    expect(b.record).toMatchObject({ apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name: backupName } });
    expect(b.record.status).toMatchObject({ formatVersion: '1.1.0' });
    expect(b.record.status.expiration).toBeUndefined();
  }

  function expectCompleted(b: Stored) {
    expect(b.manifest.outcome).toBe('Completed');
    expect(b.manifest.counts).toMatchObject({ warnings: 0, errors: 0 });
    expect(b.results).toEqual([]);
    expect(b.record.status.phase).toBe('Completed');
  }

  const inNamespaces =
    (...names: string[]) =>
    (i: FixtureItem) =>
      i.namespace !== undefined && names.includes(i.namespace);
  const namespaceObjects =
    (...names: string[]) =>
    (i: FixtureItem) =>
      i.resource === 'namespaces' && names.includes(i.name);
  const boundPv = (i: FixtureItem) => i.resource === 'persistentvolumes' && i.name === fixture.cluster.pv;
  const theCrd = (i: FixtureItem) =>
    i.resource === 'customresourcedefinitions.apiextensions.k8s.io' && i.name === fixture.crd.name;
  const clusterScopedOfFixture = (i: FixtureItem) => i.namespace === undefined && i.resource !== 'namespaces';
  const pick = (...rules: ((i: FixtureItem) => boolean)[]) =>
    inventory.filter((i) => !isExcluded(i) && rules.some((rule) => rule(i)));

  it('namespace globs: <id>-shop* without <id>-shop-db, with the bound PV and the CRD as related items', async () => {
    const b = await backup('globs');
    const { shop } = fixture.namespaces;
    expectVeleroArchive(b, pick(inNamespaces(shop), namespaceObjects(shop), boundPv, theCrd));
    expectCompleted(b);
    // The Secret is the object as the API serves it, data included (resource backups hold Secrets: encrypt them).
    const secret = b.entries.find((e) => e.name === `resources/secrets/namespaces/${shop}/web-tls.json`)!;
    expect((JSON.parse(Buffer.from(secret.content).toString('utf8')) as { data: unknown }).data).toEqual(
      fixture.secretData,
    );
  });

  it('resource includes and excludes: short names, group-qualified names, an exclude that wins', async () => {
    const b = await backup('resources');
    const { shop, shopDb, other } = fixture.namespaces;
    const kinds = (i: FixtureItem) => ['configmaps', 'deployments.apps'].includes(i.resource);
    expectVeleroArchive(
      b,
      pick((i) => inNamespaces(shop, shopDb, other)(i) && kinds(i)),
    );
    expectCompleted(b);
    expect(b.manifest.filters).toMatchObject({
      includedResources: ['cm', 'deployments.apps', 'statefulsets.apps'],
      excludedResources: ['sts'],
    });
  });

  it('includeClusterResources true: cluster-scoped objects although one namespace is chosen', async () => {
    const b = await backup('cluster-true');
    const { other } = fixture.namespaces;
    const labelled = matches({ [FIXTURE_LABEL]: fixture.id });
    expectVeleroArchive(
      b,
      pick(
        (i) => inNamespaces(other)(i) && labelled(i),
        namespaceObjects(other),
        (i) => clusterScopedOfFixture(i) && labelled(i),
      ),
    );
    expectCompleted(b);
  });

  it('includeClusterResources false: no cluster-scoped object, not even a related one', async () => {
    const b = await backup('cluster-false');
    expectVeleroArchive(b, pick(inNamespaces(fixture.namespaces.shop)));
    expectCompleted(b);
  });

  it('includeClusterResources unset without a namespace filter: cluster-scoped objects are listed too', async () => {
    const b = await backup('cluster-unset');
    const { shop, shopDb, other } = fixture.namespaces;
    const labelled = matches({ [FIXTURE_LABEL]: fixture.id });
    // A Namespace is kept when it holds a selected item (Velero's nsTracker); aux holds none.
    expectVeleroArchive(
      b,
      pick(
        (i) => i.namespace !== undefined && labelled(i),
        namespaceObjects(shop, shopDb, other),
        (i) => clusterScopedOfFixture(i) && labelled(i),
      ),
    );
    expectCompleted(b);
  });

  it.each<{ policy: string; chosen: Record<string, string>[] }>([
    { policy: 'selector', chosen: [{ app: 'web' }] },
    { policy: 'or-selectors', chosen: [{ app: 'web' }, { tier: 'db' }] },
  ])('$policy: items any selector matches, their related PV and CRD', async ({ policy, chosen }) => {
    const b = await backup(policy);
    const { shop, shopDb, other } = fixture.namespaces;
    const selected = (i: FixtureItem) => chosen.some((s) => matches(s)(i));
    expectVeleroArchive(
      b,
      pick(
        (i) => inNamespaces(shop, shopDb, other)(i) && selected(i),
        namespaceObjects(shop, shopDb, other),
        boundPv,
        theCrd,
      ),
    );
    expectCompleted(b);
  });

  it('objects labelled with either exclude label are in no backup', async () => {
    const everything = await Promise.all(['globs', 'cluster-unset', 'or-selectors'].map((p) => stored(p)));
    for (const excluded of fixture.excluded) {
      const path = itemEntries({ ...excluded, version: 'v1', labels: {} })[0]!;
      for (const b of everything) expect(b.entries.map((e) => e.name)).not.toContain(path);
    }
    expect(fixture.excluded.map((e) => e.label)).toEqual(expect.arrayContaining([LIFEBOAT_EXCLUDE, VELERO_EXCLUDE]));
  });

  it('a resource the identity may not list is an error naming it and the reason; the rest is backed up', async () => {
    const b = await backup('denied', 'narrow');
    const { shop } = fixture.namespaces;
    expectVeleroArchive(
      b,
      pick((i) => inNamespaces(shop)(i) && ['configmaps', 'serviceaccounts'].includes(i.resource)),
    );
    expect(b.manifest.outcome).toBe('CompletedWithErrors');
    expect(b.manifest.counts.errors).toBeGreaterThanOrEqual(1);
    const denied = (p: ItemProblem) => p.level === 'error' && p.resource === 'secrets' && /forbidden/i.test(p.message);
    expect(b.manifest.problems.filter(denied)).not.toEqual([]);
    expect(b.results.filter(denied)).not.toEqual([]);
    expect(b.results.find(denied)!.message).toMatch(/cannot list resource "secrets"/);
    expect(b.results.filter((p) => p.level === 'error').every((p) => p.resource === 'secrets')).toBe(true);
    expect(b.record.status.phase).toBe('PartiallyFailed');
  });

  it('a resource name no API serves is a warning naming it, not a failure', async () => {
    const b = await backup('unknown');
    const { other } = fixture.namespaces;
    expectVeleroArchive(
      b,
      pick((i) => inNamespaces(other)(i) && i.resource === 'configmaps'),
    );
    expect(b.manifest.outcome).toBe('CompletedWithWarnings');
    expect(b.manifest.counts).toMatchObject({ warnings: 1, errors: 0 });
    const warning = (p: ItemProblem) => p.level === 'warning' && p.message.includes('gizmos.nowhere.example.com');
    expect(b.manifest.problems.filter(warning)).toHaveLength(1);
    expect(b.results.filter(warning)).toHaveLength(1);
    expect(b.record.status.phase).toBe('Completed');
  });

  it('a cluster without an API for resource backups fails as InvalidConfig naming clusters[...].api', async () => {
    const err = await (await run('noapi-backup', 'noapi')).result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = rootCause((err as WorkflowFailedError).cause) as { type?: string; message: string };
    expect(cause.type).toBe('InvalidConfig');
    expect(cause.message).toContain('clusters[noapi].api');
    const state = await bucketState(server, bucket);
    expect(state.keys.filter((k) => k.includes('/noapi/'))).toEqual([]);
  });

  it(
    'the worker SIGKILLed mid-backup: the next worker finishes; one archive, one manifest, no open upload',
    { timeout: 420_000 },
    async () => {
      // ~4000 objects of ~20 KiB that do not compress: long enough to list and upload to be caught midway.
      await fixture.addBulk(4000, 16 * 1024);
      const bulk = (await fixture.inventory()).filter(
        (i) => i.namespace === fixture.aux && i.resource === 'configmaps',
      );
      expect(bulk.length).toBe(4001);
      const taskQueue = uniqueName('resource-crash');
      const workers: ManagedProcess[] = [];
      const startWorker = async () => {
        // The worker process validates its config file: without the cluster the test broke behind validation.
        const valid = {
          ...config,
          clusters: config.clusters.filter((c) => c.name !== 'noapi'),
          resourceBackups: config.resourceBackups.filter((p) => p.cluster !== 'noapi'),
        };
        const worker = workerProcess(valid, taskQueue, testSecrets(), {});
        workers.push(worker);
        await worker.start();
        return worker;
      };
      try {
        const first = await startWorker();
        const handle = await run('bulk', CLUSTER, taskQueue);
        // Killed as soon as the store shows the archive's upload open: mid-stream, and possibly before any heartbeat
        // carrying its id reached the server (heartbeats are throttled), the hardest case for the next attempt.
        const open = await waitFor(
          'the archive upload to be open on the store',
          async () => {
            const uploads = (await bucketState(server, bucket)).uploads.filter((u) => u.Key?.includes('/bulk-'));
            return uploads.length > 0 ? uploads : undefined;
          },
          120_000,
        );
        expect(open).toHaveLength(1);
        await first.kill();
        expect((await handle.describe()).status.name).toBe('RUNNING');
        // Which case this run is: the server had the upload's id from a heartbeat (the next attempt can reattach),
        // or not yet (it must find the upload itself). Both must end with no open upload.
        const heartbeated = ((await pendingActivity(handle))?.details?.uploadId as string | undefined) ?? 'none';
        console.log(`killed with upload ${open[0]!.UploadId} open; the server's last heartbeat had ${heartbeated}`);
        await startWorker();
        await handle.result();
        const b = await stored('bulk');
        expect(b.entries.length).toBe(1 + 2 * bulk.length);
        expect(b.manifest.counts.resources).toEqual({ configmaps: bulk.length });
        expect(b.manifest.outcome).toBe('Completed');
        const state = await bucketState(server, bucket);
        expect(state.keys.filter((k) => k.includes(`/${b.manifest.backup}/`))).toEqual(b.keys);
        expect(b.keys).toHaveLength(5);
        // The killed attempt's upload included: the next attempt completes it or aborts it, never leaves it open.
        expect(
          state.uploads.map((u) => u.UploadId),
          `open uploads (the killed attempt's was ${open[0]!.UploadId}; the server's heartbeat had ${heartbeated})`,
        ).toEqual([]);
      } finally {
        for (const worker of workers) await worker.stop();
      }
    },
  );
});
