import type { S3Client } from '@aws-sdk/client-s3';
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
