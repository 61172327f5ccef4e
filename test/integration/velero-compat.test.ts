import { AppsV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import type { VeleroRow } from '../../client/commands/backups/velero.js';
import { resourcesLocationPrefix } from '../../core/layout.js';
import { backupName, workflowIds } from '../../core/naming.js';
import { startVelero, type Velero } from '../../devstack/servers/velero.js';
import type { LifeboatConfig } from '../../core/config/schema.js';
import { loadConfigFile } from '../../runtime/config-file.js';
import type { resourceBackup } from '../../workflows/index.js';
import { lifeboat } from '../helpers/cli.js';
import { waitFor } from '../helpers/kube.js';
import { bucketState, isolatedConfig, startTestWorker, testSecrets, uniqueName } from '../helpers/stack.js';
import { temporalEnv } from '../helpers/temporal-namespace.js';

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
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-velero-compat-'));
  const configFile = join(dir, 'lifeboat.yaml');
  /** Velero's own location: where stock Velero writes the backups Lifeboat must list. */
  const veleroPrefix = 'velero';
  /** Lifeboat's BackupStorageLocation prefix for this cluster, the one a stock Velero is pointed at. */
  const lifeboatPrefix = resourcesLocationPrefix('it', 'local');
  let bucket: string;
  let env: Record<string, string>;
  let lifeboatBackup: string;
  /** Every key under Lifeboat's backups/ right after its backup: Velero (ReadOnly) must not change one of them. */
  let lifeboatKeys: string[];
  let velero: Velero;
  let config: LifeboatConfig;
  /** The backup stock Velero made in the second case, which the third restores. */
  let veleroBackup: string | undefined;

  beforeAll(async () => {
    const binaries = veleroTools();
    const isolated = await isolatedConfig();
    bucket = isolated.buckets.versitygw!;
    const document = {
      apiVersion: 'lifeboat.dev/v1alpha1',
      kind: 'LifeboatConfig',
      storageLocations: isolated.config.storageLocations,
      // Read as exactly the role production ships for resource backups (deploy/kubernetes/resource-reader.yaml).
      clusters: [
        {
          name: 'local',
          api: { kubeconfig: inject('resourceReaderKubeconfig') },
          restoreApi: { kubeconfig: inject('resourceRestorerKubeconfig') },
        },
      ],
      resourceBackups: [{ name: 'compat', cluster: 'local', location: 'versitygw', includedNamespaces: [namespace] }],
    };
    writeFileSync(configFile, stringify(document));
    config = loadConfigFile(configFile);
    env = { ...temporalEnv(), ...Object.fromEntries(testSecrets()) };

    const api = KubernetesObjectApi.makeApiClient(kc);
    for (const object of fixture(namespace)) await api.create(object);
    // The Deployment controller's ReplicaSet is part of what both tools back up: let it exist first.
    await waitFor('the fixture Deployment’s ReplicaSet', async () => {
      const sets = await apps.listNamespacedReplicaSet({ namespace });
      return sets.items.length > 0;
    });

    const tw = await startTestWorker(config);
    try {
      const requestedAt = new Date();
      lifeboatBackup = backupName('compat', requestedAt);
      const manifest = await tw.client.workflow.execute<typeof resourceBackup>('resourceBackup', {
        taskQueue: tw.taskQueue,
        workflowId: workflowIds.resourceBackup('local', 'compat', lifeboatBackup),
        args: [{ cluster: 'local', policy: 'compat', requestedAt: requestedAt.toISOString() }],
      });
      expect(manifest.outcome).toBe('Completed');
      expect(manifest.files.veleroRecord).not.toBeNull();
    } finally {
      await tw.close();
    }
    lifeboatKeys = (await bucketState(server, bucket)).keys.filter((k) => k.startsWith(`${lifeboatPrefix}/backups/`));

    const dataDir = join(inject('dataDir'), uniqueName('velero'));
    mkdirSync(dataDir, { recursive: true });
    velero = await startVelero({
      tools: binaries,
      kubeconfig: inject('kubeconfig'),
      dataDir,
      namespace: uniqueName('velero'),
      store: server,
      locations: [
        { name: 'velero', bucket, prefix: veleroPrefix, default: true },
        { name: 'lifeboat', bucket, prefix: lifeboatPrefix, readOnly: true },
      ],
    });
  }, 300_000);

  afterAll(async () => {
    await velero?.stop();
  });

  it('stock Velero lists, describes and restores a backup Lifeboat made, and changes none of its files', async () => {
    // Velero's backup sync imports a location's new backups once a minute.
    const listed = await velero.waitForBackup(lifeboatBackup);
    expect(listed.status?.phase).toBe('Completed');
    expect(listed.spec.storageLocation).toBe('lifeboat');

    const described = await velero.describe(lifeboatBackup);
    expect(described).not.toContain('<error');
    for (const line of ['v1/ConfigMap:', 'v1/Secret:', 'apps/v1/Deployment:', 'v1/ServiceAccount:'])
      expect(described).toContain(line);
    for (const item of [`${namespace}/web-config`, `${namespace}/web-credentials`, `${namespace}/web`])
      expect(described).toContain(`- ${item}`);

    const target = uniqueName('vc-from-lifeboat');
    const restore = await velero.restore(uniqueName('restore'), {
      fromBackup: lifeboatBackup,
      namespaceMappings: { [namespace]: target },
    });
    expect(restore.status?.phase).toBe('Completed');
    expect(restore.status?.errors ?? 0).toBe(0);
    expect(await contents(target)).toEqual(await contents(namespace));

    // ReadOnly: Velero wrote its restore's results under restores/, and nothing under backups/.
    const keys = (await bucketState(server, bucket)).keys;
    expect(keys.filter((k) => k.startsWith(`${lifeboatPrefix}/backups/`))).toEqual(lifeboatKeys);
  });

  it('Lifeboat lists a backup stock Velero made of the same fixture', async () => {
    const name = uniqueName('by-velero');
    veleroBackup = name;
    // The fixture's kinds only: other test files beside this one create and delete CRDs, and a backup of every kind
    // the API serves ends PartiallyFailed when a group it discovered is gone by the time it lists it.
    const backup = await velero.createBackup(name, {
      location: 'velero',
      includeNamespaces: [namespace],
      includeResources: ['configmaps', 'secrets', 'serviceaccounts', 'deployments.apps', 'replicasets.apps'],
    });
    expect(backup.status?.phase).toBe('Completed');
    expect(backup.status?.errors ?? 0).toBe(0);
    const { keys } = await bucketState(server, bucket);
    const dir = `${veleroPrefix}/backups/${name}/`;
    expect(keys.filter((k) => k.startsWith(dir)).map((k) => k.slice(dir.length))).toEqual(
      expect.arrayContaining([`${name}.tar.gz`, 'velero-backup.json', `${name}-resource-list.json.gz`]),
    );

    const run = await lifeboat(
      ['backups', 'list', '--velero', `versitygw:${veleroPrefix}`, '-o', 'json', '-f', configFile],
      env,
    );
    expect(run.code, run.stderr).toBe(0);
    const rows = JSON.parse(run.stdout) as VeleroRow[];
    const row = rows.find((r) => r.backup === name);
    expect(row).toMatchObject({ ok: true, summary: { name, phase: 'Completed', writtenByLifeboat: false } });
    expect(row?.ok && row.summary.itemsBackedUp).toBe(backup.status?.progress?.itemsBackedUp);
    expect(row?.ok && row.summary.includedNamespaces).toEqual([namespace]);

    // The same listing of Lifeboat's own location shows its backup as Velero sees it, written by Lifeboat.
    const own = await lifeboat(
      ['backups', 'list', '--velero', `versitygw:${lifeboatPrefix}`, '-o', 'json', '-f', configFile],
      env,
    );
    expect(own.code, own.stderr).toBe(0);
    expect((JSON.parse(own.stdout) as VeleroRow[]).find((r) => r.backup === lifeboatBackup)).toMatchObject({
      ok: true,
      summary: { phase: 'Completed', writtenByLifeboat: true },
    });
  });
  it('Lifeboat restores the backup stock Velero made, through the CLI, and refuses bad input with exit 2', async () => {
    expect(veleroBackup, 'the case before made the Velero backup').toBeDefined();
    const tw = await startTestWorker(config);
    try {
      const cliEnv = { ...env, LIFEBOAT_TASK_QUEUE: tw.taskQueue };
      const target = uniqueName('vc-from-velero');
      const from = ['--velero-location', 'versitygw', '--velero-prefix', veleroPrefix, '-f', configFile];
      const bad = [
        [['--namespace-mapping', `${namespace}`], '--namespace-mapping'],
        [['--namespace-mapping', `${namespace}:a,other:a`], '--namespace-mapping'],
        [['--existing-resource-policy', 'replace'], '--existing-resource-policy'],
        [['--include-resources', 'nodes'], '--include-resources'],
      ] as const;
      for (const [flags, named] of bad) {
        const run = await lifeboat(
          ['restore', 'resources', '--cluster', 'local', '--backup', veleroBackup!, ...flags, ...from],
          cliEnv,
        );
        expect(run.code, `${flags.join(' ')}: ${run.stderr}`).toBe(2);
        expect(run.stderr).toContain(named);
      }
      const unknownBackup = await lifeboat(
        ['restore', 'resources', '--cluster', 'local', '--backup', 'no-such-backup', '--follow', ...from],
        cliEnv,
      );
      expect(unknownBackup.code, unknownBackup.stderr + unknownBackup.stdout).toBe(2);
      expect(unknownBackup.stderr + unknownBackup.stdout).toContain('no-such-backup');
      const unknownCluster = await lifeboat(
        ['restore', 'resources', '--cluster', 'nowhere', '--backup', veleroBackup!, ...from],
        cliEnv,
      );
      expect(unknownCluster.code).toBe(2);
      expect(unknownCluster.stderr).toContain('nowhere');
      // Known only once the backup is read (the plan): the workflow refuses them before anything is written.
      const refusedByPlan = [
        [['--restore-status', 'gadgets'], /--restore-status.*"gadgets" names no resource of this backup/],
        [['--include-namespaces', 'no-such-namespace'], /select nothing/],
      ] as const;
      for (const [flags, message] of refusedByPlan) {
        const run = await lifeboat(
          ['restore', 'resources', '--cluster', 'local', '--backup', veleroBackup!, ...flags, '--follow', ...from],
          cliEnv,
        );
        expect(run.code, `${flags.join(' ')}: ${run.stderr}${run.stdout}`).toBe(2);
        expect(run.stderr + run.stdout).toMatch(message);
      }
      const unknownSource = await lifeboat(
        [
          'restore',
          'resources',
          '--cluster',
          'local',
          '--from-cluster',
          'ghost',
          '--backup',
          'latest',
          '-f',
          configFile,
        ],
        cliEnv,
      );
      expect(unknownSource.code, unknownSource.stderr).toBe(2);
      expect(unknownSource.stderr).toMatch(/--from-cluster ghost: no such cluster/);
      // Nothing written by any of them: no namespace made, no results under Lifeboat's restores/.
      expect((await core.listNamespace()).items.some((n) => n.metadata?.name === target)).toBe(false);

      const run = await lifeboat(
        [
          'restore',
          'resources',
          '--cluster',
          'local',
          '--backup',
          veleroBackup!,
          '--namespace-mapping',
          `${namespace}:${target}`,
          '--follow',
          ...from,
        ],
        cliEnv,
      );
      expect(run.code, run.stderr + run.stdout).toBe(0);
      expect(run.stdout).toContain('configmaps');
      expect(await contents(target)).toEqual(await contents(namespace));
      // Velero's prefix stays Velero's: Lifeboat wrote nothing under it.
      const keys = (await bucketState(server, bucket)).keys;
      expect(keys.filter((k) => k.startsWith(`${veleroPrefix}/`) && k.includes('lifeboat'))).toEqual([]);
    } finally {
      await tw.close();
    }
  });
});
