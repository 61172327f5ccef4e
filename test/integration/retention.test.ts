import { recordHistory } from '../helpers/histories.js';
import {
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { validateConfig } from '../../core/config/parse.js';
import type { LifeboatConfig } from '../../core/config/schema.js';
import { resourceManifest, serializeManifest } from '../../core/manifest.js';
import { backupName, workflowIds } from '../../core/naming.js';
import type { etcdBackup, retention } from '../../workflows/index.js';
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

const server = inject('s3Servers').find((s) => s.name === 'versitygw')!;

describe('retention (real worker, real S3)', () => {
  let config: LifeboatConfig;
  let bucket: string;
  let tw: TestWorker;

  beforeAll(async () => {
    const isolated = await isolatedConfig();
    bucket = isolated.buckets.versitygw!;
    const result = validateConfig({
      ...isolated.config,
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
    });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    config = result.config;
    tw = await startTestWorker(config);
  });
  afterAll(async () => tw?.close());

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

  it("sweeps a resource policy: whole folders of its own backups, never another policy's nor Velero's", async () => {
    // Retention reads only keys and manifests, so the backups are written here as the engine lays them out.
    const dir = 'it/resources/hub/backups/';
    const files = (backup: string) => [
      `${dir}${backup}/${backup}.tar.gz`,
      `${dir}${backup}/${backup}-resource-list.json.gz`,
      `${dir}${backup}/${backup}-results.gz`,
      `${dir}${backup}/velero-backup.json`,
      `${dir}${backup}/manifest.json`,
    ];
    const times = ['2026-03-01T00:00:00Z', '2026-03-02T00:00:00Z', '2026-03-03T00:00:00Z'];
    const complete = times.map((t) => backupName('objects', new Date(t)));
    const incomplete = backupName('objects', new Date('2020-01-01T00:00:00Z'));
    // Another policy's backup in the same folder (Velero's layout has no policy level): its name keeps it out.
    const other = backupName('objects-extra', new Date('2020-01-01T00:00:00Z'));
    // A stock Velero's backup of a schedule named like the policy: Velero's record, no manifest. Not Lifeboat's.
    const velero = backupName('objects', new Date('2019-01-01T00:00:00Z'));
    const s3 = s3ClientFor(server);
    try {
      const put = (Key: string, Body: string) => s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body }));
      for (const [i, backup] of complete.entries()) {
        for (const key of files(backup).slice(0, -1)) await put(key, 'data');
        const manifest = resourceManifest({
          cluster: 'hub',
          policy: 'objects',
          backup,
          nominalTime: new Date(times[i]!),
          oneOff: false,
          startedAt: times[i]!,
          completedAt: times[i]!,
          archive: {
            location: 'versitygw',
            key: files(backup)[0]!,
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
            resourceList: files(backup)[1]!,
            results: files(backup)[2]!,
            veleroRecord: files(backup)[3]!,
          },
          createdBy: { workflowId: `resource-backup/hub/objects/${backup}`, runId: 'r' },
        });
        await put(files(backup)[4]!, serializeManifest(manifest));
      }
      await put(`${dir}${incomplete}/${incomplete}.tar.gz`, 'partial');
      for (const key of files(other)) await put(key, 'not ours to judge');
      for (const key of files(velero).slice(0, -1)) await put(key, 'written by Velero');
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
    expect(await keysUnder(dir)).toEqual(
      [...files(complete[1]!), ...files(complete[2]!), ...files(other), ...files(velero).slice(0, -1)].sort(),
    );
    expect(result.decisions.map((d) => d.backup)).not.toContain(velero);
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
