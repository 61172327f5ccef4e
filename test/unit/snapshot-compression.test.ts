import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compress, decompress, gzipInParallel } from '../../activities/snapshot-pipeline.js';

async function collect(source: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const chunk of source) out.push(chunk);
  return out;
}

async function* chunksOf(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < data.length; offset += size) {
    await Promise.resolve(); // as from a socket: each chunk arrives on a later turn
    yield data.subarray(offset, offset + size);
  }
}

// Random bytes compress slowly and zeros fast, so members started later may well finish first.
const mixed = Buffer.concat([randomBytes(96 * 1024), Buffer.alloc(64 * 1024), randomBytes(40 * 1024)]);
const KIB = 1024;

describe('gzip on the thread pool, one member per block', () => {
  it('writes one gzip member per block, in order, that gunzip reads back as the whole input', async () => {
    const members = await collect(
      gzipInParallel(chunksOf(mixed, 8 * KIB), { level: 1, blockSize: 64 * KIB, concurrency: 3 }),
    );
    expect(members).toHaveLength(4); // 200 KiB in 64 KiB blocks
    for (const member of members) expect([...member.subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    expect(gunzipSync(Buffer.concat(members)).equals(mixed)).toBe(true);
  });

  it('is read back whole by the restore path (a gunzip stream over concatenated members)', async () => {
    const stored = compress(chunksOf(mixed, 5 * KIB), 'gzip');
    const plain = Buffer.concat(await collect(decompress(stored, 'gzip')));
    expect(plain.equals(mixed)).toBe(true);
  });

  it('makes a valid empty gzip file of an empty snapshot', async () => {
    const members = await collect(
      gzipInParallel(chunksOf(Buffer.alloc(0), 1), { level: 1, blockSize: 1, concurrency: 2 }),
    );
    expect(members).toHaveLength(1);
    expect(gunzipSync(members[0]!)).toHaveLength(0);
  });

  it('reads no further ahead than `concurrency` blocks (memory does not grow with the snapshot)', async () => {
    let read = 0;
    async function* counted(): AsyncGenerator<Buffer> {
      for await (const chunk of chunksOf(mixed, 4 * KIB)) {
        read += chunk.length;
        yield chunk;
      }
    }
    const members = gzipInParallel(counted(), { level: 1, blockSize: 16 * KIB, concurrency: 2 });
    const first = await members[Symbol.asyncIterator]().next();
    expect(first.done).toBe(false);
    expect(read).toBeLessThanOrEqual(2 * 16 * KIB);
  });

  it('passes the snapshot through untouched without compression', () => {
    const source = chunksOf(mixed, 8 * KIB);
    expect(compress(source, 'none')).toBe(source);
  });
});
