import { recordHistory } from '../helpers/histories.js';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { Etcd3 } from 'etcd3';
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { applySchedules } from '../../client/schedules-sync.js';
import { validateConfig } from '../../core/config/parse.js';
import type { LifeboatConfig } from '../../core/config/schema.js';
import { parseManifest } from '../../core/manifest.js';
import { workflowIds } from '../../core/naming.js';
import { LifeboatBackup } from '../../core/search-attributes.js';
import type { ManagedProcess } from '../../devstack/process.js';
import type { etcdBackup } from '../../workflows/index.js';
import { restoreIntoScratchEtcd } from '../helpers/etcd.js';
import { frozenAtCrashPoint, workerProcess } from '../helpers/faults.js';
import { secretsInHistory, secretsInText } from '../helpers/secrets.js';
import {
  bucketState,
  isolatedConfig,
  s3ClientFor,
  s3SecretKeys,
  startTestWorker,
  testSecrets,
  uniqueName,
  type TestWorker,
} from '../helpers/stack.js';

async function getObject(server: (typeof servers)[number], bucket: string, key: string): Promise<Buffer> {
  const s3 = s3ClientFor(server);
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await response.Body!.transformToByteArray());
  } finally {
    s3.destroy();
  }
}

async function storeChecksum(server: (typeof servers)[number], bucket: string, key: string): Promise<string> {
  const s3 = s3ClientFor(server);
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }));
    return head.ChecksumCRC32!;
  } finally {
    s3.destroy();
  }
}

const run = promisify(execFile);
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const servers = inject('s3Servers');

describe('etcd backups (real etcd, real S3, real worker)', () => {
  let config: LifeboatConfig;
  let buckets: Record<string, string>;
  let tw: TestWorker;
  let etcd: Etcd3;
  const keyPrefix = `/${uniqueName('backup-test')}/`;

  beforeAll(async () => {
    const isolated = await isolatedConfig();
    buckets = isolated.buckets;
    const withPolicies = validateConfig({
      ...isolated.config,
      etcdBackups: [
        ...servers.map((s) => ({ name: `gz-${s.name}`, cluster: 'local', location: s.name, compression: 'gzip' })),
        {
          name: 'plain',
          cluster: 'local',
          location: 'versitygw',
          compression: 'none',
          schedule: { cron: '0 3 * * *' },
        },
        { name: 'order', cluster: 'local', location: 'versitygw', compression: 'gzip' },
      ],
    });
    if (!withPolicies.ok) throw new Error(JSON.stringify(withPolicies.issues));
    config = withPolicies.config;
    tw = await startTestWorker(config);
    etcd = new Etcd3({ hosts: inject('etcdEndpoints') });
  });
  afterAll(async () => {
    etcd?.close();
    await tw?.close();
  });

  it.each(servers.map((s) => [s.name, s] as const))(
    'backs up to %s: snapshot and manifest, checksums right, and stock etcdutl restores the keys written before it',
    async (serverName, server) => {
      const before = `${keyPrefix}${serverName}/before`;
      const after = `${keyPrefix}${serverName}/after`;
      for (let i = 0; i < 50; i++) await etcd.put(`${before}/${i}`).value(`value-${i}`);

      const policy = `gz-${serverName}`;
      const requestedAt = '2026-01-02T03:04:05.000Z';
      const workflowId = uniqueName('etcd-backup');
      const manifest = await tw.client.workflow.execute<typeof etcdBackup>('etcdBackup', {
        args: [{ cluster: 'local', policy, requestedAt }],
        taskQueue: tw.taskQueue,
        workflowId,
      });
      await recordHistory(`etcd-backup-${serverName}`, tw.client.workflow.getHandle(workflowId));
      await etcd.put(`${after}/0`).value('written after the backup');

      const dir = `it/etcd/local/${policy}/${policy}-20260102030405/`;
      expect(manifest.backup).toBe(`${policy}-20260102030405`);
      expect(manifest.object.key).toBe(`${dir}snapshot.db.gz`);
      const { keys, uploads } = await bucketState(server, buckets[serverName]!);
      expect(keys).toEqual([`${dir}manifest.json`, `${dir}snapshot.db.gz`]);
      expect(uploads).toEqual([]);

      const stored = parseManifest(
        (await getObject(server, buckets[serverName]!, `${dir}manifest.json`)).toString('utf8'),
      );
      expect(stored.ok).toBe(true);
      if (!stored.ok || stored.manifest.kind !== 'etcd') throw new Error('expected an etcd manifest');
      expect(stored.manifest).toEqual(manifest);
      expect(stored.manifest).toMatchObject({
        kind: 'etcd',
        cluster: 'local',
        policy,
        oneOff: true,
        nominalTime: requestedAt,
      });
      expect(stored.manifest.etcd.version).toBe('3.6.14');
      expect(stored.manifest.createdBy.workflowId).toBe(workflowId);

      const object = await getObject(server, buckets[serverName]!, manifest.object.key);
      expect(object.length).toBe(manifest.object.bytes);
      expect(sha256(object)).toBe(manifest.object.sha256);
      // The checksum a restore's preflight asks for: what the store itself reports, per its part-by-part checks.
      expect(manifest.object.storeChecksum).toEqual({
        algorithm: 'CRC32',
        value: await storeChecksum(server, buckets[serverName]!, manifest.object.key),
      });
      expect(manifest.object.storeChecksum!.value).toMatch(/^[A-Za-z0-9+/]{6}==-\d+$/);
      const plain = gunzipSync(object);
      expect(plain.length).toBe(manifest.snapshot.bytes);
      expect(sha256(plain)).toBe(manifest.snapshot.sha256);

      const file = join(mkdtempSync(join(tmpdir(), 'lifeboat-snap-')), 'snapshot.db');
      writeFileSync(file, plain);
      const scratch = await restoreIntoScratchEtcd(file);
      const restored = new Etcd3({ hosts: [scratch.endpoint] });
      try {
        const values = await restored.getAll().prefix(`${before}/`).strings();
        expect(Object.keys(values)).toHaveLength(50);
        expect(values[`${before}/7`]).toBe('value-7');
        expect(await restored.get(`${after}/0`).string()).toBeNull();
      } finally {
        restored.close();
        await scratch.proc.stop();
      }

      // No S3 secret key in the history: its decoded payloads, string fields and raw bytes.
      const history = await tw.client.workflow.getHandle(workflowId).fetchHistory();
      expect(await secretsInHistory(history, s3SecretKeys())).toEqual([]);
    },
  );

  it(
    'the manifest is written last: a worker killed between the upload and the manifest leaves the whole snapshot ' +
      'and no manifest; a survivor then commits that same snapshot',
    { timeout: 180_000 },
    async () => {
      const server = servers.find((s) => s.name === 'versitygw')!;
      const bucket = buckets.versitygw!;
      const dir = 'it/etcd/local/order/order-20260405060708/';
      const mine = async () => {
        const state = await bucketState(server, bucket);
        return { keys: state.keys.filter((k) => k.startsWith(dir)), uploads: state.uploads.map((u) => u.Key) };
      };
      const taskQueue = uniqueName('manifest-last');
      // The manifest has an activity of its own: this worker stops right before it, as if it died there.
      const doomed = workerProcess(config, taskQueue, testSecrets(), { crashPoint: 'before:writeManifest' });
      let survivor: ManagedProcess | undefined;
      await doomed.start();
      try {
        const handle = await tw.client.workflow.start<typeof etcdBackup>('etcdBackup', {
          args: [{ cluster: 'local', policy: 'order', requestedAt: '2026-04-05T06:07:08.000Z' }],
          taskQueue,
          workflowId: uniqueName('etcd-backup-order'),
        });
        await frozenAtCrashPoint(doomed, 'writeManifest', 120_000);
        // The survivor starts meanwhile: it has nothing to take until the lost attempt is given up below.
        survivor = workerProcess(config, taskQueue, testSecrets(), {});
        const survivorReady = survivor.start();
        survivorReady.catch(() => undefined); // awaited below; a failure here must not go unhandled meanwhile
        // The upload is complete (an object, no open upload) and nothing says the backup exists.
        expect(await mine()).toEqual({ keys: [`${dir}snapshot.db.gz`], uploads: [] });
        const uncommitted = await getObject(server, bucket, `${dir}snapshot.db.gz`);
        await doomed.kill();

        // The server would retry the lost attempt after writeManifest's one-minute start-to-close timeout; failing
        // it through the server now (as that timeout would) lets the survivor take over at once.
        const description = await handle.describe();
        const pending = description.raw.pendingActivities ?? [];
        expect(pending.map((p) => p.activityType?.name)).toEqual(['writeManifest']);
        // A killed worker cannot tell the server its sticky queue is gone, as a stopping one does: say so for it,
        // or the next workflow task waits 10 s for the dead worker first.
        const execution = { workflowId: handle.workflowId, runId: description.runId };
        await tw.client.workflowService.resetStickyTaskQueue({ namespace: tw.client.options.namespace, execution });
        await tw.client.activity.fail(
          { workflowId: handle.workflowId, runId: description.runId, activityId: pending[0]!.activityId! },
          new Error('the worker running it was killed'),
        );
        await survivorReady;
        const manifest = await handle.result();
        expect(await mine()).toEqual({ keys: [`${dir}manifest.json`, `${dir}snapshot.db.gz`], uploads: [] });
        // The manifest commits exactly the snapshot that was there before it.
        expect(manifest.object.key).toBe(`${dir}snapshot.db.gz`);
        expect(manifest.object).toMatchObject({ bytes: uncommitted.length, sha256: sha256(uncommitted) });
        expect(sha256(await getObject(server, bucket, `${dir}snapshot.db.gz`))).toBe(sha256(uncommitted));
        await tw.client.workflow.getHandle(workflowIds.retention('local', 'order')).result();

        expect(await secretsInHistory(await handle.fetchHistory(), s3SecretKeys())).toEqual([]);
        for (const proc of [doomed, survivor])
          expect(secretsInText(proc.spec.logFile, readFileSync(proc.spec.logFile, 'utf8'), s3SecretKeys())).toEqual([]);
      } finally {
        await doomed.kill().catch(() => undefined);
        await survivor?.stop().catch(() => undefined);
      }
    },
  );

  it('an encrypted backup decrypts and restores with stock tools only: age -d, gunzip, etcdutl', async () => {
    const tools = inject('tools');
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-age-'));
    const identity = join(dir, 'identity.txt');
    await run(tools['age-keygen']!, ['-o', identity]);
    const recipient = (await run(tools['age-keygen']!, ['-y', identity])).stdout.trim();
    const encrypted = validateConfig({
      ...config,
      etcdBackups: [
        {
          name: 'sealed',
          cluster: 'local',
          location: 'versitygw',
          compression: 'gzip',
          encryption: { recipients: [recipient] },
        },
      ],
    });
    if (!encrypted.ok) throw new Error(JSON.stringify(encrypted.issues));
    const sealedWorker = await startTestWorker(encrypted.config);
    try {
      const key = `${keyPrefix}sealed/k`;
      await etcd.put(key).value('secret-ish value');
      const manifest = await sealedWorker.client.workflow.execute<typeof etcdBackup>('etcdBackup', {
        args: [{ cluster: 'local', policy: 'sealed', requestedAt: '2026-05-06T07:08:09.000Z' }],
        taskQueue: sealedWorker.taskQueue,
        workflowId: uniqueName('etcd-backup'),
      });
      expect(manifest.object.key.endsWith('/snapshot.db.gz.age')).toBe(true);
      expect(manifest.object.encryption).toEqual({ format: 'age', recipients: [recipient] });
      const server = servers.find((s) => s.name === 'versitygw')!;
      const object = await getObject(server, buckets.versitygw!, manifest.object.key);
      expect(object.subarray(0, 21).toString()).toBe('age-encryption.org/v1');
      expect(sha256(object)).toBe(manifest.object.sha256);

      const stored = join(dir, 'snapshot.db.gz.age');
      writeFileSync(stored, object);
      await run(tools.age!, ['-d', '-i', identity, '-o', join(dir, 'snapshot.db.gz'), stored]);
      await run('gunzip', [join(dir, 'snapshot.db.gz')]);
      const plain = readFileSync(join(dir, 'snapshot.db'));
      expect(sha256(plain)).toBe(manifest.snapshot.sha256);
      const scratch = await restoreIntoScratchEtcd(join(dir, 'snapshot.db'));
      const restored = new Etcd3({ hosts: [scratch.endpoint] });
      try {
        expect(await restored.get(key).string()).toBe('secret-ish value');
      } finally {
        restored.close();
        await scratch.proc.stop();
      }
    } finally {
      await sealedWorker.close();
    }
  });

  it('running the same backup again writes the same keys: one snapshot, one manifest, no open upload', async () => {
    const args = [{ cluster: 'local', policy: 'plain', requestedAt: '2026-03-04T05:06:07.000Z' }] as const;
    const first = await tw.client.workflow.execute<typeof etcdBackup>('etcdBackup', {
      args: [...args],
      taskQueue: tw.taskQueue,
      workflowId: uniqueName('etcd-backup'),
    });
    const second = await tw.client.workflow.execute<typeof etcdBackup>('etcdBackup', {
      args: [...args],
      taskQueue: tw.taskQueue,
      workflowId: uniqueName('etcd-backup'),
    });
    expect(second.backup).toBe(first.backup);
    expect(second.object.key).toBe(first.object.key);
    expect(first.object.key.endsWith('/snapshot.db')).toBe(true);
    const server = servers.find((s) => s.name === 'versitygw')!;
    const { keys, uploads } = await bucketState(server, buckets.versitygw!);
    const mine = keys.filter((k) => k.includes('/plain-20260304050607/'));
    expect(mine).toEqual([
      'it/etcd/local/plain/plain-20260304050607/manifest.json',
      'it/etcd/local/plain/plain-20260304050607/snapshot.db',
    ]);
    expect(uploads).toEqual([]);
    // Uncompressed: the stored object is the plain snapshot.
    expect(second.object.sha256).toBe(second.snapshot.sha256);
  });

  it('a schedule created by apply starts a backup named from its nominal time, with search attributes', async () => {
    const plan = await applySchedules(tw.client, config, tw.taskQueue, { dryRun: false });
    expect(plan.create.map((s) => s.id)).toContain('etcd-backup/local/plain');
    const handle = tw.client.schedule.getHandle('etcd-backup/local/plain');
    try {
      await handle.trigger();
      let runId: string | undefined;
      let workflowId: string | undefined;
      for (let i = 0; i < 100 && !workflowId; i++) {
        const description = await handle.describe();
        const action = description.info.recentActions[0]?.action;
        workflowId = action?.workflow.workflowId;
        runId = action?.workflow.firstExecutionRunId;
        if (!workflowId) await new Promise((r) => setTimeout(r, 200));
      }
      expect(workflowId).toMatch(/^etcd-backup\/local\/plain/);
      const run = tw.client.workflow.getHandle(workflowId!, runId);
      const manifest = (await run.result()) as Awaited<ReturnType<typeof etcdBackup>>;
      expect(manifest.oneOff).toBe(false);
      expect(manifest.backup).toMatch(/^plain-\d{14}$/);
      const description = await run.describe();
      expect(description.typedSearchAttributes.get(LifeboatBackup)).toBe(manifest.backup);
      const { keys } = await bucketState(
        servers.find((s) => s.name === 'versitygw')!,
        buckets.versitygw!,
      );
      expect(keys).toContain(`it/etcd/local/plain/${manifest.backup}/manifest.json`);
    } finally {
      await handle.delete();
    }
  });
});
