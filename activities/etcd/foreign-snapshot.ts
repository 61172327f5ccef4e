import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  S3ServiceException,
  type S3Client,
} from '@aws-sdk/client-s3';
import { serverSideCopy, type ServerCopyOptions } from '../storage/server-copy.js';
import { gunzipIfGzip } from '../storage/pipeline.js';
import { measure, SnapshotIntegrityError, verifyEtcdSnapshot, type StreamStats } from './snapshot-stream.js';

/**
 * Job mode with a foreign store container, such as Kubermatic's run unchanged: it uploads the snapshot to
 * `$CLUSTER-$BACKUP_TO_CREATE` at the bucket root and prints nothing Lifeboat can read. The worker finds the object,
 * reads it back once (streaming) to measure it and check etcd's trailing hash, copies it server-side to the layout
 * key and deletes the foreign key. So `backups list`, retention and restore see it like any other backup, and the
 * bucket root keeps nothing that retention would never clean up.
 */

export type FoundCompression = 'none' | 'gzip';

export interface AdoptRequest {
  s3: S3Client;
  bucket: string;
  /** Where a Kubermatic store container puts the snapshot (core/layout.ts kubermaticSnapshotKey). */
  foreignKey: string;
  /** The layout key for what the object turns out to be (core/layout.ts snapshotKey). */
  layoutKey: (compression: FoundCompression) => string;
  /** Bytes read so far, for heartbeats. */
  onProgress?: (bytes: number) => void;
  signal?: AbortSignal;
  copy?: Pick<ServerCopyOptions, 'singleCopyMaxBytes' | 'partBytes'>;
}

export interface Adopted {
  /** Where the backup now is: always a layout key. */
  key: string;
  compression: FoundCompression;
  /** The object as stored, and the plain snapshot inside it. */
  stored: StreamStats;
  snapshot: StreamStats;
  /** The foreign key it was moved from, or undefined when it already was at the layout key (an earlier attempt). */
  movedFrom?: string;
}

/** The object is there but is not a sound etcd snapshot (hash mismatch, truncated, encrypted, ...). */
export class ForeignSnapshotInvalid extends Error {
  override name = 'ForeignSnapshotInvalid';
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`object ${key} is not a sound etcd snapshot: ${reason}`);
  }
}

/** Every key adoptForeignSnapshot looks at, in order. */
export function candidateKeys(req: Pick<AdoptRequest, 'foreignKey' | 'layoutKey'>): string[] {
  return [req.foreignKey, req.layoutKey('none'), req.layoutKey('gzip')];
}

async function head(s3: S3Client, bucket: string, key: string, signal?: AbortSignal) {
  try {
    const response = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
    return { etag: response.ETag!, size: response.ContentLength ?? 0 };
  } catch (err) {
    if (err instanceof S3ServiceException && (err.name === 'NotFound' || err.$metadata.httpStatusCode === 404))
      return undefined;
    throw err;
  }
}

/** Streams the object once: its own size and sha256, and those of the plain snapshot with etcd's hash checked. */
async function readAndVerify(req: AdoptRequest, key: string, etag: string) {
  const response = await req.s3.send(new GetObjectCommand({ Bucket: req.bucket, Key: key, IfMatch: etag }), {
    abortSignal: req.signal,
  });
  let stored: StreamStats | undefined;
  let snapshot: StreamStats | undefined;
  let compression: FoundCompression = 'none';
  let bytes = 0;
  async function* counted(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      bytes += chunk.length;
      req.onProgress?.(bytes);
      yield chunk;
    }
  }
  const body = response.Body as AsyncIterable<Buffer>;
  const plain = gunzipIfGzip(
    measure(counted(body), (s) => (stored = s)),
    (c) => (compression = c),
  );
  try {
    for await (const chunk of verifyEtcdSnapshot(plain, (s) => (snapshot = s))) void chunk;
  } catch (err) {
    // Only a failed hash check or undecodable gzip says the bytes are wrong; a broken connection is retryable.
    const zlibError =
      typeof (err as { code?: unknown }).code === 'string' && (err as { code: string }).code.startsWith('Z_');
    if (err instanceof SnapshotIntegrityError || zlibError)
      throw new ForeignSnapshotInvalid(key, (err as Error).message);
    throw err;
  }
  return { stored: stored!, snapshot: snapshot!, compression };
}

/**
 * Finds the snapshot a foreign store container uploaded and makes it an ordinary Lifeboat backup object. Idempotent:
 * a retry after the move finds the object at the layout key and verifies it there. Returns undefined when no
 * candidate key (candidateKeys) holds an object.
 */
export async function adoptForeignSnapshot(req: AdoptRequest): Promise<Adopted | undefined> {
  const foreign = await head(req.s3, req.bucket, req.foreignKey, req.signal);
  if (foreign) {
    const read = await readAndVerify(req, req.foreignKey, foreign.etag);
    const key = req.layoutKey(read.compression);
    // If-Match: what lands at the layout key is exactly the object just verified, or nothing.
    await serverSideCopy(req.s3, {
      bucket: req.bucket,
      from: req.foreignKey,
      to: key,
      etag: foreign.etag,
      size: foreign.size,
      signal: req.signal,
      ...req.copy,
    });
    const copied = await head(req.s3, req.bucket, key, req.signal);
    if (copied?.size !== read.stored.bytes)
      throw new Error(`copy of ${req.foreignKey} to ${key} has ${copied?.size} bytes, expected ${read.stored.bytes}`);
    await req.s3.send(new DeleteObjectCommand({ Bucket: req.bucket, Key: req.foreignKey }), {
      abortSignal: req.signal,
    });
    return { key, ...read, movedFrom: req.foreignKey };
  }
  for (const expected of ['none', 'gzip'] as const) {
    const key = req.layoutKey(expected);
    const found = await head(req.s3, req.bucket, key, req.signal);
    if (!found) continue;
    const read = await readAndVerify(req, key, found.etag);
    if (read.compression !== expected)
      throw new ForeignSnapshotInvalid(key, `its content is ${read.compression}, its name says ${expected}`);
    return { key, ...read };
  }
  return undefined;
}
