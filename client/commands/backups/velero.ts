import type { S3Client } from '@aws-sdk/client-s3';
import type { LifeboatConfig, StorageLocation } from '../../../core/config/schema.js';
import {
  parseVeleroLocationRecordKey,
  veleroLocationBackupsPrefix,
  veleroLocationRecordKey,
} from '../../../core/layout.js';
import { parseVeleroRecord, type VeleroBackupSummary } from '../../../core/velero/backup-record.js';
import { CliError, ExitCode } from '../../exit-codes.js';
import { table, utc } from '../../output.js';
import { listKeys, readObject, selectLocations, withLocation } from '../../storage.js';

/**
 * `--velero LOCATION[:PREFIX]`: a storage location of the config gives the endpoint, bucket and credentials; PREFIX is
 * the BackupStorageLocation's `objectStorage.prefix` in that bucket (none: the bucket's root, as a BSL without a
 * prefix). Lifeboat's own resource backups of a cluster are the BSL prefix `<location prefix>/resources/<cluster>`.
 */
export interface VeleroLocationSpec {
  location: StorageLocation;
  prefix: string;
}

export function parseVeleroSpec(config: LifeboatConfig, spec: string): VeleroLocationSpec {
  const colon = spec.indexOf(':');
  const name = colon === -1 ? spec : spec.slice(0, colon);
  const prefix = colon === -1 ? '' : spec.slice(colon + 1);
  if (name === '' || prefix.startsWith('//')) {
    throw new CliError(
      `--velero "${spec}" is not LOCATION[:PREFIX]: name a storage location of the config, then optionally ` +
        "the BackupStorageLocation's prefix in its bucket, e.g. --velero minio:velero.",
      ExitCode.BadInput,
    );
  }
  return { location: selectLocations(config, [name])[0]!, prefix };
}

/** One backup of a Velero location: its record's summary, or why the record could not be read. */
export type VeleroRow =
  | { backup: string; key: string; ok: true; summary: VeleroBackupSummary }
  | { backup: string; key: string; ok: false; error: string };

const RECORD_READ_CONCURRENCY = 8;

async function readRecords(s3: S3Client, spec: VeleroLocationSpec): Promise<VeleroRow[]> {
  const names: string[] = [];
  for await (const key of listKeys(s3, spec.location.bucket, veleroLocationBackupsPrefix(spec.prefix))) {
    const backup = parseVeleroLocationRecordKey(spec.prefix, key);
    if (backup !== undefined) names.push(backup);
  }
  const rows: VeleroRow[] = [];
  for (let i = 0; i < names.length; i += RECORD_READ_CONCURRENCY) {
    rows.push(
      ...(await Promise.all(
        names.slice(i, i + RECORD_READ_CONCURRENCY).map(async (backup): Promise<VeleroRow> => {
          const key = veleroLocationRecordKey(spec.prefix, backup);
          const text = Buffer.from(await readObject(s3, spec.location.bucket, key)).toString('utf8');
          const parsed = parseVeleroRecord(text);
          return parsed.ok
            ? { backup, key, ok: true, summary: parsed.backup }
            : { backup, key, ok: false, error: parsed.error };
        }),
      )),
    );
  }
  // Newest first, as `backups list` sorts; unreadable records last.
  const started = (r: VeleroRow) => (r.ok ? Date.parse(r.summary.startTimestamp ?? '') || 0 : -1);
  return rows.sort((a, b) => started(b) - started(a) || a.backup.localeCompare(b.backup));
}

export async function listVeleroBackups(config: LifeboatConfig, spec: VeleroLocationSpec): Promise<VeleroRow[]> {
  return withLocation(config, spec.location, (s3) => readRecords(s3, spec));
}

export function veleroTable(rows: VeleroRow[]): string {
  return table(
    ['name', 'phase', 'items', 'warnings', 'errors', 'started (UTC)', 'completed (UTC)', 'expires (UTC)', 'written by'],
    rows.map((r) => {
      if (!r.ok) return [r.backup, `unreadable: ${r.error}`, '-', '-', '-', '-', '-', '-', '-'];
      const s = r.summary;
      const items =
        s.totalItems !== undefined ? `${s.itemsBackedUp ?? 0}/${s.totalItems}` : `${s.itemsBackedUp ?? '-'}`;
      return [
        s.name,
        s.phase || '-',
        items,
        s.warnings,
        s.errors,
        utc(s.startTimestamp) || '-',
        utc(s.completionTimestamp) || '-',
        utc(s.expiration) || 'never',
        s.writtenByLifeboat ? 'Lifeboat' : 'Velero',
      ];
    }),
  );
}
