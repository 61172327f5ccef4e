import { S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { StorageLocation } from '../../core/config/schema.js';
import type { ActivityDeps } from '../deps.js';
import { nonRetryable } from '../failures.js';

/** An S3 client whose keys come from the environment variables the location names; the keys never leave here. */
export function s3ClientFor(deps: Pick<ActivityDeps, 'readSecretEnv'>, location: StorageLocation): S3Client {
  const { accessKeyIdEnv, secretAccessKeyEnv } = location.credentials;
  const accessKeyId = deps.readSecretEnv(accessKeyIdEnv);
  const secretAccessKey = deps.readSecretEnv(secretAccessKeyEnv);
  const missing = [!accessKeyId && accessKeyIdEnv, !secretAccessKey && secretAccessKeyEnv].filter(Boolean);
  if (missing.length > 0) {
    throw nonRetryable(
      'MissingCredentials',
      `Storage location "${location.name}": environment variable(s) ${missing.join(', ')} are not set on the worker. ` +
        `Set them to the S3 access key id and secret.`,
    );
  }
  return new S3Client({
    endpoint: location.endpoint,
    region: location.region,
    forcePathStyle: location.forcePathStyle,
    credentials: { accessKeyId: accessKeyId!, secretAccessKey: secretAccessKey! },
    // Temporal owns retries across attempts; the SDK still retries transient errors within one attempt.
    maxAttempts: 3,
    // Lifeboat hashes every object itself (sha256 in the manifest); the SDK's default per-part CRC32 costs CPU and
    // trips some S3-compatible servers.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

const accessDeniedCodes = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'InvalidToken']);

/** Turns S3 errors that no retry can fix into non-retryable failures naming the location; rethrows the rest. */
export function classifyS3Error(location: StorageLocation, err: unknown): never {
  if (err instanceof S3ServiceException) {
    if (err.name === 'NoSuchBucket') {
      throw nonRetryable(
        'BucketNotFound',
        `Storage location "${location.name}": bucket "${location.bucket}" does not exist at ${location.endpoint}. Create it or fix storageLocations[].bucket.`,
      );
    }
    if (accessDeniedCodes.has(err.name) || err.$metadata.httpStatusCode === 403) {
      throw nonRetryable(
        'StorageAccessDenied',
        `Storage location "${location.name}": ${location.endpoint} refused the credentials (${err.name}). ` +
          `Check the keys in ${location.credentials.accessKeyIdEnv} / ${location.credentials.secretAccessKeyEnv}.`,
      );
    }
  }
  throw err;
}
