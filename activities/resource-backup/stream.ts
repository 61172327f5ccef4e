import type { S3Client } from '@aws-sdk/client-s3';
import type { MemberSizes } from '../../core/velero/archive-index.js';
import { measure, type StreamStats } from '../etcd/snapshot-stream.js';
import { gzipMembers } from '../storage/gzip-members.js';
import { uploadStream, type StreamUploadResult, type UploadProgress } from '../storage/multipart-upload.js';
import { encrypt, PART_CONCURRENCY, PART_SIZE } from '../storage/pipeline.js';

/**
 * The archive's way into the bucket: tar → gzip (members compressed on every core) → age (when the policy has
 * recipients) → sha256 and size → one S3 multipart upload. Every stage pulls from the one before: when the parts in
 * flight reach PART_CONCURRENCY the upload stops reading, compression stops, and the lister stops asking the API for
 * pages, so memory is bounded by the parts (PART_SIZE x (PART_CONCURRENCY + 1)), the members being compressed and a
 * page or two of objects, whatever the cluster's size.
 *
 * gzip at level 1: API objects are JSON with the same keys over and over, which even level 1 compresses well, and
 * Velero's default level (6) costs several times the CPU for a little less output; on a machine where listing and
 * compressing share the cores, compression would otherwise bound the backup's speed. Any gzip reader (Velero's
 * included) reads either.
 */
export const GZIP_LEVEL = 1;

export interface ArchiveUpload {
  s3: S3Client;
  bucket: string;
  key: string;
  recipients: string[];
  /** The upload an earlier attempt started: reattached to, every part sent again (uploadStream). */
  resumeUploadId?: string;
  signal: AbortSignal;
  onProgress: (progress: UploadProgress) => void;
  /** Hands each tar chunk back to its writer once it is compressed (gzipMembers' release). */
  release?: (chunk: Buffer) => void;
  /** Each gzip member's sizes, in order (gzipMembers' onMember): the archive's index is made from them. */
  onMember?: (sizes: MemberSizes) => void;
}

export async function uploadArchive(
  tar: AsyncIterable<Buffer>,
  opts: ArchiveUpload,
): Promise<StreamUploadResult & { stored: StreamStats }> {
  let stored: StreamStats | undefined;
  const compressed = gzipMembers(tar, {
    level: GZIP_LEVEL,
    ...(opts.release ? { release: opts.release } : {}),
    ...(opts.onMember ? { onMember: opts.onMember } : {}),
  });
  const out = measure(encrypt(compressed, opts.recipients), (s) => (stored = s));
  const upload = await uploadStream(out, {
    s3: opts.s3,
    bucket: opts.bucket,
    key: opts.key,
    partSize: PART_SIZE,
    concurrency: PART_CONCURRENCY,
    ...(opts.resumeUploadId ? { resumeUploadId: opts.resumeUploadId } : {}),
    signal: opts.signal,
    onProgress: opts.onProgress,
  });
  return { ...upload, stored: stored! };
}
