import type { ConfigIssue } from '../config/issues.js';
import { BACKUP_SCHEDULE_API_VERSION } from './backup-schedule.js';
import type { AcmRestoreRequest, CleanupMode } from './restore-plan.js';

/**
 * ACM's own Restore (cluster.open-cluster-management.io/v1beta1, ../shared/research/acm-backup-notes.md section 3)
 * as the request of a Lifeboat hub restore, so `lifeboat restore acm -f restore.yaml` takes the manifest a team
 * already keeps for the cluster-backup-operator. Pure: the caller reads and parses the file. As for the
 * BackupSchedule (./backup-schedule.ts), a spec field the operator has and Lifeboat does not take is refused with the
 * reason, never silently dropped: a restore that quietly differs from the one asked for is worse than none.
 */

export const RESTORE_API_VERSION = BACKUP_SCHEDULE_API_VERSION;
export const RESTORE_KIND = 'Restore';
/** The operator refuses CleanupAll without this annotation set to "true" (notes 3.2; 5.0, PR #1699). */
export const CLEANUP_ALL_CONFIRMED_ANNOTATION = 'cluster.open-cluster-management.io/restore-cleanup-all-confirmed';
/** The operator's restoreSyncInterval when the manifest has none (notes 3.1); the caller applies it. */
export const DEFAULT_RESTORE_SYNC_INTERVAL_MS = 30 * 60_000;

/** What a Restore manifest says: the request, and the sync interval and the Restore's identity when it gives them. */
export interface AcmRestoreManifestFields {
  request: AcmRestoreRequest;
  /** restoreSyncInterval, when set; absent means the operator's default (DEFAULT_RESTORE_SYNC_INTERVAL_MS). */
  syncIntervalMs?: number;
  name?: string;
  namespace?: string;
}

export type AcmRestoreManifestResult =
  { ok: true; fields: AcmRestoreManifestFields } | { ok: false; issues: ConfigIssue[] };

/** The three backup names, each required by the operator (notes 3.1), with the request field each one fills. */
const CHOICES = [
  ['veleroCredentialsBackupName', 'credentials', 'credentials'],
  ['veleroResourcesBackupName', 'resources', 'resources (and resources-generic)'],
  ['veleroManagedClustersBackupName', 'managedClusters', 'managed-clusters'],
] as const;

const CLEANUP: Record<string, CleanupMode> = { None: 'none', CleanupRestored: 'restored', CleanupAll: 'all' };
const CLEANUP_RULE =
  'None (delete nothing), CleanupRestored (delete what an earlier restore brought that these backups no longer ' +
  'hold) or CleanupAll (also what was made on this hub)';

const FILTER_REASON =
  "Lifeboat runs the operator's own selection for each restore step (credentials, resources, generic resources, " +
  'the activation data, managed clusters) and takes no filter beside it, so an ACM restore cannot leave the hub ' +
  'half restored; remove the field';
const filterReason = (flag: string) =>
  `${FILTER_REASON} (to restore part of a hub backup, use lifeboat restore resources ${flag})`;

/** Spec fields of the operator's Restore that Lifeboat does not take, and why. */
const UNSUPPORTED: Record<string, string> = {
  restorePVs:
    'a hub backup holds API objects only, Lifeboat takes no volume snapshots for it, so there are no volumes to ' +
    'restore; remove the field',
  restoreStatus:
    "an ACM restore leaves status to the new hub's controllers; remove the field (lifeboat restore resources " +
    '--restore-status writes saved status back)',
  preserveNodePorts:
    "an ACM restore does not keep Services' node ports; remove the field (lifeboat restore resources " +
    '--preserve-node-ports keeps them)',
  includedNamespaces: filterReason('--include-namespaces'),
  excludedNamespaces: filterReason('--exclude-namespaces'),
  includedResources: filterReason('--include-resources'),
  excludedResources:
    `${filterReason('--exclude-resources')}; CRDs, RBAC and admission webhooks and policies are never restored ` +
    'by an ACM restore anyway',
  labelSelector: filterReason('--selector'),
  orLabelSelectors: filterReason('--or-selector'),
  namespaceMapping:
    "an ACM restore puts every object back in its own namespace (a managed cluster's namespace must keep the " +
    "cluster's name); remove the field (lifeboat restore resources --namespace-mapping copies a namespace)",
  hooks:
    'Lifeboat runs no restore hooks, and the operator itself no longer passes them on (5.0, PR #1697: they ran ' +
    "with the operator's rights); remove the field",
};
const MAPPED = [
  ...CHOICES.map(([field]) => field),
  'cleanupBeforeRestore',
  'syncRestoreWithNewBackups',
  'restoreSyncInterval',
];
const KNOWN = new Set<string>([...MAPPED, ...Object.keys(UNSUPPORTED)]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Nanoseconds per unit of Go's time.ParseDuration. */
const GO_UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5, micro sign
  μs: 1_000n, // U+03BC, Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const GO_GROUP = /(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/gu;
const GO_WHOLE = /^[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/u;
const GO_MAX_NS = 2n ** 63n - 1n;

/**
 * Go's time.ParseDuration, which the operator's metav1.Duration fields use (`30m`, `1h30m`, `1h30m0s`, `1.5h`,
 * `500ms`), as whole milliseconds rounded up; undefined when Go would refuse the text. Go has no `d` or `w`, so
 * core/duration.ts (which has them, and no fractions or sub-second units) does not fit.
 */
export function parseGoDurationMs(text: string): number | undefined {
  if (/^[-+]?0$/.test(text)) return 0;
  if (!GO_WHOLE.test(text)) return undefined;
  let ns = 0n;
  for (const [, whole = '', fraction = '', unit = ''] of text.matchAll(GO_GROUP)) {
    const scale = GO_UNIT_NS[unit]!;
    ns += BigInt(whole || '0') * scale;
    if (fraction) ns += (BigInt(fraction) * scale) / 10n ** BigInt(fraction.length); // Go truncates below 1ns too
    if (ns > GO_MAX_NS) return undefined; // Go: "invalid duration"
  }
  const ms = Number((ns + 999_999n) / 1_000_000n);
  return text.startsWith('-') ? -ms : ms;
}

/** A parsed Restore document as a hub-restore request; `at` prefixes every issue's path (the file, for the user). */
export function acmRestoreFields(document: unknown, at: string): AcmRestoreManifestResult {
  const issues: ConfigIssue[] = [];
  const issue = (path: string, message: string) => issues.push({ path: `${at}${path ? `: ${path}` : ''}`, message });
  if (!isRecord(document)) {
    issue('', `must be a ${RESTORE_KIND} manifest (a YAML mapping with apiVersion, kind and spec)`);
    return { ok: false, issues };
  }
  if (document['apiVersion'] !== RESTORE_API_VERSION)
    issue('apiVersion', `must be ${RESTORE_API_VERSION} (found ${JSON.stringify(document['apiVersion'])})`);
  if (document['kind'] !== RESTORE_KIND)
    issue('kind', `must be ${RESTORE_KIND} (found ${JSON.stringify(document['kind'])})`);

  const identity: Pick<AcmRestoreManifestFields, 'name' | 'namespace'> = {};
  let cleanupAllConfirmed: boolean | undefined;
  const metadata = document['metadata'];
  if (metadata !== undefined && !isRecord(metadata))
    issue('metadata', `must be a mapping (name, namespace, annotations) (found ${JSON.stringify(metadata)})`);
  if (isRecord(metadata)) {
    for (const key of ['name', 'namespace'] as const) {
      const value = metadata[key];
      if (value === undefined) continue;
      if (typeof value === 'string' && value.trim() !== '') identity[key] = value.trim();
      else issue(`metadata.${key}`, `must be a non-empty string (found ${JSON.stringify(value)})`);
    }
    const annotations = metadata['annotations'];
    if (annotations !== undefined && !isRecord(annotations))
      issue('metadata.annotations', `must be a mapping of strings (found ${JSON.stringify(annotations)})`);
    else if (isRecord(annotations) && annotations[CLEANUP_ALL_CONFIRMED_ANNOTATION] !== undefined) {
      const value = annotations[CLEANUP_ALL_CONFIRMED_ANNOTATION];
      if (value === 'true' || value === 'false') cleanupAllConfirmed = value === 'true';
      else
        issue(
          `metadata.annotations.${CLEANUP_ALL_CONFIRMED_ANNOTATION}`,
          `must be the string "true" (quoted, as every annotation) to confirm CleanupAll, or "false" ` +
            `(found ${JSON.stringify(value)})`,
        );
    }
  }

  const spec = document['spec'];
  if (!isRecord(spec)) {
    issue(
      'spec',
      `is required: a ${RESTORE_KIND} needs spec.${CHOICES.map(([field]) => field).join(', spec.')} and ` +
        'spec.cleanupBeforeRestore',
    );
    return { ok: false, issues };
  }

  for (const key of Object.keys(spec)) {
    if (key in UNSUPPORTED) issue(`spec.${key}`, `is not supported: ${UNSUPPORTED[key]}`);
    else if (!KNOWN.has(key))
      issue(
        `spec.${key}`,
        `is not a ${RESTORE_KIND} field Lifeboat knows; remove it or fix the spelling (known: ${[...KNOWN].join(', ')})`,
      );
  }

  // Each type on its own: latest, skip (both matched case-insensitively and trimmed, as the operator does) or a name.
  const choices: Partial<Record<(typeof CHOICES)[number][1], string>> = {};
  for (const [field, key, type] of CHOICES) {
    const value = spec[field];
    if (value === undefined) {
      issue(
        `spec.${field}`,
        `is required, as by the operator: latest (the newest complete ${type} backup), skip (restore none), or the ` +
          `name of a ${type} backup`,
      );
    } else if (typeof value !== 'string' || value.trim() === '') {
      issue(`spec.${field}`, `must be latest, skip or a ${type} backup name (found ${JSON.stringify(value)})`);
    } else {
      const trimmed = value.trim();
      const keyword = trimmed.toLowerCase();
      choices[key] = keyword === 'latest' || keyword === 'skip' ? keyword : trimmed;
    }
  }

  const cleanupValue = spec['cleanupBeforeRestore'];
  let cleanup: CleanupMode | undefined;
  if (cleanupValue === undefined)
    issue('spec.cleanupBeforeRestore', `is required, as by the operator: ${CLEANUP_RULE}`);
  else if (typeof cleanupValue === 'string' && Object.hasOwn(CLEANUP, cleanupValue)) cleanup = CLEANUP[cleanupValue];
  else {
    const near =
      typeof cleanupValue === 'string'
        ? Object.keys(CLEANUP).find((mode) => mode.toLowerCase() === cleanupValue.trim().toLowerCase())
        : undefined;
    issue(
      'spec.cleanupBeforeRestore',
      `must be ${CLEANUP_RULE} (found ${JSON.stringify(cleanupValue)}${near ? `; spelled ${near}` : ''})`,
    );
  }

  const syncValue = spec['syncRestoreWithNewBackups'];
  let sync: boolean | undefined;
  if (syncValue !== undefined) {
    if (typeof syncValue === 'boolean') sync = syncValue;
    else issue('spec.syncRestoreWithNewBackups', `must be true or false (found ${JSON.stringify(syncValue)})`);
  }
  if (sync) {
    // The operator's webhook refuses these (notes 3.7); its controller would ignore the flag (notes 3.5).
    for (const [field, key, type] of CHOICES.slice(0, 2)) {
      const choice = choices[key];
      if (choice !== undefined && choice !== 'latest')
        issue(
          `spec.${field}`,
          `must be latest with syncRestoreWithNewBackups: a sync restores each newer ${type} backup as it comes ` +
            `(found ${JSON.stringify(choice)}); set latest, or set syncRestoreWithNewBackups to false`,
        );
    }
    const managed = choices.managedClusters;
    if (managed !== undefined && managed !== 'skip' && managed !== 'latest')
      issue(
        'spec.veleroManagedClustersBackupName',
        `must be skip (activate later) or latest with syncRestoreWithNewBackups (found ${JSON.stringify(managed)}); ` +
          'a sync never restores a named managed-clusters backup',
      );
  }

  let syncIntervalMs: number | undefined;
  const interval = spec['restoreSyncInterval'];
  if (interval !== undefined) {
    const ms = typeof interval === 'string' ? parseGoDurationMs(interval.trim()) : undefined;
    if (ms === undefined) {
      const daysOrWeeks = typeof interval === 'string' && /\d[dw]/.test(interval);
      issue(
        'spec.restoreSyncInterval',
        'must be a Go duration such as 30m, 1h30m or 90s (units h, m, s, ms, us, ns' +
          `${daysOrWeeks ? '; Go has no d or w: write 24h for a day' : ''}) (found ${JSON.stringify(interval)})`,
      );
    } else if (ms <= 0)
      issue('spec.restoreSyncInterval', `must be longer than zero, such as 30m (found ${JSON.stringify(interval)})`);
    else syncIntervalMs = ms;
  }

  if (issues.length > 0 || cleanup === undefined) return { ok: false, issues };
  const request: AcmRestoreRequest = {
    credentials: choices.credentials!,
    resources: choices.resources!,
    managedClusters: choices.managedClusters!,
    cleanup,
    ...(cleanupAllConfirmed !== undefined ? { cleanupAllConfirmed } : {}),
    ...(sync !== undefined ? { sync } : {}),
  };
  return {
    ok: true,
    fields: { request, ...(syncIntervalMs !== undefined ? { syncIntervalMs } : {}), ...identity },
  };
}
