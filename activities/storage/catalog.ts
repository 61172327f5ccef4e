import { GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { ACM_BACKUP_TYPES } from '../../core/acm/backup-selection.js';
import { acmRetentionRules } from '../../core/acm/hub-backup.js';
import type { AcmBackupPolicy, StorageLocation } from '../../core/config/schema.js';
import { rulesFromPolicy, type RetentionPolicyInput, type RetentionRules } from '../../core/retention.js';
import {
  BackupKinds,
  isManifestKey,
  kindPrefix,
  parseBackupKey,
  policyOfBackup,
  policyPrefix,
  veleroBackupKey,
  type BackupKind,
} from '../../core/layout.js';
import { parseManifestOfKind, type ManifestOfKind } from '../../core/manifest.js';
import { acmTypedPolicy, parseBackupName } from '../../core/naming.js';

/**
 * What storage says exists. Object storage is the source of truth: a backup is complete when its manifest exists,
 * so any hub that can read the bucket sees the same catalog.
 */
export interface CatalogEntry {
  kind: BackupKind;
  cluster: string;
  policy: string;
  backup: string;
  /** Nominal time, from the backup name. */
  time: Date;
  keys: string[];
  manifestKey: string | undefined;
  bytes: number;
}

export interface OpenUpload {
  key: string;
  uploadId: string;
  initiated: Date;
}

async function* listKeys(s3: S3Client, bucket: string, prefix: string) {
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) yield { key: object.Key!, size: object.Size ?? 0 };
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

/**
 * Every backup of a kind under a location, optionally narrowed to one cluster or one policy; newest first. An etcd
 * policy has its own folder to list; a resource backup's policy is read from its name, under the cluster's folder.
 */
export async function listBackups(
  s3: S3Client,
  location: StorageLocation,
  kind: BackupKind,
  filter: { cluster?: string; policy?: string } = {},
): Promise<CatalogEntry[]> {
  const prefix =
    kind === BackupKinds.etcd && filter.cluster && filter.policy
      ? policyPrefix(location.prefix, filter.cluster, filter.policy)
      : kindPrefix(location.prefix, kind, filter.cluster || undefined);
  const entries = new Map<string, CatalogEntry>();
  for await (const object of listKeys(s3, location.bucket, prefix)) {
    const ref = parseBackupKey(location.prefix, object.key);
    if (!ref || ref.kind !== kind) continue;
    const policy = policyOfBackup(ref);
    if (policy === undefined || (filter.policy && policy !== filter.policy)) continue;
    const time = parseBackupName(ref.backup)?.time;
    if (!time) continue; // not a name Lifeboat writes
    const id = `${ref.cluster}/${policy}/${ref.backup}`;
    const entry = entries.get(id) ?? {
      kind,
      cluster: ref.cluster,
      policy,
      backup: ref.backup,
      time,
      keys: [],
      manifestKey: undefined,
      bytes: 0,
    };
    entry.keys.push(object.key);
    entry.bytes += object.size;
    if (isManifestKey(object.key)) entry.manifestKey = object.key;
    entries.set(id, entry);
  }
  return [...entries.values()].sort((a, b) => b.time.getTime() - a.time.getTime() || a.backup.localeCompare(b.backup));
}

/** Reads the manifest of a backup of a known kind; one that does not parse as that kind's fails loudly. */
export async function readManifest<K extends BackupKind>(
  s3: S3Client,
  location: StorageLocation,
  key: string,
  kind: K,
): Promise<ManifestOfKind<K>> {
  const response = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: key }));
  const parsed = parseManifestOfKind(await response.Body!.transformToString('utf8'), kind);
  if (!parsed.ok) throw new Error(`manifest ${key} in "${location.name}" is unreadable: ${parsed.error}`);
  return parsed.manifest;
}

/** Multipart uploads still open under a prefix: candidates for cleanup once older than the grace period. */
export async function listOpenUploads(s3: S3Client, location: StorageLocation, prefix: string): Promise<OpenUpload[]> {
  const uploads: OpenUpload[] = [];
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  do {
    const page = await s3.send(
      new ListMultipartUploadsCommand({
        Bucket: location.bucket,
        Prefix: prefix,
        KeyMarker: keyMarker,
        UploadIdMarker: uploadIdMarker,
      }),
    );
    for (const upload of page.Uploads ?? []) {
      uploads.push({ key: upload.Key!, uploadId: upload.UploadId!, initiated: upload.Initiated ?? new Date(0) });
    }
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
  } while (keyMarker);
  return uploads;
}

export interface PolicyInventory {
  backups: (CatalogEntry & { complete: boolean; oneOff: boolean })[];
  uploads: OpenUpload[];
  rules: RetentionRules;
}

const MANIFEST_READ_CONCURRENCY = 8;

/** What retention reads of a policy of any kind: whose backups, and its rules. */
export type InventoryPolicy = RetentionPolicyInput & { cluster: string; name: string };

/**
 * Everything retention decides on for one policy: its backups (a manifest's one-off flag included), its open multipart
 * uploads, and its rules. Shared by the retention workflow's activity and `lifeboat retention plan`.
 */
export async function policyInventory(
  s3: S3Client,
  location: StorageLocation,
  kind: BackupKind,
  policy: InventoryPolicy,
  onProgress: (listed: number) => void = () => undefined,
): Promise<PolicyInventory> {
  const entries = (await listBackups(s3, location, kind, { cluster: policy.cluster, policy: policy.name })).filter(
    (entry) => !writtenByVelero(location, entry),
  );
  const backups: PolicyInventory['backups'] = [];
  for (let i = 0; i < entries.length; i += MANIFEST_READ_CONCURRENCY) {
    const batch = entries.slice(i, i + MANIFEST_READ_CONCURRENCY);
    backups.push(
      ...(await Promise.all(
        batch.map(async (entry) => ({
          ...entry,
          complete: entry.manifestKey !== undefined,
          oneOff: entry.manifestKey ? (await readManifest(s3, location, entry.manifestKey, kind)).oneOff : false,
        })),
      )),
    );
    onProgress(backups.length);
  }
  const uploads = await listPolicyUploads(s3, location, kind, policy);
  return { backups, uploads, rules: rulesFromPolicy(policy) };
}

/**
 * The inventory of an ACM hub backup policy: the typed backups of every type, under the policy's rules; retention
 * decides on them by set (core/acm/hub-backup.ts setEntries).
 */
export async function acmPolicyInventory(
  s3: S3Client,
  location: StorageLocation,
  policy: AcmBackupPolicy,
  onProgress: (listed: number) => void = () => undefined,
): Promise<PolicyInventory> {
  const rules = acmRetentionRules(policy);
  const parts: PolicyInventory[] = [];
  for (const type of ACM_BACKUP_TYPES) {
    const typed = { ...rules, cluster: policy.cluster, name: acmTypedPolicy(policy.name, type) };
    parts.push(await policyInventory(s3, location, BackupKinds.resources, typed, onProgress));
  }
  return {
    backups: parts.flatMap((p) => p.backups),
    uploads: parts.flatMap((p) => p.uploads),
    rules: rulesFromPolicy(rules),
  };
}

/**
 * A resource backup folder with Velero's record and no manifest: a stock Velero's backup (its schedules name backups
 * `<schedule>-<yyyymmddhhmmss>`, as Lifeboat does), not an unfinished one of Lifeboat's, which writes the record only
 * in its commit, just before the manifest. Retention never deletes what it did not write.
 */
function writtenByVelero(location: StorageLocation, entry: CatalogEntry): boolean {
  if (entry.kind !== BackupKinds.resources || entry.manifestKey !== undefined) return false;
  const record = veleroBackupKey({
    prefix: location.prefix,
    kind: entry.kind,
    cluster: entry.cluster,
    backup: entry.backup,
  });
  return entry.keys.includes(record);
}

/** The open uploads of one policy's backups: its folder's for etcd; for resources, those whose backup name is its. */
async function listPolicyUploads(
  s3: S3Client,
  location: StorageLocation,
  kind: BackupKind,
  policy: InventoryPolicy,
): Promise<OpenUpload[]> {
  if (kind === BackupKinds.etcd) {
    return listOpenUploads(s3, location, policyPrefix(location.prefix, policy.cluster, policy.name));
  }
  const uploads = await listOpenUploads(s3, location, kindPrefix(location.prefix, kind, policy.cluster));
  return uploads.filter((upload) => {
    const ref = parseBackupKey(location.prefix, upload.key);
    return ref !== undefined && policyOfBackup(ref) === policy.name;
  });
}
