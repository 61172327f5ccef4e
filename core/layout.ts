/**
 * The storage layout: the only module that knows how keys in the bucket are formed.
 *
 *   <prefix>/etcd/<cluster>/<policy>/<backup>/snapshot.db[.zst|.gz][.age]
 *   <prefix>/etcd/<cluster>/<policy>/<backup>/manifest.json        written last: the commit marker
 *   <prefix>/resources/<cluster>/<policy>/<backup>/resources.tar.gz[.age]
 *   <prefix>/resources/<cluster>/<policy>/<backup>/resource-list.json
 *   <prefix>/resources/<cluster>/<policy>/<backup>/manifest.json
 *
 * and one foreign key: where a Kubermatic store container uploads a snapshot (kubermaticSnapshotKey), from which job
 * mode moves it to snapshotKey().
 */

export type BackupKind = 'etcd' | 'resources';
export type Compression = 'none' | 'gzip' | 'zstd';

export interface BackupRef {
  prefix: string;
  kind: BackupKind;
  cluster: string;
  policy: string;
  backup: string;
}

const compressionSuffix: Record<Compression, string> = { none: '', gzip: '.gz', zstd: '.zst' };

function join(...parts: string[]): string {
  return parts.filter((p) => p !== '').join('/');
}

function normalizePrefix(prefix: string): string {
  return prefix.replace(/^\/+|\/+$/g, '');
}

export function backupDir(ref: BackupRef): string {
  return join(normalizePrefix(ref.prefix), ref.kind, ref.cluster, ref.policy, ref.backup) + '/';
}

export function manifestKey(ref: BackupRef): string {
  return backupDir(ref) + 'manifest.json';
}

export function snapshotKey(ref: BackupRef, compression: Compression, encrypted: boolean): string {
  return backupDir(ref) + 'snapshot.db' + compressionSuffix[compression] + (encrypted ? '.age' : '');
}

export function resourcesArchiveKey(ref: BackupRef, encrypted: boolean): string {
  return backupDir(ref) + 'resources.tar.gz' + (encrypted ? '.age' : '');
}

export function resourceListKey(ref: BackupRef): string {
  return backupDir(ref) + 'resource-list.json';
}

/** Prefix under which every backup of a policy lives (list with it, then parse with parseBackupKey). */
export function policyPrefix(prefix: string, kind: BackupKind, cluster: string, policy: string): string {
  return join(normalizePrefix(prefix), kind, cluster, policy) + '/';
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

/** Inverse of the key builders: which backup a key belongs to and what file it is, or undefined for foreign keys. */
export function parseBackupKey(prefix: string, key: string): (BackupRef & { file: string }) | undefined {
  const base = normalizePrefix(prefix);
  const rest = base === '' ? key : key.startsWith(base + '/') ? key.slice(base.length + 1) : undefined;
  if (rest === undefined) return undefined;
  const parts = rest.split('/');
  if (parts.length !== 5) return undefined;
  const [kind, cluster, policy, backup, file] = parts as [string, string, string, string, string];
  if ((kind !== 'etcd' && kind !== 'resources') || !cluster || !policy || !backup || !file) return undefined;
  return { prefix: base, kind, cluster, policy, backup, file };
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
