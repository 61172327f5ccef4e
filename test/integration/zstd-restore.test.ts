import { GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Etcd3 } from 'etcd3';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { validateConfig } from '../../core/config/parse.js';
import type { EtcdBackupManifest } from '../../core/manifest.js';
import type { etcdBackup } from '../../workflows/index.js';
import { lifeboat } from '../helpers/cli.js';
import { restoreIntoScratchEtcd } from '../helpers/etcd.js';
import { isolatedConfig, s3ClientFor, startTestWorker, uniqueName, type TestWorker } from '../helpers/stack.js';

const run = promisify(execFile);
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** The stock zstd CLI, as an operator restoring by hand has it; a missing one fails the test with what to install. */
async function zstdDecompress(from: string, to: string): Promise<void> {
  try {
    await run('zstd', ['-d', '-q', '-o', to, from]);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new Error('this test needs the zstd CLI on PATH (Debian: apt-get install zstd; .ci/run installs it)');
    throw err;
  }
}

// compression: zstd, read back with nothing Lifeboat-specific: the README's "Restoring a backup with stock tools only".
describe('a zstd backup restores with stock zstd and etcdutl', () => {
  const server = inject('s3Servers').find((s) => s.name === 'versitygw')!;
  const keyPrefix = `/${uniqueName('zstd-test')}/`;
  let bucket: string;
  let tw: TestWorker;
  let etcd: Etcd3;
  let manifest: EtcdBackupManifest | undefined;
  let stockPlain: Buffer | undefined;

  beforeAll(async () => {
    const isolated = await isolatedConfig();
    bucket = isolated.buckets.versitygw!;
    const validated = validateConfig({
      ...isolated.config,
      etcdBackups: [{ name: 'zst', cluster: 'local', location: 'versitygw', compression: 'zstd' }],
    });
    if (!validated.ok) throw new Error(JSON.stringify(validated.issues));
    tw = await startTestWorker(validated.config);
    etcd = new Etcd3({ hosts: inject('etcdEndpoints') });
  });
  afterAll(async () => {
    etcd?.close();
    await tw?.close();
  });

  it('stores snapshot.db.zst whose zstd -d is the snapshot the manifest names, and etcdutl restores its keys', async () => {
    for (let i = 0; i < 30; i++) await etcd.put(`${keyPrefix}before/${i}`).value(`value-${i}`);
    manifest = await tw.client.workflow.execute<typeof etcdBackup>('etcdBackup', {
      args: [{ cluster: 'local', policy: 'zst', requestedAt: '2026-03-04T05:06:07.000Z' }],
      taskQueue: tw.taskQueue,
      workflowId: uniqueName('etcd-backup'),
    });
    await etcd.put(`${keyPrefix}after/0`).value('written after the backup');
    expect(manifest.object.compression).toBe('zstd');
    expect(manifest.object.key).toBe('it/etcd/local/zst/zst-20260304050607/snapshot.db.zst');

    const s3 = s3ClientFor(server);
    let stored: Buffer;
    try {
      const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: manifest.object.key }));
      stored = Buffer.from(await response.Body!.transformToByteArray());
    } finally {
      s3.destroy();
    }
    expect(sha256(stored)).toBe(manifest.object.sha256);
    expect(stored.length).toBeLessThan(manifest.snapshot.bytes);

    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-zstd-'));
    writeFileSync(join(dir, 'snapshot.db.zst'), stored);
    await zstdDecompress(join(dir, 'snapshot.db.zst'), join(dir, 'snapshot.db'));
    const plain = readFileSync(join(dir, 'snapshot.db'));
    stockPlain = plain;
    expect(plain.length).toBe(manifest.snapshot.bytes);
    expect(sha256(plain)).toBe(manifest.snapshot.sha256);

    const scratch = await restoreIntoScratchEtcd(join(dir, 'snapshot.db'));
    const restored = new Etcd3({ hosts: [scratch.endpoint] });
    try {
      const values = await restored.getAll().prefix(`${keyPrefix}before/`).strings();
      expect(Object.keys(values)).toHaveLength(30);
      expect(values[`${keyPrefix}before/7`]).toBe('value-7');
      expect(await restored.get(`${keyPrefix}after/0`).string()).toBeNull();
    } finally {
      restored.close();
      await scratch.proc.stop();
    }
  });

  it("a restore Job's fetch container (lifeboat job fetch-snapshot) turns the same object into the same snapshot", async () => {
    expect(manifest, 'the backup of the test above').toBeDefined();
    const s3 = s3ClientFor(server);
    let url: string;
    try {
      url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: manifest!.object.key }), {
        expiresIn: 300,
      });
    } finally {
      s3.destroy();
    }
    const to = join(mkdtempSync(join(tmpdir(), 'lifeboat-zstd-fetch-')), 'snapshot.db');
    const fetched = await lifeboat(['job', 'fetch-snapshot', '--to', to], {
      LIFEBOAT_SNAPSHOT_URL: url,
      LIFEBOAT_COMPRESSION: 'zstd',
      LIFEBOAT_STORED_SHA256: manifest!.object.sha256,
      LIFEBOAT_SNAPSHOT_SHA256: manifest!.snapshot.sha256,
    });
    expect(fetched.code, fetched.stderr).toBe(0);
    expect(readFileSync(to).equals(stockPlain!)).toBe(true);
  });
});
