import type { AcmBackupTag } from './acm/hub-backup.js';
import type { ArchiveIndexEntry } from './velero/archive-index.js';
import { BackupKinds, type Compression } from './layout.js';
import type { EtcdBackupManifest, ResourceBackupManifest } from './manifest.js';

/**
 * Builds each kind's manifest from what its backup did. Apart from core/manifest.ts (the schemas) because workflows
 * call these: a workflow sandbox that imported the schemas would carry zod in every worker's workflow bundle.
 */
/** The manifest format this Lifeboat writes. */
export const MANIFEST_FORMAT_VERSION = 1;
/** The algorithm of `object.storeChecksum`: what every part carries and the store reports (activities/store-checksum.ts). */
export const STORE_CHECKSUM_ALGORITHM = 'CRC32';
/** How many problems the manifest itself lists; every one is in the backup's results file (`<backup>-results.gz`). */
export const MANIFEST_PROBLEMS_LIMIT = 100;

/** What an etcd backup's snapshot step reports: the facts its manifest records (activities' SnapshotResult). */
export interface EtcdSnapshotFacts {
  key: string;
  compression: Compression;
  /** age recipients the object is encrypted to; empty when stored in the clear. */
  recipients: string[];
  stored: { bytes: number; sha256: string };
  snapshot: { bytes: number; sha256: string };
  member: { name: string; endpoint: string; version: string; revision: string; dbSizeBytes: number };
  storeChecksum?: string;
}

/** What every kind's manifest records about the backup itself, after formatVersion and kind. */
interface BackupIdentityInput {
  cluster: string;
  policy: string;
  backup: string;
  nominalTime: Date;
  oneOff: boolean;
  /** ISO-8601, from the workflow's clock: this module has none. */
  startedAt: string;
  completedAt: string;
}

export interface EtcdManifestInput extends BackupIdentityInput {
  snapshot: EtcdSnapshotFacts;
  createdBy: { workflowId: string; runId: string };
}

function identityOf(input: BackupIdentityInput) {
  return {
    cluster: input.cluster,
    policy: input.policy,
    backup: input.backup,
    nominalTime: input.nominalTime.toISOString(),
    startedAt: input.startedAt,
    completedAt: input.completedAt,
    oneOff: input.oneOff,
  };
}

/** The manifest of an etcd backup, mapped from what the backup did; the key order is the one stored. */
export function etcdManifest(input: EtcdManifestInput): EtcdBackupManifest {
  const { snapshot } = input;
  return {
    formatVersion: MANIFEST_FORMAT_VERSION,
    kind: BackupKinds.etcd,
    ...identityOf(input),
    etcd: {
      revision: snapshot.member.revision,
      member: snapshot.member.name,
      endpoint: snapshot.member.endpoint,
      version: snapshot.member.version,
      dbSizeBytes: snapshot.member.dbSizeBytes,
    },
    object: {
      key: snapshot.key,
      bytes: snapshot.stored.bytes,
      sha256: snapshot.stored.sha256,
      compression: snapshot.compression,
      encryption: snapshot.recipients.length > 0 ? { format: 'age', recipients: snapshot.recipients } : null,
      ...(snapshot.storeChecksum
        ? { storeChecksum: { algorithm: STORE_CHECKSUM_ALGORITHM, value: snapshot.storeChecksum } }
        : {}),
    },
    snapshot: { bytes: snapshot.snapshot.bytes, sha256: snapshot.snapshot.sha256 },
    createdBy: { workflowId: input.createdBy.workflowId, runId: input.createdBy.runId },
  };
}

/** What a resource backup's archive step reports (activities/resource-backup.ts): the facts its manifest records. */
export interface ResourceArchiveFacts {
  location: string;
  key: string;
  recipients: string[];
  stored: { bytes: number; sha256: string };
  storeChecksum?: string;
  /** Where each resource begins in the stored archive (core/velero/archive-index.ts); absent when encrypted. */
  index?: ArchiveIndexEntry[];
  kubernetes: ResourceBackupManifest['kubernetes'];
  filters: ResourceBackupManifest['filters'];
  counts: ResourceBackupManifest['counts'];
  problems: ResourceBackupManifest['problems'];
  /** Keys of the resource list and the results, already written. */
  resourceList: string;
  results: string;
  /** Where the Velero record goes (written after the archive, before the manifest); null when encrypted. */
  veleroRecord: string | null;
}

export interface ResourceManifestInput extends BackupIdentityInput {
  archive: ResourceArchiveFacts;
  createdBy: { workflowId: string; runId: string };
  /** Set for the typed backups of an ACM hub backup set. */
  acm?: AcmBackupTag;
}

/** Completed unless something was reported; errors outrank warnings. */
export function resourceOutcome(counts: { warnings: number; errors: number }): ResourceBackupManifest['outcome'] {
  if (counts.errors > 0) return 'CompletedWithErrors';
  return counts.warnings > 0 ? 'CompletedWithWarnings' : 'Completed';
}

/** The manifest of a resource backup, mapped from what the archive step did. */
export function resourceManifest(input: ResourceManifestInput): ResourceBackupManifest {
  const { archive } = input;
  return {
    formatVersion: MANIFEST_FORMAT_VERSION,
    kind: BackupKinds.resources,
    ...identityOf(input),
    outcome: resourceOutcome(archive.counts),
    kubernetes: archive.kubernetes,
    filters: archive.filters,
    counts: archive.counts,
    problems: archive.problems.slice(0, MANIFEST_PROBLEMS_LIMIT),
    object: {
      key: archive.key,
      bytes: archive.stored.bytes,
      sha256: archive.stored.sha256,
      encryption: archive.recipients.length > 0 ? { format: 'age', recipients: archive.recipients } : null,
      ...(archive.storeChecksum
        ? { storeChecksum: { algorithm: STORE_CHECKSUM_ALGORITHM, value: archive.storeChecksum } }
        : {}),
      ...(archive.index ? { index: archive.index } : {}),
    },
    files: { resourceList: archive.resourceList, results: archive.results, veleroRecord: archive.veleroRecord },
    createdBy: { workflowId: input.createdBy.workflowId, runId: input.createdBy.runId },
    ...(input.acm ? { acm: { ...input.acm } } : {}),
  };
}
