import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';

/** etcd appends the sha256 of the database to the end of every Maintenance.Snapshot stream. */
export const ETCD_HASH_BYTES = 32;

export class SnapshotIntegrityError extends Error {
  override name = 'SnapshotIntegrityError';
}

export interface StreamStats {
  bytes: number;
  sha256: string;
}

/**
 * Passes a snapshot stream through while checking etcd's own trailing hash: the last 32 bytes must be the sha256 of
 * everything before them. Also measures the whole stream (what `etcdctl snapshot save` would write).
 *
 * One pass of sha256 serves both: the database's digest is taken from a copy of the running hash just before the
 * trailer, which then continues into the whole stream's digest (hashing is most of this pipeline's CPU).
 */
export async function* verifyEtcdSnapshot(
  source: AsyncIterable<Buffer>,
  stats: (s: StreamStats) => void,
): AsyncGenerator<Buffer> {
  const hash = createHash('sha256');
  let tail = Buffer.alloc(0);
  let bytes = 0;
  for await (const chunk of source) {
    bytes += chunk.length;
    // Hold back the last 32 bytes seen; everything before them is database content. Only the small tail is copied.
    if (chunk.length >= ETCD_HASH_BYTES) {
      hash.update(tail);
      hash.update(chunk.subarray(0, chunk.length - ETCD_HASH_BYTES));
      tail = Buffer.from(chunk.subarray(chunk.length - ETCD_HASH_BYTES));
    } else {
      const joined = Buffer.concat([tail, chunk]);
      const release = Math.max(0, joined.length - ETCD_HASH_BYTES);
      hash.update(joined.subarray(0, release));
      tail = joined.subarray(release);
    }
    yield chunk;
  }
  if (tail.length !== ETCD_HASH_BYTES)
    throw new SnapshotIntegrityError(`snapshot stream ended after ${bytes} bytes, too short to carry etcd's hash`);
  const expected = hash.copy().digest();
  if (!expected.equals(tail)) {
    throw new SnapshotIntegrityError(
      `snapshot hash mismatch: etcd sent ${tail.toString('hex')}, the data hashes to ${expected.toString('hex')}`,
    );
  }
  stats({ bytes, sha256: hash.update(tail).digest('hex') });
}

/** Counts and hashes chunks; reports once at the end. */
function meter(stats: (s: StreamStats) => void) {
  const hash = createHash('sha256');
  let bytes = 0;
  return {
    add(chunk: Buffer): void {
      hash.update(chunk);
      bytes += chunk.length;
    },
    end(): void {
      stats({ bytes, sha256: hash.digest('hex') });
    },
  };
}

/** Counts and hashes bytes as they pass. */
export async function* measure(source: AsyncIterable<Buffer>, stats: (s: StreamStats) => void): AsyncGenerator<Buffer> {
  const counted = meter(stats);
  for await (const chunk of source) {
    counted.add(chunk);
    yield chunk;
  }
  counted.end();
}

/** `measure` as a Transform, for stream pipelines where a per-chunk async hop would cost more than the hashing. */
export function measuring(stats: (s: StreamStats) => void): Transform {
  const counted = meter(stats);
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      counted.add(chunk);
      done(null, chunk);
    },
    flush(done) {
      counted.end();
      done();
    },
  });
}
