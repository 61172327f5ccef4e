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
  // Each compressed format, with the stock decoder it must satisfy and the magic number its files start with.
  const formats = [
    { compression: 'gzip', stock: 'gunzip', decode: gunzipSync, magic: [0x1f, 0x8b] },
    { compression: 'zstd', stock: 'zstd -d', decode: zstdDecompressSync, magic: [0x28, 0xb5, 0x2f, 0xfd] },
  ] as const;

  it.each(formats)(
    '$compression: what stock $stock reads back is the snapshot, and the restore path reads it back too',
    async ({ compression, decode, magic }) => {
      const stored = await collect(compress(chunksOf(snapshotLike, 5 * KIB), compression));
      expect([...stored.subarray(0, magic.length)]).toEqual(magic);
      expect(stored.length).toBeLessThan(snapshotLike.length);
      expect(decode(stored).equals(snapshotLike)).toBe(true);
      expect((await collect(decompress(chunksOf(stored, 3 * KIB), compression))).equals(snapshotLike)).toBe(true);
    },
  );

  it.each(formats)('$compression of an empty snapshot is a valid, empty file', async ({ compression, decode }) => {
    const stored = await collect(compress(chunksOf(Buffer.alloc(0), 1), compression));
    expect(decode(stored)).toHaveLength(0);
  });

  it('none passes the snapshot through untouched, and so does its inverse', () => {
    const source = chunksOf(snapshotLike, 8 * KIB);
    expect(compress(source, 'none')).toBe(source);
    expect(decompress(source, 'none')).toBe(source);
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
