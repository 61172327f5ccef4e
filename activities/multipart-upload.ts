import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListPartsCommand,
  S3ServiceException,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';

export interface UploadedPart {
  PartNumber: number;
  ETag: string;
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
 * Streams a source into an S3 multipart upload with bounded memory: parts are cut at partSize and at most
 * `concurrency` are in flight; the source is not read further while they are (backpressure).
 *
 * A snapshot taken again after a failure may differ byte for byte from the first one, so a resumed upload
 * re-sends every part under the same upload id (overwriting part numbers) rather than trusting old parts.
 */
export async function uploadStream(
  source: AsyncIterable<Buffer>,
  opts: StreamUploadOptions,
): Promise<StreamUploadResult> {
  const reused = await existingUpload(opts);
  const uploadId =
    reused ??
    (
      await opts.s3.send(new CreateMultipartUploadCommand({ Bucket: opts.bucket, Key: opts.key }), {
        abortSignal: opts.signal,
      })
    ).UploadId!;
  opts.onProgress?.({ uploadId, partsDone: 0, bytes: 0 });

  const parts: UploadedPart[] = [];
  const inFlight = new Set<Promise<void>>();
  let failure: Error | undefined;
  let bytes = 0;
  let nextPart = 1;

  const send = (body: Buffer) => {
    const partNumber = nextPart++;
    const task = opts.s3
      .send(
        new UploadPartCommand({
          Bucket: opts.bucket,
          Key: opts.key,
          UploadId: uploadId,
          PartNumber: partNumber,
          Body: body,
          ContentLength: body.length,
        }),
        { abortSignal: opts.signal },
      )
      .then((response) => {
        parts.push({ PartNumber: partNumber, ETag: response.ETag! });
        opts.onProgress?.({ uploadId, partsDone: parts.length, bytes });
      })
      .catch((err: unknown) => {
        failure ??= err instanceof Error ? err : new Error(String(err));
      })
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
  };

  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const chunk of source) {
    if (failure) break;
    pending.push(chunk);
    pendingBytes += chunk.length;
    bytes += chunk.length;
    while (pendingBytes >= opts.partSize) {
      const joined = Buffer.concat(pending);
      send(joined.subarray(0, opts.partSize));
      const rest = joined.subarray(opts.partSize);
      pending = rest.length > 0 ? [Buffer.from(rest)] : [];
      pendingBytes = rest.length;
      while (inFlight.size >= opts.concurrency) await Promise.race(inFlight);
    }
  }
  if (!failure && (pendingBytes > 0 || nextPart === 1)) send(Buffer.concat(pending));
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
  return { uploadId, bytes, parts: parts.length, resumed: reused !== undefined };
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
