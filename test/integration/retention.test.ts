import { recordHistory } from '../helpers/histories.js';
import {
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { validateConfig } from '../../core/config/parse.js';
import type { LifeboatConfig } from '../../core/config/schema.js';
import { resourceManifest, serializeManifest } from '../../core/manifest.js';
import { backupName, workflowIds } from '../../core/naming.js';
import type { etcdBackup, retention } from '../../workflows/index.js';
import { lifeboat } from '../helpers/cli.js';
import { frozenAtCrashPoint, workerProcess } from '../helpers/faults.js';
import { secretsInHistory, secretsInText } from '../helpers/secrets.js';
import {
  isolatedConfig,
  s3ClientFor,
  s3SecretKeys,
  startTestWorker,
  testSecrets,
  uniqueName,
  type TestWorker,
} from '../helpers/stack.js';
import { temporalEnv } from '../helpers/temporal-namespace.js';

const server = inject('s3Servers').find((s) => s.name === 'versitygw')!;

describe('retention (real worker, real S3)', () => {
  let config: LifeboatConfig;
  let bucket: string;
  let tw: TestWorker;
  // The same config as a file, for the CLI (lifeboat retention plan|run).
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-retention-'));
  const configFile = join(dir, 'lifeboat.yaml');
  let env: Record<string, string>;

  beforeAll(async () => {
    const isolated = await isolatedConfig();
    bucket = isolated.buckets.versitygw!;
    const document = {
      apiVersion: isolated.config.apiVersion,
      kind: isolated.config.kind,
      storageLocations: isolated.config.storageLocations,
      // A cluster reached only through its API (no etcd): resource backups, which retention treats by name.
      clusters: [...isolated.config.clusters, { name: 'hub' }],
      resourceBackups: [
        {
          name: 'objects',
          cluster: 'hub',
          location: 'versitygw',
          keep: 2,
          keepOneOff: false,
          incompleteGracePeriod: '1h',
        },
        // Swept only through the CLI.
        { name: 'swept', cluster: 'hub', location: 'versitygw', keep: 1, incompleteGracePeriod: '1h' },
      ],
      etcdBackups: [
        {
          name: 'ret',
          cluster: 'local',
          location: 'versitygw',
          keep: 2,
          compression: 'gzip',
          keepOneOff: false,
          incompleteGracePeriod: '1h',
        },
        { name: 'uploads', cluster: 'local', location: 'versitygw', incompleteGracePeriod: '1s' },
        {
          name: 'order',
          cluster: 'local',
          location: 'versitygw',
          keep: 1,
          compression: 'gzip',
          keepOneOff: false,
          incompleteGracePeriod: '1h',
        },
      ],
    };
    const result = validateConfig(document);
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    config = result.config;
    writeFileSync(configFile, stringify(document));
    tw = await startTestWorker(config);
    env = { ...temporalEnv(), LIFEBOAT_TASK_QUEUE: tw.taskQueue, ...Object.fromEntries(testSecrets()) };
  });
  afterAll(async () => {
    await tw?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function keysUnder(prefix: string): Promise<string[]> {
    const s3 = s3ClientFor(server);
    try {
      const listing = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      return (listing.Contents ?? []).map((o) => o.Key!).sort();
    } finally {
      s3.destroy();
    }
  }

  it('keeps the newest `keep` complete backups and incomplete ones within grace; deletes exactly the rest', async () => {
    const times = ['2026-01-01T00:00:00Z', '2026-01-01T01:00:00Z', '2026-01-01T02:00:00Z', '2026-01-01T03:00:00Z'];
    for (const requestedAt of times) {
      await tw.client.workflow.execute<typeof etcdBackup>('etcdBackup', {
        args: [{ cluster: 'local', policy: 'ret', requestedAt }],
        taskQueue: tw.taskQueue,
        workflowId: `etcd-backup/local/ret/${requestedAt}`,
      });
    }
    // Each backup started a retention sweep (or found one running): let the last one finish before adding the
    // incomplete backups below. One exists, since each backup starts it before it completes, and it must succeed: a
    // failed sweep fails the test.
    const id = workflowIds.retention('local', 'ret');
    await tw.client.workflow.getHandle(id).result();
    // Incomplete backups: snapshot data without a manifest, one long dead, one recent (maybe still uploading).
    const oldIncomplete = backupName('ret', new Date('2020-01-01T00:00:00Z'));
    const recentIncomplete = backupName('ret', new Date(Date.now() - 5 * 60_000));
    const s3 = s3ClientFor(server);
    for (const name of [oldIncomplete, recentIncomplete]) {
      await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: `it/etcd/local/ret/${name}/snapshot.db.gz`, Body: 'partial' }),
      );
    }
    s3.destroy();

    // Then sweep once more over the final state.
    const result = await tw.client.workflow.execute<typeof retention>('retention', {
      args: [{ cluster: 'local', policy: 'ret' }],
      taskQueue: tw.taskQueue,
      workflowId: id,
    });
    await recordHistory('retention', tw.client.workflow.getHandle(id));

    const names = times.map((t) => backupName('ret', new Date(t)));
    const remaining = await keysUnder('it/etcd/local/ret/');
    expect(remaining).toEqual([
      `it/etcd/local/ret/${names[2]}/manifest.json`,
      `it/etcd/local/ret/${names[2]}/snapshot.db.gz`,
      `it/etcd/local/ret/${names[3]}/manifest.json`,
      `it/etcd/local/ret/${names[3]}/snapshot.db.gz`,
      `it/etcd/local/ret/${recentIncomplete}/snapshot.db.gz`,
    ]);
    expect(result.kept.sort()).toEqual([names[2], names[3], recentIncomplete].sort());
    const explanation = (name: string) => result.decisions.find((d) => d.backup === name)?.explanation;
    expect(explanation(recentIncomplete)).toMatch(/^kept/);
    expect(result.decisions.find((d) => d.backup === oldIncomplete)?.reasons).toEqual(['incomplete-past-grace']);
  });

  it('aborts multipart uploads abandoned longer than the grace period', async () => {
    const s3 = s3ClientFor(server);
    const key = `it/etcd/local/uploads/${backupName('uploads', new Date('2026-02-02T00:00:00Z'))}/snapshot.db.gz`;
    await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    const before = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'it/etcd/local/uploads/' }));
    expect(before.Uploads?.map((u) => u.Key)).toEqual([key]);
    await new Promise((r) => setTimeout(r, 2500)); // past the 1s grace period

    const result = await tw.client.workflow.execute<typeof retention>('retention', {
      args: [{ cluster: 'local', policy: 'uploads' }],
      taskQueue: tw.taskQueue,
      workflowId: workflowIds.retention('local', 'uploads'),
    });
    expect(result.abortedUploads).toBe(1);
    await recordHistory(
      'retention-aborts-uploads',
      tw.client.workflow.getHandle(workflowIds.retention('local', 'uploads')),
    );
    const after = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'it/etcd/local/uploads/' }));
    s3.destroy();
    expect(after.Uploads ?? []).toEqual([]);
  });

  // Retention reads only keys and manifests, so resource backups are written as the engine lays them out.
  const hubDir = 'it/resources/hub/backups/';
  const resourceFiles = (backup: string) => [
    `${hubDir}${backup}/${backup}.tar.gz`,
    `${hubDir}${backup}/${backup}-resource-list.json.gz`,
    `${hubDir}${backup}/${backup}-results.gz`,
    `${hubDir}${backup}/velero-backup.json`,
    `${hubDir}${backup}/manifest.json`,
  ];

  /** Complete resource backups of a hub policy, one per time: every file of the folder, the manifest last. */
  async function putResourceBackups(policy: string, times: string[]): Promise<string[]> {
    const names = times.map((t) => backupName(policy, new Date(t)));
    const s3 = s3ClientFor(server);
    try {
      const put = (Key: string, Body: string) => s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body }));
      for (const [i, backup] of names.entries()) {
        const files = resourceFiles(backup);
        for (const key of files.slice(0, -1)) await put(key, 'data');
        const manifest = resourceManifest({
          cluster: 'hub',
          policy,
          backup,
          nominalTime: new Date(times[i]!),
          oneOff: false,
          startedAt: times[i]!,
          completedAt: times[i]!,
          archive: {
            location: 'versitygw',
            key: files[0]!,
            recipients: [],
            stored: { bytes: 4, sha256: 'c'.repeat(64) },
            kubernetes: { gitVersion: 'v1.35.0', major: '1', minor: '35' },
            filters: {
              includedNamespaces: ['*'],
              excludedNamespaces: [],
              includedResources: ['*'],
              excludedResources: [],
              includeClusterResources: null,
              labelSelectors: [],
            },
            counts: { items: 1, resources: { configmaps: 1 }, warnings: 0, errors: 0 },
            problems: [],
            resourceList: files[1]!,
            results: files[2]!,
            veleroRecord: files[3]!,
          },
          createdBy: { workflowId: `resource-backup/hub/${policy}/${backup}`, runId: 'r' },
        });
        await put(files[4]!, serializeManifest(manifest));
      }
    } finally {
      s3.destroy();
    }
    return names;
  }

  it("sweeps a resource policy: whole folders of its own backups, never another policy's nor Velero's", async () => {
    const times = ['2026-03-01T00:00:00Z', '2026-03-02T00:00:00Z', '2026-03-03T00:00:00Z'];
    const complete = await putResourceBackups('objects', times);
    const incomplete = backupName('objects', new Date('2020-01-01T00:00:00Z'));
    // Another policy's backup in the same folder (Velero's layout has no policy level): its name keeps it out.
    const other = backupName('objects-extra', new Date('2020-01-01T00:00:00Z'));
    // A stock Velero's backup of a schedule named like the policy: Velero's record, no manifest. Not Lifeboat's.
    const velero = backupName('objects', new Date('2019-01-01T00:00:00Z'));
    const s3 = s3ClientFor(server);
    try {
      const put = (Key: string, Body: string) => s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body }));
      await put(`${hubDir}${incomplete}/${incomplete}.tar.gz`, 'partial');
      for (const key of resourceFiles(other)) await put(key, 'not ours to judge');
      for (const key of resourceFiles(velero).slice(0, -1)) await put(key, 'written by Velero');
    } finally {
      s3.destroy();
    }

    const result = await tw.client.workflow.execute<typeof retention>('retention', {
      args: [{ cluster: 'hub', policy: 'objects' }],
      taskQueue: tw.taskQueue,
      workflowId: workflowIds.retention('hub', 'objects'),
    });

    expect(result.kept.sort()).toEqual([complete[1], complete[2]].sort());
    expect(result.deleted.sort()).toEqual([complete[0], incomplete].sort());
    expect(await keysUnder(hubDir)).toEqual(
      [
        ...resourceFiles(complete[1]!),
        ...resourceFiles(complete[2]!),
        ...resourceFiles(other),
        ...resourceFiles(velero).slice(0, -1),
      ].sort(),
    );
    expect(result.decisions.map((d) => d.backup)).not.toContain(velero);
  });

  it('lifeboat retention plan and run, for a resource policy: run deletes exactly what plan said', async () => {
    const complete = await putResourceBackups('swept', [
      '2026-04-01T00:00:00Z',
      '2026-04-02T00:00:00Z',
      '2026-04-03T00:00:00Z',
    ]);
    const incomplete = backupName('swept', new Date('2020-01-01T00:00:00Z'));
    const s3 = s3ClientFor(server);
    try {
      await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: `${hubDir}${incomplete}/${incomplete}.tar.gz`, Body: 'partial' }),
      );
    } finally {
      s3.destroy();
    }
    const sweptKeys = async () => (await keysUnder(hubDir)).filter((k) => k.startsWith(`${hubDir}swept-`));

    const unknown = await lifeboat(['retention', 'plan', 'hub/nope', '-f', configFile], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(
      'No backup policy hub/nope in the config (known etcd policies: local/ret, local/uploads, local/order; known ' +
        'resource policies: hub/objects, hub/swept; known ACM hub policies: none). Name one of those, or add ' +
        "hub/nope to the config's etcdBackups, resourceBackups or acmBackups.",
    );

    const plan = await lifeboat(['retention', 'plan', 'hub/swept', '-f', configFile], env);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout.split('\n')[0]).toBe('hub/swept: resource backup policy, location versitygw');
    expect(plan.stdout).toMatch(new RegExp(`│ ${complete[2]} │ keep +│ kept`));
    for (const doomed of [complete[0], complete[1], incomplete]) {
      expect(plan.stdout).toMatch(new RegExp(`│ ${doomed} │ delete +│ deleted`));
    }
    expect(plan.stdout).toContain('3 backup(s) and 0 upload(s) would be removed.');
    const json = JSON.parse(
      (await lifeboat(['retention', 'plan', 'hub/swept', '-o', 'json', '-f', configFile], env)).stdout,
    ) as { kind: string; backups: { backup: string; action: string; reasons: string[] }[] };
    expect(json.kind).toBe('resources');
    // Newest first: the newest kept (within keep 1), the two older ones beyond keep, the old incomplete one past grace.
    expect(json.backups.map((d) => [d.backup, d.action, d.reasons.filter((r) => r !== 'newest-complete')])).toEqual([
      [complete[2], 'keep', ['within-keep']],
      [complete[1], 'delete', ['beyond-keep']],
      [complete[0], 'delete', ['beyond-keep']],
      [incomplete, 'delete', ['incomplete-past-grace']],
    ]);
    // Planning changed nothing.
    expect(await sweptKeys()).toHaveLength(3 * resourceFiles(complete[0]!).length + 1);

    const run = await lifeboat(['retention', 'run', 'hub/swept', '-f', configFile], env);
    expect(run.code, run.stderr).toBe(0);
    const said = /^kept 1, deleted 3 resource backup\(s\): (.+); aborted 0 upload\(s\)\.$/m.exec(run.stdout);
    expect(said, run.stdout).not.toBeNull();
    const planned = json.backups.filter((d) => d.action === 'delete').map((d) => d.backup);
    expect(said![1]!.split(', ').sort()).toEqual(planned.sort());
    expect(await sweptKeys()).toEqual(resourceFiles(complete[2]!).sort());
  });

  it(
    'manifests are deleted before data: a sweep stopped between the two leaves an incomplete backup, never a ' +
      'manifest without its snapshot; the next sweep removes the rest',
    { timeout: 180_000 },
    async () => {
      const prefix = 'it/etcd/local/order/';
      const [older, newer] = ['2026-01-05T00:00:00Z', '2026-01-05T01:00:00Z'].map((t) =>
        backupName('order', new Date(t)),
      );
      const taskQueue = uniqueName('retention-order');
      // Manifests and data go in two calls of deleteObjects: this worker runs the first for real, then stops as if
      // it died before the second.
      const doomed = workerProcess(config, taskQueue, testSecrets(), { crashPoint: 'after:deleteObjects' });
      await doomed.start();
      try {
        const id = workflowIds.retention('local', 'order');
        for (const requestedAt of ['2026-01-05T00:00:00Z', '2026-01-05T01:00:00Z']) {
          await tw.client.workflow.execute<typeof etcdBackup>('etcdBackup', {
            args: [{ cluster: 'local', policy: 'order', requestedAt }],
            taskQueue,
            workflowId: uniqueName('etcd-backup-order'),
          });
          // The first backup's sweep finds nothing to delete (keep: 1); it must be over for the second to start one.
          if (requestedAt === '2026-01-05T00:00:00Z') await tw.client.workflow.getHandle(id).result();
        }
        // The sweep stops after its first delete.
        await frozenAtCrashPoint(doomed, 'deleteObjects', 120_000);
        // The older backup lost its manifest, so nothing points at data that may be missing; its data is still there.
        expect(await keysUnder(prefix)).toEqual([
          `${prefix}${older}/snapshot.db.gz`,
          `${prefix}${newer}/manifest.json`,
          `${prefix}${newer}/snapshot.db.gz`,
        ]);
        await doomed.kill();
        expect(secretsInText(doomed.spec.logFile, readFileSync(doomed.spec.logFile, 'utf8'), s3SecretKeys())).toEqual(
          [],
        );

        // The interrupted sweep is given up; the next one sees an incomplete backup past its grace period.
        await tw.client.workflow.getHandle(id).terminate('its worker was killed');
        const result = await tw.client.workflow.execute<typeof retention>('retention', {
          args: [{ cluster: 'local', policy: 'order' }],
          taskQueue: tw.taskQueue,
          workflowId: id,
        });
        expect(result.decisions.find((d) => d.backup === older)?.reasons).toEqual(['incomplete-past-grace']);
        expect(await keysUnder(prefix)).toEqual([
          `${prefix}${newer}/manifest.json`,
          `${prefix}${newer}/snapshot.db.gz`,
        ]);
        expect(await secretsInHistory(await tw.client.workflow.getHandle(id).fetchHistory(), s3SecretKeys())).toEqual(
          [],
        );
      } finally {
        await doomed.kill().catch(() => undefined);
      }
    },
  );
});
