import { randomBytes } from 'node:crypto';
import { gunzipSync, zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compress, decompress } from '../../activities/storage/pipeline.js';

async function collect(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const chunk of source) out.push(chunk);
  return Buffer.concat(out);
}

async function* chunksOf(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < data.length; offset += size) {
    await Promise.resolve(); // as from a socket: each chunk arrives on a later turn
    yield data.subarray(offset, offset + size);
  }
}

const KIB = 1024;
const snapshotLike = Buffer.concat([randomBytes(96 * KIB), Buffer.alloc(64 * KIB), randomBytes(40 * KIB)]);

describe('snapshot compression', () => {
  it('gzip: what stock gunzip reads back is the snapshot, and the restore path reads it back too', async () => {
    const stored = await collect(compress(chunksOf(snapshotLike, 5 * KIB), 'gzip'));
    expect([...stored.subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    expect(stored.length).toBeLessThan(snapshotLike.length);
    expect(gunzipSync(stored).equals(snapshotLike)).toBe(true);
    expect((await collect(decompress(chunksOf(stored, 3 * KIB), 'gzip'))).equals(snapshotLike)).toBe(true);
  });

  it('gzip of an empty snapshot is a valid, empty gzip file', async () => {
    const stored = await collect(compress(chunksOf(Buffer.alloc(0), 1), 'gzip'));
    expect(gunzipSync(stored)).toHaveLength(0);
  });

  it('none passes the snapshot through untouched, and so does its inverse', () => {
    const source = chunksOf(snapshotLike, 8 * KIB);
    expect(compress(source, 'none')).toBe(source);
    expect(decompress(source, 'none')).toBe(source);
  });

  it('zstd: what a stock zstd decoder reads back is the snapshot, and the restore path reads it back too', async () => {
    const stored = await collect(compress(chunksOf(snapshotLike, 5 * KIB), 'zstd'));
    expect([...stored.subarray(0, 4)]).toEqual([0x28, 0xb5, 0x2f, 0xfd]); // a zstd frame's magic number
    expect(stored.length).toBeLessThan(snapshotLike.length);
    expect(zstdDecompressSync(stored).equals(snapshotLike)).toBe(true);
    expect((await collect(decompress(chunksOf(stored, 3 * KIB), 'zstd'))).equals(snapshotLike)).toBe(true);
  });

  it('zstd of an empty snapshot is a valid, empty zstd frame', async () => {
    const stored = await collect(compress(chunksOf(Buffer.alloc(0), 1), 'zstd'));
    expect(zstdDecompressSync(stored)).toHaveLength(0);
  });

  it('zstd: the restore path reads what another zstd encoder wrote, in chunks of any size', async () => {
    const foreign = zstdCompressSync(snapshotLike);
    for (const size of [7, 4 * KIB, 64 * KIB]) {
      expect((await collect(decompress(chunksOf(foreign, size), 'zstd'))).equals(snapshotLike)).toBe(true);
    }
  });

  it('zstd: a truncated object fails the restore path instead of yielding a short snapshot', async () => {
    const stored = await collect(compress(chunksOf(snapshotLike, 8 * KIB), 'zstd'));
    await expect(
      collect(decompress(chunksOf(stored.subarray(0, stored.length - 10), 4 * KIB), 'zstd')),
    ).rejects.toThrow();
  });
});
