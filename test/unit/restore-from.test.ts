import { describe, expect, it } from 'vitest';
import { resolveFrom } from '../../client/commands/restore/from.js';
import { validateConfig } from '../../core/config/parse.js';
import type { LifeboatConfig } from '../../core/config/schema.js';
import { CliError } from '../../client/exit-codes.js';

function configWith(locations: { name: string; bucket: string }[]): LifeboatConfig {
  const result = validateConfig({
    apiVersion: 'lifeboat.dev/v1alpha1',
    kind: 'LifeboatConfig',
    storageLocations: locations.map((l) => ({
      ...l,
      endpoint: 'https://s3.example.com',
      credentials: { accessKeyIdEnv: 'K', secretAccessKeyEnv: 'S' },
    })),
    clusters: [{ name: 'prod', etcd: { endpoints: ['https://10.0.0.1:2379'] } }],
  });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.config;
}

function failure(fn: () => unknown): CliError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CliError) return err;
    throw err;
  }
  throw new Error('expected a CliError');
}

// `lifeboat restore etcd --from s3://bucket/key`: which storage location reads it.
describe('resolveFrom', () => {
  const config = configWith([
    { name: 'primary', bucket: 'backups' },
    { name: 'dr-a', bucket: 'shared' },
    { name: 'dr-b', bucket: 'shared' },
  ]);

  it('finds the one location with the bucket; the key is the whole object key', () => {
    expect(resolveFrom(config, 's3://backups/raw/etcd/snap.db.gz', undefined)).toEqual({
      location: 'primary',
      key: 'raw/etcd/snap.db.gz',
    });
  });

  it('asks for --location when several locations share the bucket, and takes it', () => {
    const err = failure(() => resolveFrom(config, 's3://shared/snap.db', undefined));
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('Several storage locations have bucket shared');
    expect(err.message).toContain('--location');
    expect(resolveFrom(config, 's3://shared/snap.db', 'dr-b')).toEqual({ location: 'dr-b', key: 'snap.db' });
  });

  it('names the field to add when no location has the bucket, and rejects a location of another bucket', () => {
    const none = failure(() => resolveFrom(config, 's3://elsewhere/snap.db', undefined));
    expect(none.exitCode).toBe(2);
    expect(none.message).toContain('No storage location has bucket elsewhere');
    expect(none.message).toContain('storageLocations');
    expect(failure(() => resolveFrom(config, 's3://backups/snap.db', 'dr-a')).message).toContain(
      'does not hold bucket backups',
    );
    expect(failure(() => resolveFrom(config, 's3://backups/snap.db', 'nope')).message).toContain(
      'no such storage location (known: primary, dr-a, dr-b)',
    );
  });

  it('rejects what is not s3://<bucket>/<key>', () => {
    for (const url of ['backups/snap.db', 's3://backups', 's3://backups/', 'https://backups/snap.db']) {
      expect(failure(() => resolveFrom(config, url, undefined)).exitCode, url).toBe(2);
    }
  });
});
