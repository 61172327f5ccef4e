import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  adoptForeignSnapshot,
  ForeignSnapshotInvalid,
  type AdoptRequest,
} from '../../activities/etcd/foreign-snapshot.js';
import { kubermaticSnapshotKey, snapshotKey } from '../../core/layout.js';
import { bucketState, createBucket, s3ClientFor, uniqueName } from '../helpers/stack.js';

const run = promisify(execFile);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const stats = (b: Buffer) => ({ bytes: b.length, sha256: sha256(b) });

// What job mode does after a foreign (Kubermatic) store container uploaded to $CLUSTER-$BACKUP_TO_CREATE and printed
// no report: find the object, verify it streaming, move it server-side to the layout key. On both S3 servers.
describe.each(inject('s3Servers'))('adopting a foreign store container’s snapshot ($name)', (server) => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-foreign-'));
  const bucket = uniqueName('foreign');
  let s3: S3Client;
  let snapshot: Buffer;

  const requestFor = (backup: string, extra: Partial<AdoptRequest> = {}): AdoptRequest => {
    const ref = { prefix: 'it', kind: 'etcd' as const, cluster: 'tenant', policy: 'kkp', backup };
    return {
      s3,
      bucket,
      foreignKey: kubermaticSnapshotKey(ref.cluster, backup),
      layoutKey: (compression) => snapshotKey(ref, compression, false),
      ...extra,
    };
  };
  const put = (key: string, body: Buffer) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const get = async (key: string) =>
    Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray());

  beforeAll(async () => {
    await createBucket(server, bucket);
    s3 = s3ClientFor(server);
    const file = join(dir, 'snapshot.db');
    await run(inject('tools').etcdctl!, [`--endpoints=${inject('etcdEndpoints')[0]}`, 'snapshot', 'save', file]);
    snapshot = readFileSync(file);
  });
  afterAll(() => {
    s3?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('moves a plain snapshot from the Kubermatic key to the layout key, measured and verified', async () => {
    const request = requestFor('kkp-20260801000000');
    await put('tenant-kkp-20260801000000', snapshot);
    const adopted = await adoptForeignSnapshot(request);
    expect(adopted).toEqual({
      key: 'it/etcd/tenant/kkp/kkp-20260801000000/snapshot.db',
      compression: 'none',
      stored: stats(snapshot),
      snapshot: stats(snapshot),
      movedFrom: 'tenant-kkp-20260801000000',
    });
    expect((await get(adopted!.key)).equals(snapshot)).toBe(true);
    expect((await bucketState(server, bucket)).keys).not.toContain('tenant-kkp-20260801000000');

    // A retried activity finds the object where the first attempt moved it and verifies it there.
    const again = await adoptForeignSnapshot(request);
    expect(again).toEqual({ ...adopted, movedFrom: undefined });
  });

  it('a gzip-compressed upload is recorded as gzip, under the .gz layout key', async () => {
    const gz = gzipSync(snapshot);
    await put('tenant-kkp-20260802000000', gz);
    const adopted = await adoptForeignSnapshot(requestFor('kkp-20260802000000'));
    expect(adopted).toMatchObject({
      key: 'it/etcd/tenant/kkp/kkp-20260802000000/snapshot.db.gz',
      compression: 'gzip',
      stored: stats(gz),
      snapshot: stats(snapshot),
    });
    expect((await get(adopted!.key)).equals(gz)).toBe(true);
  });

  it('copies in ranges with UploadPartCopy above the single-copy limit, leaving no open upload', async () => {
    // Copy mechanics need size, not a real database: random bytes plus their sha256, as etcd ends a snapshot.
    const db = randomBytes(11 * 1024 * 1024 + 123);
    const big = Buffer.concat([db, createHash('sha256').update(db).digest()]);
    await put('tenant-kkp-20260803000000', big);
    let progress = 0;
    const adopted = await adoptForeignSnapshot(
      requestFor('kkp-20260803000000', {
        copy: { singleCopyMaxBytes: 1024 * 1024, partBytes: 5 * 1024 * 1024 },
        onProgress: (bytes) => (progress = bytes),
      }),
    );
    expect(adopted).toMatchObject({ key: 'it/etcd/tenant/kkp/kkp-20260803000000/snapshot.db', stored: stats(big) });
    expect(progress).toBe(big.length);
    expect((await get(adopted!.key)).equals(big)).toBe(true);
    const state = await bucketState(server, bucket);
    expect(state.keys).not.toContain('tenant-kkp-20260803000000');
    expect(state.uploads).toEqual([]);
  });

  it('a corrupt object is refused and left where it was; nothing reaches the layout', async () => {
    const corrupt = Buffer.from(snapshot);
    corrupt[200] = corrupt[200]! ^ 0xff;
    await put('tenant-kkp-20260804000000', corrupt);
    const err = await adoptForeignSnapshot(requestFor('kkp-20260804000000')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ForeignSnapshotInvalid);
    expect((err as Error).message).toMatch(
      /tenant-kkp-20260804000000 is not a sound etcd snapshot: snapshot hash mismatch/,
    );
    const keys = (await bucketState(server, bucket)).keys;
    expect(keys).toContain('tenant-kkp-20260804000000');
    expect(keys.filter((k) => k.includes('kkp-20260804000000/'))).toEqual([]);
  });

  it('finds nothing when no candidate key holds an object', async () => {
    expect(await adoptForeignSnapshot(requestFor('kkp-20260805000000'))).toBeUndefined();
  });
});
