import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  S3ServiceException,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { STORE_CHECKSUM_ALGORITHM } from '../../core/manifest.js';
import { compositeCrc32, partCrc32 } from './store-checksum.js';

export interface UploadedPart {
  PartNumber: number;
  ETag: string;
  ChecksumCRC32?: string;
}

export interface UploadProgress {
  uploadId: string;
  partsDone: number;
  bytes: number;
}

export interface StreamUploadOptions {
  s3: S3Client;
  bucket: string;
  key: string;
  /** Bytes per part (S3 minimum 5 MiB except the last). Memory use is about partSize × (concurrency + 1). */
  partSize: number;
  concurrency: number;
  /** An upload id from an earlier attempt: reattach to it instead of leaving it abandoned. */
  resumeUploadId?: string;
  onProgress?: (progress: UploadProgress) => void;
  signal?: AbortSignal;
}

export interface StreamUploadResult {
  uploadId: string;
  bytes: number;
  parts: number;
  /** True when an earlier attempt's upload was reused. */
  resumed: boolean;
  /** The composite CRC32 the store verified part by part and reports on HEAD (activities/storage/store-checksum.ts). */
  storeChecksum: string;
}

async function existingUpload(opts: StreamUploadOptions): Promise<string | undefined> {
  if (!opts.resumeUploadId) return undefined;
  try {
    await opts.s3.send(new ListPartsCommand({ Bucket: opts.bucket, Key: opts.key, UploadId: opts.resumeUploadId }));
    return opts.resumeUploadId;
  } catch (err) {
    if (err instanceof S3ServiceException && (err.name === 'NoSuchUpload' || err.$metadata.httpStatusCode === 404)) {
      return undefined; // completed or aborted meanwhile: start a new one
    }
    throw err;
  }
}

/**
 * Parts go with `x-amz-content-sha256: UNSIGNED-PAYLOAD` (as the AWS CLI sends them): signing a part's payload means
 * one more sha256 pass over the whole snapshot here and one more at the server, which made hashing the largest cost
 * of a backup (bench/etcd-snapshot). The request itself stays signed; the bytes are covered end to end by the
 * sha256 in the manifest, which every restore checks before it touches anything.
 */
function unsignedPayload<Args extends { request: unknown }, Out>(next: (args: Args) => Promise<Out>) {
  return (args: Args) => {
    const { headers } = args.request as { headers?: Record<string, string> };
    if (headers) headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
    return next(args);
  };
}

/**
 * Streams a source into an S3 multipart upload with bounded memory: parts are cut at partSize and at most
 * `concurrency` are in flight; the source is not read further while they are (backpressure).
 *
 * A snapshot taken again after a failure may differ byte for byte from the first one, so a resumed upload
 * re-sends every part under the same upload id (overwriting part numbers) rather than trusting old parts.
 */
export async function uploadStream(
  source: AsyncIterable<Buffer> | Iterable<Buffer>,
  opts: StreamUploadOptions,
): Promise<StreamUploadResult> {
  const reused = await existingUpload(opts);
  const uploadId =
    reused ??
    (
      await opts.s3.send(
        new CreateMultipartUploadCommand({
          Bucket: opts.bucket,
          Key: opts.key,
          ChecksumAlgorithm: STORE_CHECKSUM_ALGORITHM,
        }),
        { abortSignal: opts.signal },
      )
    ).UploadId!;
  opts.onProgress?.({ uploadId, partsDone: 0, bytes: 0 });

  const parts: UploadedPart[] = [];
  const partCrcs = new Map<number, number>();
  const inFlight = new Set<Promise<void>>();
  let failure: Error | undefined;
  let bytes = 0;
  let nextPart = 1;
  // Parts are assembled in a fixed pool of buffers, reused once their upload settles: memory stays at
  // partSize x (concurrency + 1) and a snapshot's gigabytes never churn through the allocator as fresh 8 MiB buffers.
  const free: Buffer[] = [];
  const takeBuffer = () => free.pop() ?? Buffer.allocUnsafe(opts.partSize);

  const send = (buffer: Buffer, length: number) => {
    const partNumber = nextPart++;
    const body = buffer.subarray(0, length);
    // The store checks each part against its CRC32 and refuses one damaged on the way: unsigned parts still arrive
    // intact, and the object's composite checksum becomes something a restore can ask the store for.
    const checksum = partCrc32(body);
    const command = new UploadPartCommand({
      Bucket: opts.bucket,
      Key: opts.key,
      UploadId: uploadId,
      PartNumber: partNumber,
      Body: body,
      ContentLength: length,
      ChecksumCRC32: checksum.header,
    });
    command.middlewareStack.add(unsignedPayload, { step: 'build', name: 'lifeboatUnsignedPayload' });
    const task = opts.s3
      .send(command, { abortSignal: opts.signal })
      .then((response) => {
        parts.push({ PartNumber: partNumber, ETag: response.ETag!, ChecksumCRC32: checksum.header });
        partCrcs.set(partNumber, checksum.crc);
        opts.onProgress?.({ uploadId, partsDone: parts.length, bytes });
      })
      .catch((err: unknown) => {
        failure ??= err instanceof Error ? err : new Error(String(err));
      })
      .finally(() => {
        inFlight.delete(task);
        free.push(buffer);
      });
    inFlight.add(task);
  };

  let part = takeBuffer();
  let filled = 0;
  for await (const chunk of source) {
    if (failure) break;
    bytes += chunk.length;
    for (let offset = 0; offset < chunk.length;) {
      const copied = chunk.copy(part, filled, offset);
      offset += copied;
      filled += copied;
      if (filled === opts.partSize) {
        send(part, filled);
        while (inFlight.size >= opts.concurrency) await Promise.race(inFlight);
        part = takeBuffer();
        filled = 0;
      }
    }
  }
  if (!failure && (filled > 0 || nextPart === 1)) send(part, filled);
  await Promise.all(inFlight);
  if (failure) throw failure;

  parts.sort((a, b) => a.PartNumber - b.PartNumber);
  await opts.s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: opts.bucket,
      Key: opts.key,
      UploadId: uploadId,
      MultipartUpload: { Parts: parts },
    }),
    { abortSignal: opts.signal },
  );
  return {
    uploadId,
    bytes,
    parts: parts.length,
    resumed: reused !== undefined,
    storeChecksum: compositeCrc32(parts.map((p) => partCrcs.get(p.PartNumber)!)),
  };
}

/** Aborting an upload that is already gone is fine: the goal, no abandoned upload, holds either way. */
export async function abortUpload(s3: S3Client, bucket: string, key: string, uploadId: string): Promise<void> {
  try {
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
  } catch (err) {
    if (!(err instanceof S3ServiceException && (err.name === 'NoSuchUpload' || err.$metadata.httpStatusCode === 404)))
      throw err;
  }
}

/**
 * The open multipart uploads of exactly one key, oldest first. A key that is unique per backup has an open upload only
 * when an earlier attempt died before its heartbeat (which carries the upload id) reached the server.
 */
export async function openUploadsOf(s3: S3Client, bucket: string, key: string): Promise<string[]> {
  const found: { uploadId: string; initiated: number }[] = [];
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  do {
    const page = await s3.send(
      new ListMultipartUploadsCommand({
        Bucket: bucket,
        Prefix: key,
        KeyMarker: keyMarker,
        UploadIdMarker: uploadIdMarker,
      }),
    );
    for (const upload of page.Uploads ?? [])
      if (upload.Key === key && upload.UploadId)
        found.push({ uploadId: upload.UploadId, initiated: upload.Initiated?.getTime() ?? 0 });
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
  } while (keyMarker);
  return found.sort((a, b) => a.initiated - b.initiated).map((u) => u.uploadId);
}
