import { AppsV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startVelero, type Velero } from '../../devstack/servers/velero.js';
import { bucketState, createBucket, uniqueName } from '../helpers/stack.js';

// Lock-in in both directions, against a real stock Velero v1.18.3 (with velero-plugin-for-aws v1.14.3) running on
// the host against the test control plane and versitygw: Velero reads what Lifeboat writes, Lifeboat reads what
// Velero writes. Velero's location for Lifeboat's prefix is ReadOnly, so it can never delete Lifeboat's data.
const server = inject('s3Servers').find((s) => s.name === 'versitygw')!;
const tools = inject('tools');
const kc = new KubeConfig();
kc.loadFromFile(inject('kubeconfig'));
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);

/** The global setup builds Velero with the other tools; a missing binary is a broken setup, never a silent skip. */
function veleroTools() {
  const velero = tools.velero;
  const plugin = tools['velero-plugin-for-aws'];
  const missing = [velero, plugin].filter((path) => !path || !existsSync(path));
  if (missing.length > 0)
    throw new Error(
      `Stock Velero is not built (${missing.join(', ') || 'velero, velero-plugin-for-aws'} missing). Build it with ` +
        '`npm run tools -- velero` (devstack/tools/components.ts; ~13 minutes cold, cached after), then rerun.',
    );
  return { velero: velero!, plugin: plugin! };
}

/** A small application: the kinds a restore must bring back with the same contents. */
function fixture(namespace: string): (KubernetesObject & Record<string, unknown>)[] {
  const labels = { app: 'web' };
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'web-config', namespace, labels },
      data: { 'app.properties': 'color=blue\nsize=3\n', 'feature-flags.json': '{"beta":true}' },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'web-scripts', namespace },
      data: { 'start.sh': '#!/bin/sh\nexec web --port 8080\n' },
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'web-credentials', namespace, labels },
      type: 'Opaque',
      stringData: { username: 'web', password: 'fixture-password-not-a-secret' },
    },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'web', namespace } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace, labels },
      spec: {
        // No Pods: the test compares objects, not running workloads.
        replicas: 0,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: 'web',
            containers: [
              {
                name: 'web',
                image: 'registry.example/web:1.2.3',
                args: ['--port', '8080'],
                env: [{ name: 'COLOR', valueFrom: { configMapKeyRef: { name: 'web-config', key: 'app.properties' } } }],
              },
            ],
          },
        },
      },
    },
  ];
}

/** What a restore must reproduce: ConfigMap data, Secret type and data, Deployment spec (all server-defaulted). */
async function contents(namespace: string) {
  const [configMaps, secrets, deployments, serviceAccounts] = await Promise.all([
    core.listNamespacedConfigMap({ namespace }),
    core.listNamespacedSecret({ namespace }),
    apps.listNamespacedDeployment({ namespace }),
    core.listNamespacedServiceAccount({ namespace }),
  ]);
  const byName = <T extends { metadata?: { name?: string } }, V>(items: T[], pick: (item: T) => V) =>
    Object.fromEntries(
      items
        // Made by the control plane in every namespace, not by the fixture.
        .filter((i) => i.metadata?.name !== 'kube-root-ca.crt' && i.metadata?.name !== 'default')
        .map((i) => [i.metadata!.name!, pick(i)]),
    );
  return {
    configMaps: byName(configMaps.items, (c) => c.data),
    secrets: byName(secrets.items, (s) => ({ type: s.type, data: s.data })),
    deployments: byName(deployments.items, (d) => d.spec),
    serviceAccounts: Object.keys(byName(serviceAccounts.items, () => true)).sort(),
  };
}

describe('stock Velero and Lifeboat read each other’s resource backups', { timeout: 420_000 }, () => {
  const namespace = uniqueName('vc-app');
  const bucket = uniqueName('t-velero');
  /** Velero's own location: where stock Velero writes the backups Lifeboat must list. */
  const veleroPrefix = 'velero';
  let velero: Velero;

  beforeAll(async () => {
    const binaries = veleroTools();
    await createBucket(server, bucket);
    const api = KubernetesObjectApi.makeApiClient(kc);
    for (const object of fixture(namespace)) await api.create(object);
    const dataDir = join(inject('dataDir'), uniqueName('velero'));
    mkdirSync(dataDir, { recursive: true });
    velero = await startVelero({
      tools: binaries,
      kubeconfig: inject('kubeconfig'),
      dataDir,
      namespace: uniqueName('velero'),
      store: server,
      locations: [{ name: 'velero', bucket, prefix: veleroPrefix, default: true }],
    });
  }, 300_000);

  afterAll(async () => {
    await velero?.stop();
  });

  it('a backup stock Velero made of the fixture is in Velero’s layout in its own prefix', async () => {
    const name = uniqueName('by-velero');
    const backup = await velero.createBackup(name, { location: 'velero', includeNamespaces: [namespace] });
    expect(backup.status?.phase).toBe('Completed');
    expect(backup.status?.errors ?? 0).toBe(0);
    const { keys } = await bucketState(server, bucket);
    const dir = `${veleroPrefix}/backups/${name}/`;
    expect(keys.filter((k) => k.startsWith(dir)).map((k) => k.slice(dir.length))).toEqual(
      expect.arrayContaining([`${name}.tar.gz`, 'velero-backup.json', `${name}-resource-list.json.gz`]),
    );
    const described = await velero.describe(name);
    for (const item of [`${namespace}/web-config`, `${namespace}/web-credentials`, `${namespace}/web`])
      expect(described).toContain(item);

    // A restore of Velero's own backup into a mapped namespace: the baseline the Lifeboat backup is held to below.
    const target = uniqueName('vc-restored');
    const restore = await velero.restore(uniqueName('restore'), {
      fromBackup: name,
      namespaceMappings: { [namespace]: target },
    });
    expect(restore.status?.phase).toBe('Completed');
    expect(await contents(target)).toEqual(await contents(namespace));
  });
});
