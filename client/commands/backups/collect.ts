import type { S3Client } from '@aws-sdk/client-s3';
import { listBackups, readManifest, type CatalogEntry } from '../../../activities/storage/catalog.js';
import type { LifeboatConfig, StorageLocation } from '../../../core/config/schema.js';
import { BackupKinds, type BackupKind } from '../../../core/layout.js';
import type { ManifestOfKind } from '../../../core/manifest.js';
import { loadConfigFile } from '../../../runtime/config-file.js';
import { CliError, ExitCode } from '../../exit-codes.js';
import { selectLocations, withLocation } from '../../storage.js';
import { KIND_CHOICES } from './kind-choices.js';

interface RowOf<K extends BackupKind> {
  location: string;
  kind: K;
  cluster: string;
  policy: string;
  backup: string;
  time: string;
  status: 'complete' | 'incomplete';
  bytes: number;
  manifest: ManifestOfKind<K> | undefined;
}

/** One backup as the bucket shows it; JSON output prints these, manifest included. */
export type BackupRow = RowOf<typeof BackupKinds.etcd> | RowOf<typeof BackupKinds.resources>;

export interface SelectOptions {
  file: string;
  cluster?: string;
  policy?: string;
  location?: string[];
  kind?: BackupKind;
}

const MANIFEST_READ_CONCURRENCY = 8;

async function rowsOf<K extends BackupKind>(
  s3: S3Client,
  location: StorageLocation,
  kind: K,
  entries: CatalogEntry[],
): Promise<RowOf<K>[]> {
  const rows: RowOf<K>[] = [];
  for (let i = 0; i < entries.length; i += MANIFEST_READ_CONCURRENCY) {
    const batch = entries.slice(i, i + MANIFEST_READ_CONCURRENCY);
    const manifests = await Promise.all(
      batch.map(async (e) => (e.manifestKey ? readManifest(s3, location, e.manifestKey, kind) : undefined)),
    );
    batch.forEach((entry, j) => {
      const manifest = manifests[j];
      rows.push({
        location: location.name,
        kind,
        cluster: entry.cluster,
        policy: entry.policy,
        backup: entry.backup,
        time: entry.time.toISOString(),
        status: manifest ? 'complete' : 'incomplete',
        bytes: manifest?.object.bytes ?? entry.bytes,
        manifest,
      });
    });
  }
  return rows;
}

/** The backups of the selected kinds (default: all) in the selected locations, newest first. */
export async function collect(opts: SelectOptions): Promise<{ config: LifeboatConfig; rows: BackupRow[] }> {
  const config = loadConfigFile(opts.file);
  const kinds = opts.kind ? [opts.kind] : KIND_CHOICES;
  const rows: BackupRow[] = [];
  for (const location of selectLocations(config, opts.location)) {
    await withLocation(config, location, async (s3) => {
      const filter = {
        ...(opts.cluster ? { cluster: opts.cluster } : {}),
        ...(opts.policy ? { policy: opts.policy } : {}),
      };
      const of = async <K extends BackupKind>(kind: K) =>
        rowsOf(s3, location, kind, await listBackups(s3, location, kind, filter));
      for (const kind of kinds) {
        rows.push(...(kind === BackupKinds.etcd ? await of(BackupKinds.etcd) : await of(BackupKinds.resources)));
      }
    });
  }
  rows.sort((a, b) => Date.parse(b.time) - Date.parse(a.time) || a.backup.localeCompare(b.backup));
  return { config, rows };
}

/** The one backup of that name in the selection; none, or several in different clusters or locations, is bad input. */
export async function findBackup(
  name: string,
  opts: SelectOptions,
): Promise<{ config: LifeboatConfig; row: BackupRow }> {
  const { config, rows } = await collect(opts);
  const matches = rows.filter((r) => r.backup === name);
  if (matches.length === 0) throw new CliError(`No backup named ${name} in the selected locations.`, ExitCode.BadInput);
  if (matches.length > 1) {
    const where = matches.map((m) => `${m.cluster} in ${m.location}`).join(', ');
    throw new CliError(
      `${name} exists more than once (${where}); narrow it with --cluster or --location.`,
      ExitCode.BadInput,
    );
  }
  return { config, row: matches[0]! };
}

/** The storage location a row was read from (it came from the config, so it is there). */
export function locationOf(config: LifeboatConfig, row: BackupRow): StorageLocation {
  return config.storageLocations.find((l) => l.name === row.location)!;
}
