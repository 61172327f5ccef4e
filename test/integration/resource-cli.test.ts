import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfigFile } from '../../runtime/config-file.js';
import { lifeboat } from '../helpers/cli.js';
import { isolatedConfig, startTestWorker, testSecrets, uniqueName, type TestWorker } from '../helpers/stack.js';
import { temporalEnv } from '../helpers/temporal-namespace.js';

// The resource-backup commands as a user runs them, against the real stack: a one-off backup of one small namespace
// followed until it ends, then read back from the bucket by list, describe --details, results and the --velero listing.
// The worker reads the cluster as the resource reader identity production ships; the namespace is made as admin.
const UNSERVED = 'gizmos.nowhere.example.com';

describe('the lifeboat CLI for resource backups', { timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-resource-cli-'));
  const namespace = uniqueName('cli');
  const configMaps = ['app-settings', 'feature-flags'];
  const admin = new KubeConfig();
  admin.loadFromFile(inject('kubeconfig'));
  const core = admin.makeApiClient(CoreV1Api);
  let configFile: string;
  let env: Record<string, string>;
  let tw: TestWorker | undefined;

  beforeAll(async () => {
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    for (const name of configMaps) {
      await core.createNamespacedConfigMap({
        namespace,
        body: { metadata: { name, labels: { app: 'cli-test' } }, data: { key: name } },
      });
    }
    const { config } = await isolatedConfig();
    const document = {
      apiVersion: 'lifeboat.dev/v1alpha1',
      kind: 'LifeboatConfig',
      storageLocations: config.storageLocations,
      clusters: [{ ...config.clusters[0], api: { kubeconfig: inject('resourceReaderKubeconfig') } }],
      etcdBackups: [{ name: 'snap', cluster: 'local', location: 'minio', keep: 2 }],
      resourceBackups: [
        {
          name: 'apps',
          cluster: 'local',
          location: 'minio',
          includedNamespaces: [namespace],
          // The second name no API serves: a warning in the results, not a failure.
          includedResources: ['configmaps', UNSERVED],
        },
      ],
    };
    configFile = join(dir, 'lifeboat.yaml');
    writeFileSync(configFile, stringify(document));
    tw = await startTestWorker(loadConfigFile(configFile));
    env = { ...temporalEnv(), LIFEBOAT_TASK_QUEUE: tw.taskQueue, ...Object.fromEntries(testSecrets()) };
  }, 120_000);

  afterAll(async () => {
    await tw?.close();
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('bad input exits 2 with a message that names the problem and starts nothing', async () => {
    const unknown = await lifeboat(['backup', 'now', 'local/nope', '-f', configFile], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(
      'No backup policy local/nope in the config (known etcd policies: local/snap; known resource policies: local/apps; known ACM hub policies: none)',
    );

    const giveUp = await lifeboat(['backup', 'now', 'local/apps', '--give-up-after', '10m', '-f', configFile], env);
    expect(giveUp.code).toBe(2);
    expect(giveUp.stderr).toContain('local/apps is a resource backup policy, which does not take it');
    expect(giveUp.stdout).not.toContain('started backup');

    const kind = await lifeboat(['backups', 'list', '--kind', 'velero', '-f', configFile], env);
    expect(kind.code).toBe(2);
    expect(kind.stderr).toContain("argument 'velero' is invalid. Allowed choices are etcd, resources.");

    const location = await lifeboat(['backups', 'list', '--velero', 'nowhere:velero', '-f', configFile], env);
    expect(location.code).toBe(2);
    expect(location.stderr).toContain('Unknown storage location(s) nowhere');

    const both = await lifeboat(['backups', 'list', '--velero', 'minio', '--kind', 'etcd', '-f', configFile], env);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('leave out --kind, --cluster, --policy and --location');

    const missing = await lifeboat(['backups', 'results', 'apps-19990101000000', '-f', configFile], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('No backup named apps-19990101000000');
  });

  it('backup now --wait follows a resource backup; list, describe --details, results and --velero read it', async () => {
    const run = await lifeboat(['backup', 'now', 'local/apps', '--wait', '-f', configFile], env);
    expect(run.stderr).toContain(
      `warning: includedResources: "${UNSERVED}" is served by no API of cluster local (a CRD may be installed later)`,
    );
    // How many progress lines a backup this small shows depends on timing; each says where it is.
    expect(run.stderr).toMatch(
      /\d+\.\ds {2}(archiving: discovering the API|(archiving|committing): resources \d+\/\d+)/,
    );
    expect(run.stderr).toMatch(/\d+\.\ds {2}done/);
    expect(run.code, run.stderr).toBe(0);
    const done = /backup (apps-\d{14}) Completed with 1 warning: (\d+) items in 1 resource, /.exec(run.stdout);
    expect(done, run.stdout).not.toBeNull();
    const [, name, items] = done!;
    // The namespace's own kube-root-ca.crt is a ConfigMap too, when a controller manager made it.
    expect(Number(items)).toBeGreaterThanOrEqual(configMaps.length);

    const list = await lifeboat(['backups', 'list', '--kind', 'resources', '-f', configFile], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${name}.*resources.*local/apps.*${items} items.*Completed with 1 warning`));
    const etcdOnly = await lifeboat(['backups', 'list', '--kind', 'etcd', '-f', configFile], env);
    expect(etcdOnly.stdout).toBe('No backups found.\n');
    const json = JSON.parse(
      (await lifeboat(['backups', 'list', '-o', 'json', '--policy', 'apps', '-f', configFile], env)).stdout,
    ) as { backup: string; kind: string; status: string; manifest: { outcome: string; counts: { items: number } } }[];
    expect(json.map((r) => [r.backup, r.kind, r.status, r.manifest.outcome, r.manifest.counts.items])).toEqual([
      [name, 'resources', 'complete', 'CompletedWithWarnings', Number(items)],
    ]);

    const describe = await lifeboat(['backups', 'describe', name!, '--details', '-f', configFile], env);
    expect(describe.code, describe.stderr).toBe(0);
    expect(describe.stdout).toContain('Completed with 1 warning; every one: lifeboat backups results');
    expect(describe.stdout).toContain(`included ${namespace}`);
    expect(describe.stdout).toMatch(/sha256 [0-9a-f]{64}/);
    expect(describe.stdout).toMatch(new RegExp(`│ configmaps +│ ${items} +│`));
    const details = describe.stdout.slice(describe.stdout.indexOf('Resource List:'));
    expect(details.split('\n').slice(0, 2)).toEqual(['Resource List:', '  v1/ConfigMap:']);
    for (const cm of configMaps) expect(details).toContain(`\n    - ${namespace}/${cm}\n`);

    const results = await lifeboat(['backups', 'results', name!, '-f', configFile], env);
    expect(results.code, results.stderr).toBe(0);
    expect(results.stdout).toMatch(/│ warning +│/);
    expect(results.stdout).toContain(UNSERVED);
    const problems = JSON.parse(
      (await lifeboat(['backups', 'results', name!, '-o', 'json', '-f', configFile], env)).stdout,
    ) as { level: string; message: string }[];
    expect(problems).toHaveLength(1);
    expect(problems[0]!.level).toBe('warning');
    expect(problems[0]!.message).toContain(UNSERVED);

    // Lifeboat's own backups of the cluster, as a Velero BackupStorageLocation on that prefix lists them.
    const velero = await lifeboat(['backups', 'list', '--velero', 'minio:it/resources/local', '-f', configFile], env);
    expect(velero.code, velero.stderr).toBe(0);
    expect(velero.stdout).toMatch(new RegExp(`${name} +│ Completed +│ ${items}.*│ Lifeboat +│`));
    const elsewhere = await lifeboat(['backups', 'list', '--velero', 'minio:velero', '-f', configFile], env);
    expect(elsewhere.stdout).toBe('No Velero backups under "velero" in minio.\n');
  });

  it('every resource-backup command has --help', async () => {
    for (const command of [
      ['backup', 'now'],
      ['backups', 'list'],
      ['backups', 'describe'],
      ['backups', 'results'],
    ]) {
      const help = await lifeboat([...command, '--help'], env);
      expect(help.code, command.join(' ')).toBe(0);
      expect(help.stdout, command.join(' ')).toContain('Usage: lifeboat');
    }
  });
});
