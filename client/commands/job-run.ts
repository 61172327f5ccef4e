import { createReadStream, createWriteStream, readFileSync, rmSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { abortUpload, uploadStream } from '../../activities/storage/multipart-upload.js';
import { s3Client } from '../../activities/storage/s3.js';
import { compress, decompress, decrypt, encrypt, PART_SIZE } from '../../activities/storage/pipeline.js';
import { measure, measuring, verifyEtcdSnapshot, type StreamStats } from '../../activities/etcd/snapshot-stream.js';
import type { Compression } from '../../core/layout.js';
import { CliError, ExitCode } from '../exit-codes.js';

function required(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new CliError(`${name} is not set; the snapshot Job sets it (see core/snapshot-job.ts).`, ExitCode.BadInput);
  return value;
}

/** `lifeboat job store-snapshot` (job.ts registers it and says what it is for). */
export async function runStoreSnapshot(opts: { file: string }): Promise<void> {
  const key = required('LIFEBOAT_OBJECT_KEY');
  const compression = (process.env.LIFEBOAT_COMPRESSION ?? 'none') as Compression;
  const recipients = (process.env.LIFEBOAT_AGE_RECIPIENTS ?? '').split(',').filter(Boolean);
  const s3 = s3Client({
    endpoint: required('ENDPOINT'),
    region: process.env.AWS_REGION ?? 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: required('ACCESS_KEY_ID'), secretAccessKey: required('SECRET_ACCESS_KEY') },
  });
  let snapshot: StreamStats | undefined;
  let stored: StreamStats | undefined;
  const plain = verifyEtcdSnapshot(createReadStream(opts.file) as AsyncIterable<Buffer>, (s) => (snapshot = s));
  const bucket = required('BUCKET_NAME');
  let uploadId: string | undefined;
  let storeChecksum: string | undefined;
  try {
    const source = measure(encrypt(compress(plain, compression), recipients), (s) => (stored = s));
    const onProgress = (p: { uploadId: string }) => (uploadId = p.uploadId);
    ({ storeChecksum } = await uploadStream(source, {
      s3,
      bucket,
      key,
      partSize: PART_SIZE,
      concurrency: 2,
      onProgress,
    }));
  } catch (err) {
    // Unlike an activity, a Job pod has no successor to resume this upload: leave nothing behind.
    if (uploadId) await abortUpload(s3, bucket, key, uploadId).catch(() => undefined);
    throw err;
  } finally {
    s3.destroy();
  }
  // One JSON line the activity reads back from the container log: what was stored, with its checksums.
  console.log(JSON.stringify({ lifeboatStored: { key, stored, snapshot, storeChecksum } }));
}

/** `lifeboat job fetch-snapshot` (job.ts registers it). */
export async function runFetchSnapshot(opts: { to: string; emptyDir?: string }): Promise<void> {
  if (opts.emptyDir) rmSync(opts.emptyDir, { recursive: true, force: true });
  const identityPath = process.env.LIFEBOAT_AGE_IDENTITY_FILE;
  const identity = identityPath ? readFileSync(identityPath, 'utf8') : undefined;
  const compression = (process.env.LIFEBOAT_COMPRESSION ?? 'none') as Compression;
  // The URL carries a signature: it is never printed, only the object's path is.
  const url = new URL(required('LIFEBOAT_SNAPSHOT_URL'));
  const response = await download(url);
  let stored: StreamStats | undefined;
  let snapshot: StreamStats | undefined;
  // Hash as little as the checks need (sha256 of 1 GiB costs seconds, and three members fetch at once): a plain
  // object is its snapshot, and a manifest's sha256 of the plain snapshot is a stronger check than etcd's trailing
  // hash (the restore container then tells etcdutl to skip its own pass over the file).
  const plainObject = compression === 'none' && identity === undefined;
  const snapshotSha256Known = Boolean(process.env.LIFEBOAT_SNAPSHOT_SHA256);
  let stream: AsyncIterable<Buffer> = response;
  if (!plainObject) stream = measure(stream, (s) => (stored = s));
  stream = decompress(decrypt(stream, identity), compression);
  const onSnapshot = (s: StreamStats) => (snapshot = s);
  if (snapshotSha256Known) await pipeline(stream, measuring(onSnapshot), createWriteStream(opts.to));
  else await pipeline(verifyEtcdSnapshot(stream, onSnapshot), createWriteStream(opts.to));
  if (plainObject) stored = snapshot;
  const expect = (what: string, actual: string | undefined, variable: string) => {
    const wanted = process.env[variable];
    if (wanted && actual !== wanted)
      throw new CliError(`${what} sha256 is ${actual}, the manifest says ${wanted}: the backup is damaged`);
  };
  expect('the stored object', stored?.sha256, 'LIFEBOAT_STORED_SHA256');
  expect('the plain snapshot', snapshot?.sha256, 'LIFEBOAT_SNAPSHOT_SHA256');
  console.log(JSON.stringify({ lifeboatFetched: { path: url.pathname, stored, snapshot } }));
}

/**
 * GET through node:http(s) rather than fetch: undici's web streams cost about twice the CPU per byte, and three
 * members restoring on one node download gigabytes at once.
 */
function download(url: URL): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const get = url.protocol === 'https:' ? httpsGet : httpGet;
    get(url, (response) => {
      if (response.statusCode === 200) return resolve(response);
      response.resume();
      reject(new CliError(`downloading ${url.pathname} failed: HTTP ${response.statusCode} ${response.statusMessage}`));
    }).on('error', (err) => reject(new CliError(`downloading ${url.pathname} failed: ${err.message}`)));
  });
}
