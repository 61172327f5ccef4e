import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gunzipIfGzip } from '../../activities/storage/pipeline.js';
import {
  measure,
  SnapshotIntegrityError,
  verifyEtcdSnapshot,
  type StreamStats,
} from '../../activities/etcd/snapshot-stream.js';

// etcd ends every snapshot stream with the sha256 of the database; these tests feed real bytes cut at awkward places.
function snapshotOf(db: Buffer): Buffer {
  return Buffer.concat([db, createHash('sha256').update(db).digest()]);
}

function* cut(data: Buffer, sizes: number[]): Generator<Buffer> {
  let offset = 0;
  let i = 0;
  while (offset < data.length) {
    const size = sizes[i++ % sizes.length]!;
    yield data.subarray(offset, offset + size);
    offset += size;
  }
}

async function drain(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of source) parts.push(chunk);
  return Buffer.concat(parts);
}

/** Chunks arrive one event-loop turn apart, as they do from a socket. */
async function* from(chunks: Iterable<Buffer>): AsyncGenerator<Buffer> {
  for (const chunk of chunks) yield await Promise.resolve(chunk);
}

describe('verifyEtcdSnapshot', () => {
  const db = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 7919) % 251));
  const file = snapshotOf(db);

  it.each([[[1]], [[31]], [[32]], [[33]], [[4096]], [[1, 5, 32, 1000, 7]], [[file.length]]])(
    "passes every byte through and accepts etcd's hash with chunk sizes %j",
    async (sizes) => {
      let stats: StreamStats | undefined;
      const out = await drain(verifyEtcdSnapshot(from(cut(file, sizes)), (s) => (stats = s)));
      expect(out.equals(file)).toBe(true);
      expect(stats).toEqual({ bytes: file.length, sha256: createHash('sha256').update(file).digest('hex') });
    },
  );

  it('rejects a stream whose trailing hash does not match (one flipped byte)', async () => {
    const corrupt = Buffer.from(file);
    corrupt[500] = corrupt[500]! ^ 0xff;
    await expect(drain(verifyEtcdSnapshot(from(cut(corrupt, [4096])), () => undefined))).rejects.toThrow(
      SnapshotIntegrityError,
    );
  });

  it('rejects a stream too short to carry a hash', async () => {
    await expect(drain(verifyEtcdSnapshot(from([Buffer.alloc(10)]), () => undefined))).rejects.toThrow(/too short/);
  });

  it('measure counts and hashes what passes', async () => {
    let stats: StreamStats | undefined;
    await drain(measure(from(cut(file, [777])), (s) => (stats = s)));
    expect(stats).toEqual({ bytes: file.length, sha256: createHash('sha256').update(file).digest('hex') });
  });
});

describe('gunzipIfGzip (objects a foreign store container uploaded)', () => {
  // A plain snapshot starts with bbolt's page 0 header: page id 0, never gzip's 1f 8b.
  const file = snapshotOf(Buffer.concat([Buffer.alloc(16), Buffer.from('bbolt meta page and data '.repeat(400))]));

  it.each([[[1]], [[2]], [[4096]]])('passes a plain snapshot through untouched (chunks %j)', async (sizes) => {
    let found: string | undefined;
    const out = await drain(gunzipIfGzip(from(cut(file, sizes)), (c) => (found = c)));
    expect(found).toBe('none');
    expect(out.equals(file)).toBe(true);
  });

  it.each([[[1]], [[2]], [[100]]])('gunzips a gzip-compressed snapshot (chunks %j)', async (sizes) => {
    let found: string | undefined;
    const out = await drain(gunzipIfGzip(from(cut(gzipSync(file), sizes)), (c) => (found = c)));
    expect(found).toBe('gzip');
    expect(out.equals(file)).toBe(true);
  });

  it('an empty object is plain and empty (verifyEtcdSnapshot then rejects it)', async () => {
    let found: string | undefined;
    expect((await drain(gunzipIfGzip(from([]), (c) => (found = c)))).length).toBe(0);
    expect(found).toBe('none');
  });

  it('a truncated gzip stream fails', async () => {
    const gz = gzipSync(file);
    await expect(drain(gunzipIfGzip(from([gz.subarray(0, gz.length - 20)]), () => undefined))).rejects.toThrow();
  });
});
