import { GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { lifeboat, type CliResult } from '../helpers/cli.js';
import { secretsInText } from '../helpers/secrets.js';
import { createBucket, s3ClientFor, s3SecretKeys, uniqueName } from '../helpers/stack.js';

const run = promisify(execFile);
// versitygw: MinIO lists open multipart uploads by exact key only, which would hide a leftover upload.
const server = inject('s3Servers').find((s) => s.name === 'versitygw')!;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/**
 * The store container's output is its Pod's log, which the worker reads into backup results and failures (and so
 * into workflow histories): it must never hold the secret key it was given.
 */
const expectNoSecretIn = (result: CliResult, secrets = s3SecretKeys()) =>
  expect([
    ...secretsInText('stdout', result.stdout, secrets),
    ...secretsInText('stderr', result.stderr, secrets),
  ]).toEqual([]);

// Job mode's store container, run as a process with exactly the environment the snapshot Job gives it.
describe('lifeboat job store-snapshot (the store container of job mode)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-job-store-'));
  const file = join(dir, 'snapshot.db');
  const bucket = uniqueName('job-store');
  let env: Record<string, string>;

  beforeAll(async () => {
    await createBucket(server, bucket);
    await run(inject('tools').etcdctl!, [`--endpoints=${inject('etcdEndpoints')[0]}`, 'snapshot', 'save', file]);
    env = {
      CLUSTER: 'abc',
      BACKUP_TO_CREATE: 'hourly-20260101000000',
      BUCKET_NAME: bucket,
      ENDPOINT: server.endpoint,
      ACCESS_KEY_ID: server.accessKeyId,
      SECRET_ACCESS_KEY: server.secretAccessKey,
      LIFEBOAT_OBJECT_KEY: 'etcd/abc/hourly/hourly-20260101000000/snapshot.db.gz',
      LIFEBOAT_COMPRESSION: 'gzip',
    };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('verifies, compresses and uploads the snapshot, and reports both checksums', async () => {
    const result = await lifeboat(['job', 'store-snapshot', `--file=${file}`], env);
    expect(result.code, result.stderr).toBe(0);
    expectNoSecretIn(result);
    const report = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as {
      lifeboatStored: {
        key: string;
        stored: { bytes: number; sha256: string };
        snapshot: { bytes: number; sha256: string };
      };
    };
    const s3 = s3ClientFor(server);
    const object = Buffer.from(
      await (
        await s3.send(new GetObjectCommand({ Bucket: bucket, Key: env.LIFEBOAT_OBJECT_KEY! }))
      ).Body!.transformToByteArray(),
    );
    s3.destroy();
    const plain = readFileSync(file);
    expect(report.lifeboatStored.stored).toEqual({ bytes: object.length, sha256: sha256(object) });
    expect(report.lifeboatStored.snapshot).toEqual({ bytes: plain.length, sha256: sha256(plain) });
    expect(gunzipSync(object).equals(plain)).toBe(true);
  });

  it('a corrupted snapshot file is refused before anything is stored', async () => {
    const corrupt = join(dir, 'corrupt.db');
    const bytes = readFileSync(file);
    bytes[100] = bytes[100]! ^ 0xff;
    writeFileSync(corrupt, bytes);
    const result = await lifeboat(['job', 'store-snapshot', `--file=${corrupt}`], {
      ...env,
      LIFEBOAT_OBJECT_KEY: 'etcd/abc/hourly/corrupt/snapshot.db.gz',
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('snapshot hash mismatch');
    expectNoSecretIn(result);
    const s3 = s3ClientFor(server);
    const objects = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'etcd/abc/hourly/corrupt/' }));
    const uploads = await s3.send(
      new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'etcd/abc/hourly/corrupt/' }),
    );
    s3.destroy();
    expect(objects.KeyCount ?? 0).toBe(0);
    expect(uploads.Uploads ?? []).toEqual([]);
  });

  it('a wrong secret key fails the upload, and neither key shows in the output', async () => {
    const wrong = 'not-the-secret-key-0123456789';
    const result = await lifeboat(['job', 'store-snapshot', `--file=${file}`], {
      ...env,
      SECRET_ACCESS_KEY: wrong,
      LIFEBOAT_OBJECT_KEY: 'etcd/abc/hourly/wrong-key/snapshot.db.gz',
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/signature/i); // refused by the store for the key, not for another reason
    expectNoSecretIn(result, { ...s3SecretKeys(), 'the wrong secret key': wrong });
    const s3 = s3ClientFor(server);
    const objects = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'etcd/abc/hourly/wrong-key/' }));
    s3.destroy();
    expect(objects.KeyCount ?? 0).toBe(0);
  });

  it('a missing setting is named', async () => {
    const result = await lifeboat(['job', 'store-snapshot', `--file=${file}`], { ...env, BUCKET_NAME: '' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('BUCKET_NAME is not set');
  });
});
