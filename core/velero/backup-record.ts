import { BACKUP_CLUSTER_LABEL, OPERATOR_TYPE_VALUES, SCHEDULE_TYPE_LABEL } from '../acm/backup-selection.js';
import { z } from 'zod';
import {
  BACKUP_ANNOTATION,
  CLUSTER_ANNOTATION,
  LIFEBOAT,
  POLICY_ANNOTATION,
  WRITTEN_BY_ANNOTATION,
} from '../kube-metadata.js';
import { selectorRequirements, type LabelSelectorObject } from '../config/filters.js';
import type { ResourceBackupManifest } from '../manifest.js';
import { BACKUP_FORMAT_VERSION } from './archive-paths.js';
import { goJson } from './go-json.js';

/**
 * `velero-backup.json`: the Backup object (velero.io/v1) Velero's sync imports from the bucket, so a stock Velero
 * lists, describes and restores a Lifeboat backup. Field names and types follow Velero's backup_types.go and its CRD;
 * what the sync and the controllers do with each field is in the research notes (section 2.3).
 */

/** Velero's own keys on a Backup: part of its format, so they live here, not in kube-metadata.ts. */
export const VELERO_STORAGE_LOCATION_LABEL = 'velero.io/storage-location';
export const VELERO_GIT_VERSION_ANNOTATION = 'velero.io/source-cluster-k8s-gitversion';
export const VELERO_MAJOR_VERSION_ANNOTATION = 'velero.io/source-cluster-k8s-major-version';
export const VELERO_MINOR_VERSION_ANNOTATION = 'velero.io/source-cluster-k8s-minor-version';

/** BackupStatus.version: Velero's only value. */
const BACKUP_STATUS_VERSION = 1;

export type VeleroBackupPhase = 'Completed' | 'PartiallyFailed';

export interface VeleroBackupRecord {
  apiVersion: 'velero.io/v1';
  kind: 'Backup';
  metadata: { name: string; labels: Record<string, string>; annotations: Record<string, string> };
  spec: {
    includedNamespaces?: string[];
    excludedNamespaces?: string[];
    includedResources?: string[];
    excludedResources?: string[];
    includeClusterResources?: boolean;
    labelSelector?: LabelSelectorObject;
    orLabelSelectors?: LabelSelectorObject[];
    snapshotVolumes: false;
    storageLocation: string;
    ttl?: string;
  };
  status: {
    version: number;
    formatVersion: string;
    phase: VeleroBackupPhase;
    startTimestamp: string;
    completionTimestamp: string;
    progress: { totalItems?: number; itemsBackedUp?: number };
    warnings?: number;
    errors?: number;
  };
}

export interface VeleroRecordOptions {
  /**
   * The Lifeboat storage location's name, for `spec.storageLocation` and the storage-location label. Velero's sync
   * replaces both with the name of the BackupStorageLocation that found the backup, so this is what a reader of the
   * bare file sees.
   */
  storageLocation: string;
  /** The policy's ttl in milliseconds, shown by `velero backup describe` as TTL. Never an expiration (see below). */
  ttlMs?: number;
}

/** Go's time.Duration.String() for whole milliseconds: `720h0m0s`, `1m30s`, `45s`, `500ms`, `0s`. */
export function goDuration(ms: number): string {
  const whole = Math.max(0, Math.round(ms));
  if (whole === 0) return '0s';
  if (whole < 1000) return `${whole}ms`;
  const totalSeconds = Math.floor(whole / 1000);
  const fraction = whole % 1000;
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  const secondsText =
    fraction > 0 ? `${seconds}.${String(fraction).padStart(3, '0').replace(/0+$/, '')}` : `${seconds}`;
  if (hours > 0) return `${hours}h${minutes}m${secondsText}s`;
  if (minutes > 0) return `${minutes}m${secondsText}s`;
  return `${secondsText}s`;
}

/** A metav1.Time as Kubernetes writes it: RFC 3339 in whole seconds, UTC. */
function kubeTime(iso: string): string {
  return new Date(Date.parse(iso)).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * A wire-syntax selector (the manifest keeps the policy's selectors so) as the LabelSelector object Velero's spec
 * holds: single-value equalities as matchLabels, everything else as matchExpressions. Same meaning, so `describe`
 * shows what was selected; the backup is over, nothing evaluates it again.
 */
export function selectorObject(selector: string): LabelSelectorObject {
  const matchLabels: Record<string, string> = {};
  const matchExpressions: NonNullable<LabelSelectorObject['matchExpressions']> = [];
  for (const r of selectorRequirements(selector)) {
    if (r.operator === 'In' && r.values.length === 1 && !Object.hasOwn(matchLabels, r.key)) {
      matchLabels[r.key] = r.values[0]!;
    } else {
      matchExpressions.push({ key: r.key, operator: r.operator, ...(r.values.length > 0 ? { values: r.values } : {}) });
    }
  }
  return {
    ...(Object.keys(matchLabels).length > 0 ? { matchLabels } : {}),
    ...(matchExpressions.length > 0 ? { matchExpressions } : {}),
  };
}

const nonEmpty = <K extends string>(key: K, items: string[]): Partial<Record<K, string[]>> =>
  items.length > 0 ? ({ [key]: items } as Record<K, string[]>) : {};

/**
 * The Backup record of a finished, unencrypted Lifeboat backup. Its rules, each against a way stock Velero would
 * mishandle it:
 * - phase Completed, or PartiallyFailed when there were errors (never empty or New: Velero would run it again);
 * - no `status.expiration`: Velero's GC deletes every object of an expired backup (unless its location is ReadOnly);
 *   Lifeboat's retention owns the backup's life;
 * - no ownerReferences: an owner Velero's cluster does not have would get the imported object garbage-collected;
 * - version 1 and formatVersion 1.1.0, as Velero writes, so a restore with EnableAPIGroupVersions reads the
 *   preferred-version copies.
 * Throws for an encrypted backup: stock Velero would list it, then fail to read its tarball.
 */
export function veleroBackupRecord(manifest: ResourceBackupManifest, options: VeleroRecordOptions): VeleroBackupRecord {
  if (manifest.object.encryption !== null) {
    throw new Error(`backup ${manifest.backup} is encrypted: stock Velero cannot read it, so it gets no Velero record`);
  }
  const { filters, counts } = manifest;
  const selectors = filters.labelSelectors.map(selectorObject);
  return {
    apiVersion: 'velero.io/v1',
    kind: 'Backup',
    metadata: {
      name: manifest.backup,
      labels: {
        [VELERO_STORAGE_LOCATION_LABEL]: options.storageLocation,
        // As the operator's backups are labelled, so its tooling (and a person with `velero backup get -l`) finds them.
        ...(manifest.acm
          ? {
              [SCHEDULE_TYPE_LABEL]: OPERATOR_TYPE_VALUES[manifest.acm.type],
              [BACKUP_CLUSTER_LABEL]: manifest.acm.hub,
            }
          : {}),
      },
      annotations: {
        [VELERO_GIT_VERSION_ANNOTATION]: manifest.kubernetes.gitVersion,
        [VELERO_MAJOR_VERSION_ANNOTATION]: manifest.kubernetes.major,
        [VELERO_MINOR_VERSION_ANNOTATION]: manifest.kubernetes.minor,
        [WRITTEN_BY_ANNOTATION]: LIFEBOAT,
        [CLUSTER_ANNOTATION]: manifest.cluster,
        [POLICY_ANNOTATION]: manifest.policy,
        [BACKUP_ANNOTATION]: manifest.backup,
      },
    },
    spec: {
      ...nonEmpty('includedNamespaces', filters.includedNamespaces),
      ...nonEmpty('excludedNamespaces', filters.excludedNamespaces),
      ...nonEmpty('includedResources', filters.includedResources),
      ...nonEmpty('excludedResources', filters.excludedResources),
      ...(filters.includeClusterResources !== null ? { includeClusterResources: filters.includeClusterResources } : {}),
      ...(selectors.length === 1 ? { labelSelector: selectors[0]! } : {}),
      ...(selectors.length > 1 ? { orLabelSelectors: selectors } : {}),
      snapshotVolumes: false,
      storageLocation: options.storageLocation,
      ...(options.ttlMs !== undefined ? { ttl: goDuration(options.ttlMs) } : {}),
    },
    status: {
      version: BACKUP_STATUS_VERSION,
      formatVersion: BACKUP_FORMAT_VERSION,
      phase: counts.errors > 0 ? 'PartiallyFailed' : 'Completed',
      startTimestamp: kubeTime(manifest.startedAt),
      completionTimestamp: kubeTime(manifest.completedAt),
      // Lifeboat counts what it wrote; an item it could not read is an error in the results, not a planned item.
      progress: counts.items > 0 ? { totalItems: counts.items, itemsBackedUp: counts.items } : {},
      // Velero's omitempty: zero counts are left out.
      ...(counts.warnings > 0 ? { warnings: counts.warnings } : {}),
      ...(counts.errors > 0 ? { errors: counts.errors } : {}),
    },
  };
}

/** Pretty JSON and a newline, as Velero's serializer writes the file (Go's HTML-safe escapes included). */
export function serializeVeleroRecord(record: object): string {
  return `${goJson(record, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------------------------------
// Reading

/** What `lifeboat backups list --velero` shows of a velero-backup.json, stock Velero's or Lifeboat's. */
export interface VeleroBackupSummary {
  name: string;
  phase: string;
  startTimestamp?: string;
  completionTimestamp?: string;
  expiration?: string;
  itemsBackedUp?: number;
  totalItems?: number;
  warnings: number;
  errors: number;
  includedNamespaces: string[];
  excludedNamespaces: string[];
  storageLocation?: string;
  formatVersion?: string;
  writtenByLifeboat: boolean;
}

// Lenient where Go is: every field but the type and the name may be missing or null (Go writes null for a nil slice
// in some versions); unknown fields are ignored, as Velero's decoder ignores them.
const strings = z.array(z.string()).nullish();
const count = z.number().int().nonnegative().nullish();
const text = z.string().nullish();
const recordSchema = z.object({
  apiVersion: z.literal('velero.io/v1', { message: 'must be velero.io/v1' }),
  kind: z.literal('Backup', { message: 'must be Backup' }),
  metadata: z.object({
    name: z.string().min(1, 'must name the backup'),
    annotations: z.record(z.string(), z.string()).nullish(),
  }),
  spec: z.object({ includedNamespaces: strings, excludedNamespaces: strings, storageLocation: text }).nullish(),
  status: z
    .object({
      phase: text,
      formatVersion: text,
      startTimestamp: text,
      completionTimestamp: text,
      expiration: text,
      progress: z.object({ totalItems: count, itemsBackedUp: count }).nullish(),
      warnings: count,
      errors: count,
    })
    .nullish(),
});

const defined = <K extends string, V>(key: K, value: V | null | undefined): Partial<Record<K, V>> =>
  value === null || value === undefined ? {} : ({ [key]: value } as Record<K, V>);

/** Reads a velero-backup.json; the error names the field that is wrong. */
export function parseVeleroRecord(
  text: string,
): { ok: true; backup: VeleroBackupSummary } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `velero-backup.json is not JSON: ${(e as Error).message}` };
  }
  const parsed = recordSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    return { ok: false, error: `velero-backup.json is not a Velero Backup: ${where} ${issue.message}` };
  }
  const { metadata, spec, status } = parsed.data;
  return {
    ok: true,
    backup: {
      name: metadata.name,
      // Velero shows an empty phase as New (its printer does the same).
      phase: status?.phase || 'New',
      ...defined('startTimestamp', status?.startTimestamp),
      ...defined('completionTimestamp', status?.completionTimestamp),
      ...defined('expiration', status?.expiration),
      ...defined('itemsBackedUp', status?.progress?.itemsBackedUp),
      ...defined('totalItems', status?.progress?.totalItems),
      warnings: status?.warnings ?? 0,
      errors: status?.errors ?? 0,
      includedNamespaces: spec?.includedNamespaces ?? [],
      excludedNamespaces: spec?.excludedNamespaces ?? [],
      ...defined('storageLocation', spec?.storageLocation || undefined),
      ...defined('formatVersion', status?.formatVersion || undefined),
      writtenByLifeboat: metadata.annotations?.[WRITTEN_BY_ANNOTATION] === LIFEBOAT,
    },
  };
}
