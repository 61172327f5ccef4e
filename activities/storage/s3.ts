import { S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { StorageLocation } from '../../core/config/schema.js';
import { FailureTypes } from '../../core/failure-types.js';
import type { ActivityDeps } from '../deps.js';
import { nonRetryable } from '../failures.js';

/** Where an S3 client talks to and with which keys: a storage location's, or what a Job's environment says. */
export interface S3Settings {
  endpoint: string;
  region: string;
  forcePathStyle: boolean;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

/** The one way Lifeboat builds an S3 client: the worker, the CLI and the store container of a Job alike. */
export function s3Client(settings: S3Settings): S3Client {
  return new S3Client({
    ...settings,
    // Temporal owns retries across attempts; the SDK still retries transient errors within one attempt.
    maxAttempts: 3,
    // Lifeboat hashes every object itself (sha256 in the manifest); the SDK's default per-part CRC32 costs CPU and
    // trips some S3-compatible servers.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** An S3 client whose keys come from the environment variables the location names; the keys never leave here. */
export function s3ClientFor(deps: Pick<ActivityDeps, 'readSecretEnv'>, location: StorageLocation): S3Client {
  const { accessKeyIdEnv, secretAccessKeyEnv } = location.credentials;
  const accessKeyId = deps.readSecretEnv(accessKeyIdEnv);
  const secretAccessKey = deps.readSecretEnv(secretAccessKeyEnv);
  const missing = [!accessKeyId && accessKeyIdEnv, !secretAccessKey && secretAccessKeyEnv].filter(Boolean);
  if (missing.length > 0) {
    throw nonRetryable(
      FailureTypes.MissingCredentials,
      `Storage location "${location.name}": environment variable(s) ${missing.join(', ')} are not set on the worker. ` +
        `Set them to the S3 access key id and secret.`,
    );
  }
  return s3Client({
    endpoint: location.endpoint,
    region: location.region,
    forcePathStyle: location.forcePathStyle,
    credentials: { accessKeyId: accessKeyId!, secretAccessKey: secretAccessKey! },
  });
}

/**
 * An S3 client for the location, for the length of `use`; S3 errors that no retry can fix leave it as non-retryable
 * failures naming the location (classifyS3Error).
 */
export async function withS3<T>(
  deps: Pick<ActivityDeps, 'readSecretEnv'>,
  location: StorageLocation,
  use: (s3: S3Client) => Promise<T>,
): Promise<T> {
  const s3 = s3ClientFor(deps, location);
  try {
    return await use(s3);
  } catch (err) {
    return classifyS3Error(location, err);
  } finally {
    s3.destroy();
  }
}

const accessDeniedCodes = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'InvalidToken']);

/** Turns S3 errors that no retry can fix into non-retryable failures naming the location; rethrows the rest. */
export function classifyS3Error(location: StorageLocation, err: unknown): never {
  if (err instanceof S3ServiceException) {
    if (err.name === 'NoSuchBucket') {
      throw nonRetryable(
        FailureTypes.BucketNotFound,
        `Storage location "${location.name}": bucket "${location.bucket}" does not exist at ${location.endpoint}. Create it or fix storageLocations[].bucket.`,
      );
    }
    if (accessDeniedCodes.has(err.name) || err.$metadata.httpStatusCode === 403) {
      throw nonRetryable(
        FailureTypes.StorageAccessDenied,
        `Storage location "${location.name}": ${location.endpoint} refused the credentials (${err.name}). ` +
          `Check the keys in ${location.credentials.accessKeyIdEnv} / ${location.credentials.secretAccessKeyEnv}.`,
      );
    }
  }
  throw err;
}
