/**
 * The storage layout: the only module that knows how keys in the bucket are formed.
 *
 *   <prefix>/etcd/<cluster>/<policy>/<backup>/snapshot.db[.zst|.gz][.age]
 *   <prefix>/etcd/<cluster>/<policy>/<backup>/manifest.json        written last: the commit marker
 *   <prefix>/resources/<cluster>/backups/<backup>/<backup>.tar.gz[.age]   Velero's tarball format
 *   <prefix>/resources/<cluster>/backups/<backup>/velero-backup.json
 *   <prefix>/resources/<cluster>/backups/<backup>/<backup>-resource-list.json.gz
 *   <prefix>/resources/<cluster>/backups/<backup>/<backup>-results.gz
 *   <prefix>/resources/<cluster>/backups/<backup>/manifest.json    written last
 *   <prefix>/resources/<cluster>/restores/<restore>/lifeboat-items-<NN>-<groupResource>.jsonl.gz   per-item results
 *   <prefix>/resources/<cluster>/restores/<restore>/lifeboat-restore.json   the restore's record, written last
 *   (`lifeboat-` names: Velero writes `restore-<name>-*` in its restore folders, so the two never collide)
 *
 * `<prefix>/resources/<cluster>` is a Velero BackupStorageLocation prefix: Velero's sync lists `backups/` and refuses a
 * prefix with other folders beside its own, so resource backups have no policy level; their policy is the one their
 * name carries (`<policy>-<yyyymmddhhmmss>`, core/naming.ts) or their manifest records.
 *
 * And one foreign key: where a Kubermatic store container uploads a snapshot (kubermaticSnapshotKey), from which job
 * mode moves it to snapshotKey().
 */

import { parseBackupName } from './naming.js';

/** The kinds of backup, each its own tree under the location's prefix. */
export const BackupKinds = { etcd: 'etcd', resources: 'resources' } as const;
export type BackupKind = (typeof BackupKinds)[keyof typeof BackupKinds];
const BACKUP_KINDS: readonly string[] = Object.values(BackupKinds);

export type Compression = 'none' | 'gzip' | 'zstd';

/** An etcd backup: one folder per policy. */
export interface EtcdBackupRef {
  prefix: string;
  kind: typeof BackupKinds.etcd;
  cluster: string;
  policy: string;
  backup: string;
}

/** A resource backup: Velero's `backups/<backup>/`, no policy level. */
export interface ResourceBackupRef {
  prefix: string;
  kind: typeof BackupKinds.resources;
  cluster: string;
  backup: string;
}

export type BackupRef = EtcdBackupRef | ResourceBackupRef;

/** The commit marker of every kind: a backup exists when this file does. */
export const MANIFEST_FILE = 'manifest.json';

/** Velero's folder of backups under a BackupStorageLocation prefix, and of restores beside it. */
const VELERO_BACKUPS = 'backups';
const VELERO_RESTORES = 'restores';

const compressionSuffix: Record<Compression, string> = { none: '', gzip: '.gz', zstd: '.zst' };

function join(...parts: string[]): string {
  return parts.filter((p) => p !== '').join('/');
}

function normalizePrefix(prefix: string): string {
  return prefix.replace(/^\/+|\/+$/g, '');
}

export function backupDir(ref: BackupRef): string {
  const base = normalizePrefix(ref.prefix);
  return ref.kind === BackupKinds.etcd
    ? join(base, ref.kind, ref.cluster, ref.policy, ref.backup) + '/'
    : join(base, ref.kind, ref.cluster, VELERO_BACKUPS, ref.backup) + '/';
}

export function manifestKey(ref: BackupRef): string {
  return backupDir(ref) + MANIFEST_FILE;
}

/** Whether a key of a backup (as listed, or as parseBackupKey names its file) is that backup's manifest. */
export function isManifestKey(key: string): boolean {
  return key.split('/').at(-1) === MANIFEST_FILE;
}

export function snapshotKey(ref: EtcdBackupRef, compression: Compression, encrypted: boolean): string {
  return backupDir(ref) + 'snapshot.db' + compressionSuffix[compression] + (encrypted ? '.age' : '');
}

/** Velero's tarball of the backed-up objects; `.age` when Lifeboat encrypts it (then only Lifeboat reads it). */
export function resourcesArchiveKey(ref: ResourceBackupRef, encrypted: boolean): string {
  return `${backupDir(ref)}${ref.backup}.tar.gz${encrypted ? '.age' : ''}`;
}

/** Velero's Backup object: what its backup sync imports. */
export function veleroBackupKey(ref: ResourceBackupRef): string {
  return backupDir(ref) + 'velero-backup.json';
}

/** Velero's list of the backed-up items by group/version/kind. */
export function resourceListKey(ref: ResourceBackupRef): string {
  return `${backupDir(ref)}${ref.backup}-resource-list.json.gz`;
}

/** Velero's warnings and errors of the backup. */
export function resourceResultsKey(ref: ResourceBackupRef): string {
  return `${backupDir(ref)}${ref.backup}-results.gz`;
}

/** The file of Velero's Backup object in a backup's folder. */
const VELERO_RECORD_FILE = 'velero-backup.json';

/**
 * Under any BackupStorageLocation prefix (a bucket-relative prefix as the BSL spec gives it, stock Velero's or
 * Lifeboat's `<prefix>/resources/<cluster>`): the folder that holds one folder per backup.
 */
export function veleroLocationBackupsPrefix(bslPrefix: string): string {
  return join(normalizePrefix(bslPrefix), VELERO_BACKUPS) + '/';
}

/** The BackupStorageLocation prefix of one cluster's resource backups: where a stock Velero is pointed to see them. */
export function resourcesLocationPrefix(prefix: string, cluster: string): string {
  return join(normalizePrefix(prefix), BackupKinds.resources, cluster);
}

/** The Backup record of one backup under a BackupStorageLocation prefix: what Velero's sync reads. */
export function veleroLocationRecordKey(bslPrefix: string, backup: string): string {
  return `${veleroLocationBackupsPrefix(bslPrefix)}${backup}/${VELERO_RECORD_FILE}`;
}

/** The tarball of one backup under a BackupStorageLocation prefix (stock Velero's: never encrypted). */
export function veleroLocationArchiveKey(bslPrefix: string, backup: string): string {
  return `${veleroLocationBackupsPrefix(bslPrefix)}${backup}/${backup}.tar.gz`;
}

/** The resource list of one backup under a BackupStorageLocation prefix. */
export function veleroLocationResourceListKey(bslPrefix: string, backup: string): string {
  return `${veleroLocationBackupsPrefix(bslPrefix)}${backup}/${backup}-resource-list.json.gz`;
}

/** Inverse of veleroLocationRecordKey: the backup whose record a listed key is, or undefined for any other key. */
export function parseVeleroLocationRecordKey(bslPrefix: string, key: string): string | undefined {
  const folder = veleroLocationBackupsPrefix(bslPrefix);
  if (!key.startsWith(folder)) return undefined;
  const parts = key.slice(folder.length).split('/');
  return parts.length === 2 && parts[0] !== '' && parts[1] === VELERO_RECORD_FILE ? parts[0] : undefined;
}

/** Where a restore of a cluster's resources writes its per-item results (Velero's `restores/<restore>/`). */
export function resourceRestoreDir(prefix: string, cluster: string, restore: string): string {
  return join(normalizePrefix(prefix), BackupKinds.resources, cluster, VELERO_RESTORES, restore) + '/';
}

/** One step's per-item results of a resource restore: JSON lines (ItemResult), gzip. */
export function resourceRestoreItemsKey(
  prefix: string,
  cluster: string,
  restore: string,
  index: number,
  groupResource: string,
): string {
  return `${resourceRestoreDir(prefix, cluster, restore)}lifeboat-items-${String(index).padStart(2, '0')}-${groupResource}.jsonl.gz`;
}

/** A resource restore's record (request, plan summary, step reports, outcome): written when it ends. */
export function resourceRestoreRecordKey(prefix: string, cluster: string, restore: string): string {
  return `${resourceRestoreDir(prefix, cluster, restore)}lifeboat-restore.json`;
}

/** Prefix under which every backup of an etcd policy lives (list with it, then parse with parseBackupKey). */
export function policyPrefix(prefix: string, cluster: string, policy: string): string {
  return join(normalizePrefix(prefix), BackupKinds.etcd, cluster, policy) + '/';
}

/**
 * Prefix under which every backup of a kind lives, of one cluster or of all: what a kind-aware listing starts from.
 * A resource backup's policy is not in its key, so a policy's resource backups are found by name under this prefix.
 */
export function kindPrefix(prefix: string, kind: BackupKind, cluster?: string): string {
  if (cluster === undefined) return join(normalizePrefix(prefix), kind) + '/';
  return kind === BackupKinds.etcd
    ? join(normalizePrefix(prefix), kind, cluster) + '/'
    : join(normalizePrefix(prefix), kind, cluster, VELERO_BACKUPS) + '/';
}

/**
 * Where a Kubermatic store container, run unchanged in job mode, puts the snapshot: `$CLUSTER-$BACKUP_TO_CREATE` at
 * the root of `$BUCKET_NAME` (Kubermatic's default runs `s3cmd put ... s3://$BUCKET_NAME/$CLUSTER-$BACKUP_TO_CREATE`).
 * It knows nothing of the location's prefix. Job mode finds the object here, verifies it and moves it to snapshotKey(),
 * so nothing else ever sees this key.
 */
export function kubermaticSnapshotKey(cluster: string, backup: string): string {
  return `${cluster}-${backup}`;
}

/** Prefix for probe objects written by storage checks; outside every backup tree. */
export function probeKey(prefix: string, id: string): string {
  return join(normalizePrefix(prefix), '.lifeboat-probe', id);
}

export type ParsedBackupKey = BackupRef & { file: string };

/**
 * Inverse of the key builders: which backup a key belongs to and what file it is, or undefined for foreign keys (a
 * restore's results under `restores/` included). Both kinds have five segments below the prefix.
 */
export function parseBackupKey(prefix: string, key: string): ParsedBackupKey | undefined {
  const base = normalizePrefix(prefix);
  const rest = base === '' ? key : key.startsWith(base + '/') ? key.slice(base.length + 1) : undefined;
  if (rest === undefined) return undefined;
  const parts = rest.split('/');
  if (parts.length !== 5 || parts.some((p) => p === '')) return undefined;
  const [kind, cluster, level, backup, file] = parts as [string, string, string, string, string];
  if (!BACKUP_KINDS.includes(kind)) return undefined;
  if (kind === BackupKinds.etcd) return { prefix: base, kind, cluster, policy: level, backup, file };
  return level === VELERO_BACKUPS ? { prefix: base, kind: BackupKinds.resources, cluster, backup, file } : undefined;
}

/**
 * The policy a backup belongs to: an etcd backup's folder says it; a resource backup's name does (Velero's layout has
 * no policy level), undefined when the name is not one Lifeboat writes.
 */
export function policyOfBackup(ref: BackupRef): string | undefined {
  return ref.kind === BackupKinds.etcd ? ref.policy : parseBackupName(ref.backup)?.policy;
}

/** How an object is encoded, from its key's suffixes (`.gz`/`.zst`, then `.age`): ours and foreign snapshots alike. */
export function encodingOfKey(key: string): { compression: Compression; encrypted: boolean } {
  const encrypted = key.endsWith('.age');
  const base = encrypted ? key.slice(0, -'.age'.length) : key;
  const compression = (Object.entries(compressionSuffix) as [Compression, string][]).find(
    ([, suffix]) => suffix !== '' && base.endsWith(suffix),
  )?.[0];
  return { compression: compression ?? 'none', encrypted };
}
