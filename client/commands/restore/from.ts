import type { LifeboatConfig, StorageLocation } from '../../../core/config/schema.js';
import { CliError, ExitCode } from '../../exit-codes.js';

/** `s3://bucket/key` and the storage location that holds it: by bucket, or the one `--location` names. */
export function resolveFrom(
  config: LifeboatConfig,
  url: string,
  locationName: string | undefined,
): { location: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
  if (!match) throw new CliError(`--from ${url} is not s3://<bucket>/<key>.`, ExitCode.BadInput);
  const [, bucket, key] = match as unknown as [string, string, string];
  const describe = (l: StorageLocation) => `${l.name} (bucket ${l.bucket} at ${l.endpoint})`;
  if (locationName) {
    const location = config.storageLocations.find((l) => l.name === locationName);
    if (!location) {
      const known = config.storageLocations.map((l) => l.name).join(', ') || 'none';
      throw new CliError(`--location ${locationName}: no such storage location (known: ${known}).`, ExitCode.BadInput);
    }
    if (location.bucket !== bucket) {
      throw new CliError(
        `--location ${describe(location)} does not hold bucket ${bucket}; name the location whose storageLocations[].bucket is ${bucket}.`,
        ExitCode.BadInput,
      );
    }
    return { location: location.name, key };
  }
  const matching = config.storageLocations.filter((l) => l.bucket === bucket);
  if (matching.length === 0) {
    const known = config.storageLocations.map(describe).join(', ') || 'none';
    throw new CliError(
      `No storage location has bucket ${bucket} (known: ${known}). Add one under storageLocations (with the endpoint ` +
        'and the credentials to read it) and pass its name with --location if several share the bucket.',
      ExitCode.BadInput,
    );
  }
  if (matching.length > 1) {
    throw new CliError(
      `Several storage locations have bucket ${bucket}: ${matching.map(describe).join(', ')}. Choose one with --location.`,
      ExitCode.BadInput,
    );
  }
  return { location: matching[0]!.name, key };
}
