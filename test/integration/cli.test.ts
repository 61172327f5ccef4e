import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfigFile } from '../../runtime/config-file.js';
import { lifeboat } from '../helpers/cli.js';
import { isolatedConfig, secretEnvNames, startTestWorker, testSecrets, type TestWorker } from '../helpers/stack.js';
import { temporalEnv } from '../helpers/temporal-namespace.js';

describe('the lifeboat CLI against the real stack', () => {
  let tw: TestWorker;
  let configFile: string;
  let env: Record<string, string>;
  let document: Record<string, unknown>;
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-cli-'));

  beforeAll(async () => {
    const { config } = await isolatedConfig();
    document = {
      apiVersion: 'lifeboat.dev/v1alpha1',
      kind: 'LifeboatConfig',
      storageLocations: config.storageLocations,
      clusters: config.clusters,
      etcdBackups: [
        {
          name: 'nightly',
          cluster: 'local',
          location: 'versitygw',
          keep: 3,
          schedule: { cron: '0 2 * * *', timezone: 'Europe/Berlin' },
        },
        { name: 'adhoc', cluster: 'local', location: 'minio', keep: 2 },
      ],
    };
    configFile = join(dir, 'lifeboat.yaml');
    writeFileSync(configFile, stringify(document));
    const parsed = loadConfigFile(configFile);
    tw = await startTestWorker(parsed);
    env = {
      ...temporalEnv(),
      LIFEBOAT_TASK_QUEUE: tw.taskQueue,
      ...Object.fromEntries(testSecrets()),
    };
  });
  afterAll(async () => tw?.close());

  it('backup now --wait takes a backup that backups list and describe then read from the bucket', async () => {
    const run = await lifeboat(['backup', 'now', 'local/adhoc', '--wait', '-f', configFile], env);
    expect(run.stderr).toMatch(/\d+\.\ds {2}done/);
    expect(run.code).toBe(0);
    const name = /backup (adhoc-\d{14}) complete/.exec(run.stdout)?.[1];
    expect(name).toBeDefined();

    const list = await lifeboat(['backups', 'list', '-f', configFile, '--cluster', 'local'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(name);
    expect(list.stdout).toMatch(/complete/);

    const json = await lifeboat(['backups', 'list', '-f', configFile, '-o', 'json', '--policy', 'adhoc'], env);
    const rows = JSON.parse(json.stdout) as {
      backup: string;
      status: string;
      location: string;
      manifest: { oneOff: boolean };
    }[];
    expect(rows.map((r) => [r.backup, r.status, r.location, r.manifest.oneOff])).toEqual([
      [name, 'complete', 'minio', true],
    ]);

    const describeRun = await lifeboat(['backups', 'describe', name!, '-f', configFile], env);
    expect(describeRun.code).toBe(0);
    expect(describeRun.stdout).toMatch(/sha256 [0-9a-f]{64}/);
    expect(describeRun.stdout).toContain('(one-off)');

    const plan = await lifeboat(['retention', 'plan', 'local/adhoc', '-f', configFile], env);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain(name);
    expect(plan.stdout).toContain('0 backup(s) and 0 upload(s) would be removed.');
  });

  it('apply creates, reports unchanged, and deletes removed schedules; schedules pause and resume them', async () => {
    const dry = await lifeboat(['apply', '-f', configFile, '--dry-run'], env);
    expect(dry.stdout).toContain('+ etcd-backup/local/nightly  would be created');
    const created = await lifeboat(['apply', '-f', configFile], env);
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('+ etcd-backup/local/nightly  created  (0 2 * * * Europe/Berlin)');
    expect((await lifeboat(['apply', '-f', configFile], env)).stdout).toContain('etcd-backup/local/nightly  unchanged');

    const listed = await lifeboat(['schedules'], env);
    expect(listed.stdout).toMatch(/etcd-backup\/local\/nightly.*0 2 \* \* \* Europe\/Berlin.*no/);
    expect((await lifeboat(['schedules', 'pause', 'local/nightly', '--note', 'maintenance'], env)).code).toBe(0);
    expect((await lifeboat(['schedules', '-o', 'json'], env)).stdout).toMatch(/"paused": true/);
    expect((await lifeboat(['schedules', 'resume', 'local/nightly'], env)).code).toBe(0);

    const without = join(dir, 'without-nightly.yaml');
    writeFileSync(without, stringify({ ...document, etcdBackups: (document.etcdBackups as unknown[]).slice(1) }));
    const removed = await lifeboat(['apply', '-f', without], env);
    expect(removed.stdout).toContain('- etcd-backup/local/nightly  deleted');
    expect((await lifeboat(['schedules', '-o', 'json'], env)).stdout).not.toContain('etcd-backup/local/nightly');
  });

  it('bad input exits 2 with a message that names the problem and changes nothing', async () => {
    const unknownPolicy = await lifeboat(['backup', 'now', 'local/nope', '-f', configFile], env);
    expect(unknownPolicy.code).toBe(2);
    expect(unknownPolicy.stderr).toContain(
      'No backup policy local/nope in the config (known etcd policies: local/nightly, local/adhoc; known resource policies: none; known ACM hub policies: none)',
    );

    const giveUp = await lifeboat(['backup', 'now', 'local/nightly', '--give-up-after', 'soon', '-f', configFile], env);
    expect(giveUp.code).toBe(2);
    expect(giveUp.stderr).toContain('--give-up-after "soon" is not a duration');

    const malformed = await lifeboat(['backup', 'now', 'justonepart', '-f', configFile], env);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('is not <cluster>/<policy>');

    const badConfig = join(dir, 'bad.yaml');
    writeFileSync(
      badConfig,
      stringify({ ...document, etcdBackups: [{ name: 'x', cluster: 'ghost', location: 'versitygw', keep: 0 }] }),
    );
    const invalid = await lifeboat(['apply', '-f', badConfig], env);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('etcdBackups[0].keep: must be at least 1');
    expect(invalid.stderr).toContain('etcdBackups[0].cluster: unknown cluster "ghost"');

    const noKeys = await lifeboat(['backups', 'list', '-f', configFile], {
      ...env,
      [secretEnvNames('versitygw').secretAccessKeyEnv]: '',
    });
    expect(noKeys.code).toBe(2);
    expect(noKeys.stderr).toContain('TEST_VERSITYGW_SECRET_ACCESS_KEY');

    const missing = await lifeboat(['backups', 'describe', 'adhoc-19990101000000', '-f', configFile], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('No backup named adhoc-19990101000000');

    const usage = await lifeboat(['backups', 'list', '--bogus'], env);
    expect(usage.code).toBe(2);
  });

  it('every command has --help', async () => {
    for (const command of [
      [],
      ['backup', 'now'],
      ['backups', 'list'],
      ['backups', 'describe'],
      ['schedules', 'pause'],
      ['retention', 'plan'],
      ['apply'],
      ['check'],
      ['setup'],
    ]) {
      const help = await lifeboat([...command, '--help'], env);
      expect(help.code, command.join(' ')).toBe(0);
      expect(help.stdout, command.join(' ')).toContain('Usage: lifeboat');
    }
  });
});
