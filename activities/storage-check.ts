import { DeleteObjectCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import type { StorageLocation } from '../core/config/schema.js';
import { probeKey } from '../core/layout.js';
import type { ActivityDeps } from './deps.js';
import { nonRetryable } from './failures.js';
import { findLocation } from './config-lookup.js';
import { abortUpload, uploadStream } from './storage/multipart-upload.js';
import { withS3 } from './storage/s3.js';
import { PART_SIZE } from './storage/pipeline.js';
import { FailureTypes } from '../core/failure-types.js';

export interface ProbeResult {
  key: string;
  bytes: number;
  sha256: string;
}

/** Storage activities. Each is idempotent: the key is derived from the caller's id, so a retry overwrites. */
export function createStorageActivities(deps: ActivityDeps) {
  function withLocation<T>(name: string, use: (at: { location: StorageLocation; s3: S3Client }) => Promise<T>) {
    const location = findLocation(deps, name);
    return withS3(deps, location, (s3) => use({ location, s3 }));
  }

  return {
    /**
     * Writes a small probe object whose content is derived from probeId, so a retry writes the same bytes. It goes
     * the way a snapshot goes (a multipart upload whose part carries its CRC32), so a store that cannot take a
     * backup fails here, not at the first backup.
     */
    async writeProbe(locationName: string, probeId: string): Promise<ProbeResult> {
      return withLocation(locationName, async ({ location, s3 }) => {
        const key = probeKey(location.prefix, probeId);
        const body = Buffer.from(`lifeboat storage probe ${probeId}\n`.repeat(64));
        let uploadId: string | undefined;
        try {
          await uploadStream([body], {
            s3,
            bucket: location.bucket,
            key,
            partSize: PART_SIZE,
            concurrency: 1,
            onProgress: (p) => (uploadId = p.uploadId),
          });
        } catch (err) {
          if (uploadId) await abortUpload(s3, location.bucket, key, uploadId).catch(() => undefined);
          throw err;
        }
        return { key, bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') };
      });
    },

    /** Reads an object back and fails unless its sha256 is the expected one. */
    async verifyObject(locationName: string, key: string, expectedSha256: string): Promise<ProbeResult> {
      return withLocation(locationName, async ({ location, s3 }) => {
        const response = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: key }));
        const body = Buffer.from(await response.Body!.transformToByteArray());
        const sha256 = createHash('sha256').update(body).digest('hex');
        if (sha256 !== expectedSha256) {
          throw nonRetryable(
            FailureTypes.ChecksumMismatch,
            `Object ${key} in "${location.name}" has sha256 ${sha256}, expected ${expectedSha256}.`,
          );
        }
        return { key, bytes: body.length, sha256 };
      });
    },

    /** Deleting a key that is already gone succeeds (S3 semantics), so this is safe to retry. */
    async deleteObject(locationName: string, key: string): Promise<void> {
      await withLocation(locationName, async ({ location, s3 }) => {
        await s3.send(new DeleteObjectCommand({ Bucket: location.bucket, Key: key }));
      });
    },
  };
}
