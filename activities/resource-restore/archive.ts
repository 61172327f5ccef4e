import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { FailureTypes } from '../../core/failure-types.js';
import type { JsonObject } from '../../core/resources/restore-json.js';
import type { RestoreSource } from '../../core/resources/restore-run.js';
import type { ArchiveIndexEntry } from '../../core/velero/archive-index.js';
import { parseItemPath } from '../../core/velero/archive-paths.js';
import { parseResourceList } from '../../core/velero/resource-list.js';
import { TarReader } from '../../core/velero/tar.js';
import { findLocation } from '../config-lookup.js';
import type { ActivityDeps } from '../deps.js';
import { nonRetryable } from '../failures.js';
import { measure, type StreamStats } from '../etcd/snapshot-stream.js';
import { decompress, decrypt } from '../storage/pipeline.js';
import { classifyS3Error, s3ClientFor, withS3 } from '../storage/s3.js';

const gunzipAsync = promisify(gunzip);

/**
 * Reading a resource backup back: its resource list, and its archive as a stream of items. The archive is read
 * start to end every time (a tar.gz has no index); a step reads only the items of its resources and drops the rest
 * as they pass, so memory holds one entry at a time whatever the backup's size.
 */

/** The environment variable that holds the age identity an encrypted resource backup is opened with, on the worker. */
export const AGE_IDENTITY_ENV = 'LIFEBOAT_AGE_IDENTITY';

/** One object of the archive, at its plain path (`resources/<gr>/...`); `error` when its JSON does not parse. */
export interface ArchiveItem {
  groupResource: string;
  namespace?: string;
  name: string;
  object: JsonObject;
  error?: string;
}

export interface ArchiveReadOptions {
  signal?: AbortSignal;
  /**
   * Where to start (the manifest's index, core/velero/archive-index.ts): at a gzip member of a plain Lifeboat
   * archive, dropping the decompressed bytes before the wanted resource's first entry. Absent: from the first byte.
   */
  from?: ArchiveIndexEntry;
  /** Called with the stored bytes read so far, for heartbeats. */
  onBytes?: (bytes: number) => void;
}

function identityFor(deps: ActivityDeps, source: RestoreSource): string | undefined {
  if (source.kind !== 'lifeboat' || !source.encrypted) return undefined;
  const identity = deps.readSecretEnv(AGE_IDENTITY_ENV);
  if (!identity) {
    throw nonRetryable(
      FailureTypes.MissingCredentials,
      `${source.backup} is encrypted (age) and the worker has no identity to open it: set the environment variable ${AGE_IDENTITY_ENV} on the worker to the age identity (the AGE-SECRET-KEY-1... line) of one of the policy's recipients`,
    );
  }
  return identity;
}

async function* objectBody(s3: S3Client, bucket: string, key: string, opts: ArchiveReadOptions) {
  const range = opts.from && opts.from.offset > 0 ? { Range: `bytes=${opts.from.offset}-` } : {};
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...range }), {
    ...(opts.signal ? { abortSignal: opts.signal } : {}),
  });
  let bytes = 0;
  try {
    for await (const chunk of response.Body as AsyncIterable<Uint8Array>) {
      bytes += chunk.length;
      opts.onBytes?.(bytes);
      yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }
  } catch (err) {
    throw new StorageReadError(err);
  }
}

/** The bucket stopped answering mid-read: worth a retry, unlike bytes that do not decode. */
class StorageReadError extends Error {
  constructor(override readonly cause: unknown) {
    super((cause as Error)?.message ?? String(cause));
  }
}

/** The archive's tar entries, decrypted and gunzipped as they stream in (gzip of several members reads as one). */
async function* tarEntries(
  deps: ActivityDeps,
  source: RestoreSource,
  s3: S3Client,
  bucket: string,
  opts: ArchiveReadOptions & { stored?: (s: StreamStats) => void },
) {
  const identity = identityFor(deps, source);
  const stored = measure(objectBody(s3, bucket, source.archiveKey, opts), opts.stored ?? (() => undefined));
  const tar = dropBytes(decompress(decrypt(stored, identity), 'gzip'), opts.from?.skip ?? 0);
  const reader = new TarReader();
  try {
    for await (const chunk of tar) {
      for (const entry of reader.push(chunk)) yield entry;
    }
    reader.end();
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    if (err instanceof StorageReadError) throw err.cause;
    throw nonRetryable(
      FailureTypes.ChecksumMismatch,
      `the archive of ${source.backup} (${source.archiveKey}) cannot be read: ${(err as Error).message}; the object is damaged or not a backup, restore another backup`,
    );
  }
}

/** The stream without its first `count` bytes: a member's bytes before the entry an index points at. */
async function* dropBytes(source: AsyncIterable<Buffer>, count: number): AsyncGenerator<Buffer> {
  let left = count;
  for await (const chunk of source) {
    if (left >= chunk.length) {
      left -= chunk.length;
      continue;
    }
    yield left > 0 ? chunk.subarray(left) : chunk;
    left = 0;
  }
}

const decoder = new TextDecoder();

/**
 * The items of the resources `wanted` accepts, in archive order. Only the plain copies: the `<version>-preferredversion`
 * copies are the same objects again (Velero's restore reads the plain one too unless EnableAPIGroupVersions is set).
 */
export async function* readArchiveItems(
  deps: ActivityDeps,
  source: RestoreSource,
  wanted: (groupResource: string) => boolean,
  opts: ArchiveReadOptions = {},
): AsyncGenerator<ArchiveItem> {
  const location = findLocation(deps, source.location);
  // Not withS3: a generator cannot yield from inside its callback; the client lives until the consumer stops.
  const s3 = s3ClientFor(deps, location);
  try {
    for await (const entry of tarEntries(deps, source, s3, location.bucket, opts)) {
      const path = parseItemPath(entry.name);
      if (!path || path.versionDir !== undefined || !wanted(path.groupResource)) continue;
      const base = {
        groupResource: path.groupResource,
        ...(path.namespace !== undefined ? { namespace: path.namespace } : {}),
        name: path.name,
      };
      let object: unknown;
      try {
        object = JSON.parse(decoder.decode(entry.content));
      } catch (err) {
        object = (err as Error).message;
      }
      if (typeof object === 'object' && object !== null && !Array.isArray(object)) {
        yield { ...base, object: object as JsonObject };
      } else {
        const why = typeof object === 'string' ? object : 'not a JSON object';
        yield { ...base, object: {}, error: `${entry.name} in the archive is not an object's JSON: ${why}` };
      }
    }
  } catch (err) {
    classifyS3Error(location, err);
  } finally {
    s3.destroy();
  }
}

export interface ArchiveCheck {
  /** Stored bytes and their sha256 (the object as it is in the bucket, encrypted or not). */
  bytes: number;
  sha256: string;
  /** Item entries at their plain paths. */
  items: number;
}

/**
 * Reads the whole archive before anything is written: its stored bytes must hash to the manifest's sha256 (a Lifeboat
 * backup), and it must decompress and parse as tar to its end (any backup; a Velero-written one has no checksum).
 */
export async function verifyArchive(
  deps: ActivityDeps,
  source: RestoreSource,
  opts: ArchiveReadOptions = {},
): Promise<ArchiveCheck> {
  const location = findLocation(deps, source.location);
  return withS3(deps, location, async (s3) => {
    let stats: StreamStats | undefined;
    let items = 0;
    for await (const entry of tarEntries(deps, source, s3, location.bucket, { ...opts, stored: (s) => (stats = s) })) {
      const path = parseItemPath(entry.name);
      if (path && path.versionDir === undefined) items++;
    }
    // The gunzip may end before the last stored bytes are pulled (trailing padding): drain what the meter saw.
    if (!stats) {
      throw nonRetryable(
        FailureTypes.ChecksumMismatch,
        `the archive of ${source.backup} ended before it was read whole`,
      );
    }
    if (source.kind === 'lifeboat' && (stats.sha256 !== source.sha256 || stats.bytes !== source.bytes)) {
      throw nonRetryable(
        FailureTypes.ChecksumMismatch,
        `the archive of ${source.backup} (${source.archiveKey}) is not the one its manifest describes: ${stats.bytes} bytes with sha256 ${stats.sha256}, the manifest says ${source.bytes} bytes with sha256 ${source.sha256}; it was damaged or replaced after the backup, restore another backup`,
      );
    }
    return { bytes: stats.bytes, sha256: stats.sha256, items };
  });
}

/** The backup's resource list (`<apiVersion>/<Kind>` → `<namespace>/<name>` or `<name>`), written by Lifeboat or Velero. */
export async function readResourceList(deps: ActivityDeps, source: RestoreSource): Promise<Record<string, string[]>> {
  const location = findLocation(deps, source.location);
  return withS3(deps, location, async (s3) => {
    const response = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: source.resourceListKey }));
    const gz = await response.Body!.transformToByteArray();
    try {
      return parseResourceList(decoder.decode(await gunzipAsync(gz)));
    } catch (err) {
      throw nonRetryable(
        FailureTypes.ChecksumMismatch,
        `the resource list of ${source.backup} (${source.resourceListKey}) cannot be read: ${(err as Error).message}`,
      );
    }
  });
}
