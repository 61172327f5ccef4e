import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { gunzipSync } from 'node:zlib';
import type { LifeboatConfig, StorageLocation } from '../core/config/schema.js';
import { s3ClientFor } from '../activities/storage/s3.js';
import { CliError, ExitCode } from './exit-codes.js';

/**
 * The CLI reads the bucket itself (listing backups, reading manifests), so any machine with the config and the keys
 * in its environment sees the same catalog as the worker. Keys come from the variables the config names.
 */
export async function withLocation<T>(
  config: LifeboatConfig,
  location: StorageLocation,
  fn: (s3: S3Client) => Promise<T>,
): Promise<T> {
  let s3: S3Client;
  try {
    s3 = s3ClientFor({ readSecretEnv: (name) => process.env[name] }, location);
  } catch (err) {
    throw new CliError((err as Error).message, ExitCode.BadInput);
  }
  try {
    return await fn(s3);
  } finally {
    s3.destroy();
  }
}

export function selectLocations(config: LifeboatConfig, names: string[] | undefined): StorageLocation[] {
  if (!names || names.length === 0) return config.storageLocations;
  const known = config.storageLocations.map((l) => l.name);
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    throw new CliError(
      `Unknown storage location(s) ${unknown.join(', ')}; the config defines ${known.join(', ')}.`,
      ExitCode.BadInput,
    );
  }
  return config.storageLocations.filter((l) => names.includes(l.name));
}

/** A whole object, as bytes: the small files beside a backup (resource list, results, records). */
export async function readObject(s3: S3Client, bucket: string, key: string): Promise<Uint8Array> {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return response.Body!.transformToByteArray();
}

/** A gzip-compressed JSON file beside a backup (Velero's `*.json.gz` and `-results.gz`), as text. */
export async function readGzipText(s3: S3Client, bucket: string, key: string): Promise<string> {
  return gunzipSync(await readObject(s3, bucket, key)).toString('utf8');
}

/** Every key under a prefix of a bucket, page by page. */
export async function* listKeys(s3: S3Client, bucket: string, prefix: string): AsyncGenerator<string> {
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) yield object.Key!;
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}
