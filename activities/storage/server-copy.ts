import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { abortUpload, type UploadedPart } from './multipart-upload.js';

/** S3 copies at most 5 GiB in one CopyObject; anything larger must be copied in ranges with UploadPartCopy. */
export const SINGLE_COPY_MAX_BYTES = 5 * 1024 ** 3;
/** Range per UploadPartCopy: the server copies it, so size only bounds how much one retried request redoes. */
export const COPY_PART_BYTES = 512 * 1024 ** 2;
const MAX_PARTS = 10_000;
const COPY_CONCURRENCY = 4;

export interface ServerCopyOptions {
  bucket: string;
  from: string;
  to: string;
  /** The source's ETag as read and verified: the copy fails (412) rather than copy anything else. */
  etag: string;
  /** The source's size in bytes (from HeadObject). */
  size: number;
  /** Overrides, for tests: copy in parts above this size, in ranges of this size. */
  singleCopyMaxBytes?: number;
  partBytes?: number;
  signal?: AbortSignal;
}

/** `bucket/key` with each key segment URL-encoded, as x-amz-copy-source wants it. */
function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * Copies an object inside one bucket without the bytes passing through the worker. Up to 5 GiB in one CopyObject,
 * above that as a multipart upload of UploadPartCopy ranges. Copying again overwrites with the same bytes, so a
 * retry is safe; a multipart copy cut short by a dead worker is an open upload under the destination's policy prefix,
 * which retention aborts after the policy's incompleteGracePeriod.
 */
export async function serverSideCopy(s3: S3Client, opts: ServerCopyOptions): Promise<{ parts: number }> {
  const source = copySource(opts.bucket, opts.from);
  const send = { abortSignal: opts.signal };
  if (opts.size <= (opts.singleCopyMaxBytes ?? SINGLE_COPY_MAX_BYTES)) {
    await s3.send(
      new CopyObjectCommand({ Bucket: opts.bucket, Key: opts.to, CopySource: source, CopySourceIfMatch: opts.etag }),
      send,
    );
    return { parts: 1 };
  }
  const partBytes = Math.max(opts.partBytes ?? COPY_PART_BYTES, Math.ceil(opts.size / MAX_PARTS));
  const ranges: { part: number; range: string }[] = [];
  for (let start = 0, part = 1; start < opts.size; start += partBytes, part++)
    ranges.push({ part, range: `bytes=${start}-${Math.min(start + partBytes, opts.size) - 1}` });

  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: opts.bucket, Key: opts.to }), send);
  try {
    const parts: UploadedPart[] = [];
    let next = 0;
    let failed = false;
    const worker = async () => {
      while (!failed && next < ranges.length) {
        const { part, range } = ranges[next++]!;
        const response = await s3.send(
          new UploadPartCopyCommand({
            Bucket: opts.bucket,
            Key: opts.to,
            UploadId,
            PartNumber: part,
            CopySource: source,
            CopySourceRange: range,
            CopySourceIfMatch: opts.etag,
          }),
          send,
        );
        parts.push({ PartNumber: part, ETag: response.CopyPartResult!.ETag! });
      }
    };
    // Every worker stops after the first failure; all have stopped before the upload is aborted below.
    const settled = await Promise.allSettled(
      Array.from({ length: Math.min(COPY_CONCURRENCY, ranges.length) }, () =>
        worker().catch((err: unknown) => {
          failed = true;
          throw err;
        }),
      ),
    );
    const rejected = settled.find((r) => r.status === 'rejected');
    if (rejected) throw rejected.reason;
    parts.sort((a, b) => a.PartNumber - b.PartNumber);
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: opts.bucket,
        Key: opts.to,
        UploadId,
        MultipartUpload: { Parts: parts },
      }),
      send,
    );
    return { parts: parts.length };
  } catch (err) {
    // Within this attempt nothing resumes a half-done copy: leave no open upload behind.
    await abortUpload(s3, opts.bucket, opts.to, UploadId!).catch(() => undefined);
    throw err;
  }
}
