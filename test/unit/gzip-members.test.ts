import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { createGunzip, gunzipSync, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gzipMembers } from '../../activities/storage/gzip-members.js';

function* chunks(data: Buffer, size: number): Generator<Buffer> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

async function drain(source: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const chunk of source) out.push(chunk);
  return out;
}

/** The input size of each gzip member of `file` (Node's members: a 10-byte header, deflate, an 8-byte trailer). */
function memberSizes(file: Buffer): number[] {
  const sizes: number[] = [];
  for (let at = 0; at < file.length;) {
    expect(file.subarray(at, at + 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    const { buffer, engine } = inflateRawSync(file.subarray(at + 10), { info: true }) as unknown as {
      buffer: Buffer;
      engine: { bytesWritten: number };
    };
    sizes.push(buffer.length);
    at += 10 + engine.bytesWritten + 8;
  }
  return sizes;
}

/** Text that compresses like API objects, with random runs so that members differ. */
const data = Buffer.concat(
  Array.from({ length: 300 }, (_, i) =>
    Buffer.from(`{"name":"item-${i}","data":"${randomBytes(600).toString('hex')}"}\n`),
  ),
);

describe('gzipMembers', () => {
  it('compresses in members of about memberBytes that gunzip back, in order, to the input', async () => {
    const pieces = await drain(gzipMembers(chunks(data, 7_000), { level: 1, memberBytes: 64 * 1024, concurrency: 3 }));
    const whole = Buffer.concat(pieces);
    // 360 KiB of input in 64 KiB blocks (each block closes at the first chunk past 64 KiB): 5 or 6 members.
    const sizes = memberSizes(whole);
    expect(sizes.length).toBeGreaterThanOrEqual(5);
    for (const size of sizes.slice(0, -1)) expect(size).toBeGreaterThanOrEqual(64 * 1024);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(data.length);
    expect(gunzipSync(whole).equals(data)).toBe(true);
  });

  it('is read as one stream by Node’s gunzip stream and by GNU gzip', async () => {
    const whole = Buffer.concat(await drain(gzipMembers(chunks(data, 5_000), { level: 1, memberBytes: 32 * 1024 })));
    const streamed = Buffer.concat(await drain(Readable.from([whole]).pipe(createGunzip())));
    expect(streamed.equals(data)).toBe(true);
    expect(execFileSync('gzip', ['-dc'], { input: whole }).equals(data)).toBe(true);
  });

  it('releases each input only once it is compressed: overwriting it then changes nothing', async () => {
    const inputs = [...chunks(Buffer.from(data), 32 * 1024)].map((c) => Buffer.from(c)); // own buffers, one per member
    const released: Buffer[] = [];
    const release = (input: Buffer) => {
      released.push(input);
      input.fill(0x78); // what a writer filling it again would do
    };
    const whole = Buffer.concat(
      await drain(gzipMembers(inputs, { level: 1, memberBytes: 32 * 1024, concurrency: 3, release })),
    );
    expect(gunzipSync(whole).equals(data)).toBe(true);
    expect(new Set(released)).toEqual(new Set(inputs));
  });

  it('makes a valid, empty gzip file of an empty input', async () => {
    const whole = Buffer.concat(await drain(gzipMembers(chunks(Buffer.alloc(0), 1), { level: 1 })));
    expect(memberSizes(whole)).toEqual([0]);
    expect(gunzipSync(whole).length).toBe(0);
  });

  it('pulls no more of its source than `concurrency` members ahead of its reader', async () => {
    let pulled = 0;
    function* counted(): Generator<Buffer> {
      for (let i = 0; i < 100; i++) {
        pulled++;
        yield Buffer.alloc(1024, i);
      }
    }
    const members = gzipMembers(counted(), { level: 1, memberBytes: 1024, concurrency: 2 });
    await members.next();
    // The first member is out; at most two blocks were taken in to get it.
    expect(pulled).toBeLessThanOrEqual(2);
    await members.return(undefined);
  });

  it('fails with the source’s error, and leaves no unhandled rejection behind', async () => {
    function* failing(): Generator<Buffer> {
      yield Buffer.alloc(2048, 1);
      throw new Error('the API went away');
    }
    await expect(drain(gzipMembers(failing(), { level: 1, memberBytes: 1024 }))).rejects.toThrow('the API went away');
  });
});
