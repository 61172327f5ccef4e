import type { ConfigIssue } from '../config/issues.js';
import { parseDuration } from '../duration.js';

/**
 * ACM's own BackupSchedule (cluster.open-cluster-management.io/v1beta1, ../shared/research/acm-backup-notes.md
 * section 2) as the fields of a Lifeboat `acmBackups[]` policy, so a team's existing manifest keeps working: an
 * `acmBackups[].backupSchedule` entry names the file, and the config loader puts what it maps into the policy
 * (expandBackupSchedules) before lifeboat.yaml is validated as a whole. The hub cluster and the storage location are
 * not in a BackupSchedule (the operator takes them from where it runs and from OADP): they stay in lifeboat.yaml.
 */

export const BACKUP_SCHEDULE_API_VERSION = 'cluster.open-cluster-management.io/v1beta1';
export const BACKUP_SCHEDULE_KIND = 'BackupSchedule';
/** Where the operator's BackupSchedule lives unless its manifest says otherwise. */
export const DEFAULT_SCHEDULE_NAMESPACE = 'open-cluster-management-backup';

/** The policy fields a BackupSchedule provides. */
export interface BackupScheduleFields {
  schedule?: { cron: string; timezone?: string };
  ttl?: string;
  maxBackups?: number;
  paused?: boolean;
  noBackupOnStart?: boolean;
  scheduleNamespace?: string;
}

/** Spec fields Lifeboat does not take, and why; each is refused with this reason rather than silently ignored. */
const UNSUPPORTED: Record<string, string> = {
  volumeSnapshotLocations:
    'a hub backup holds API objects only, Lifeboat takes no volume snapshots for it; remove the field',
  useOwnerReferencesInBackup:
    'Lifeboat creates no Velero Schedule objects for backups to be owned by (its schedule is a Temporal Schedule ' +
    'that `lifeboat apply` owns); remove the field',
  managedServiceAccountTTL:
    'Lifeboat does not create ManagedServiceAccounts (activation uses the token Secrets of those that exist); ' +
    'remove the field',
};
const MAPPED = new Set(['veleroSchedule', 'veleroTtl', 'maxBackups', 'paused', 'noBackupOnStart', 'skipImmediately']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * robfig's ParseStandard (the operator's parser) takes an optional `CRON_TZ=<zone>` or `TZ=<zone>` before the five
 * fields; Lifeboat's schedule keeps the zone apart.
 */
function cronOf(text: string): { cron: string; timezone?: string } {
  const match = /^\s*(?:CRON_TZ|TZ)=(\S+)\s+(.*)$/.exec(text);
  return match ? { cron: match[2]!.trim(), timezone: match[1]! } : { cron: text.trim() };
}

export type BackupScheduleResult = { ok: true; fields: BackupScheduleFields } | { ok: false; issues: ConfigIssue[] };

/** A parsed BackupSchedule document as policy fields; `at` prefixes every issue's path (the file, for the user). */
export function backupScheduleFields(document: unknown, at: string): BackupScheduleResult {
  const issues: ConfigIssue[] = [];
  const issue = (path: string, message: string) => issues.push({ path: `${at}${path ? `: ${path}` : ''}`, message });
  if (!isRecord(document)) {
    issue('', `must be a ${BACKUP_SCHEDULE_KIND} manifest (a YAML mapping with apiVersion, kind and spec)`);
    return { ok: false, issues };
  }
  if (document['apiVersion'] !== BACKUP_SCHEDULE_API_VERSION)
    issue('apiVersion', `must be ${BACKUP_SCHEDULE_API_VERSION} (found ${JSON.stringify(document['apiVersion'])})`);
  if (document['kind'] !== BACKUP_SCHEDULE_KIND)
    issue('kind', `must be ${BACKUP_SCHEDULE_KIND} (found ${JSON.stringify(document['kind'])})`);
  const spec = document['spec'];
  if (!isRecord(spec)) {
    issue('spec', 'is required: a BackupSchedule needs at least spec.veleroSchedule');
    return { ok: false, issues };
  }
  const fields: BackupScheduleFields = {};
  const metadata = isRecord(document['metadata']) ? document['metadata'] : {};
  if (typeof metadata['namespace'] === 'string') fields.scheduleNamespace = metadata['namespace'];

  for (const [key, value] of Object.entries(spec)) {
    if (key in UNSUPPORTED) issue(`spec.${key}`, `is not supported: ${UNSUPPORTED[key]}`);
    else if (key === 'useManagedServiceAccount') {
      if (value === true)
        issue(
          'spec.useManagedServiceAccount',
          'true is not supported: Lifeboat does not create ManagedServiceAccounts; where their token Secrets ' +
            'exist, activation uses them. Set it to false or remove it',
        );
    } else if (!MAPPED.has(key))
      issue(
        `spec.${key}`,
        `is not a BackupSchedule field Lifeboat knows; remove it or fix the spelling (known: ${[...MAPPED, 'useManagedServiceAccount', ...Object.keys(UNSUPPORTED)].join(', ')})`,
      );
  }

  const cron = spec['veleroSchedule'];
  if (typeof cron !== 'string' || cron.trim() === '')
    issue('spec.veleroSchedule', 'is required: a cron expression such as "0 */6 * * *"');
  else fields.schedule = cronOf(cron);

  const ttl = spec['veleroTtl'];
  if (ttl !== undefined) {
    // Go's time.Duration text (72h0m0s) reads as a Lifeboat duration when it has no fractions or sub-seconds.
    if (typeof ttl === 'string' && parseDuration(ttl) !== undefined) fields.ttl = ttl;
    else
      issue(
        'spec.veleroTtl',
        `must be a duration in hours, minutes and seconds such as 720h or 72h0m0s (found ${JSON.stringify(ttl)})`,
      );
  }
  const maxBackups = spec['maxBackups'];
  if (maxBackups !== undefined) {
    if (typeof maxBackups === 'number' && Number.isInteger(maxBackups) && maxBackups >= 1)
      fields.maxBackups = maxBackups;
    else issue('spec.maxBackups', `must be a whole number of at least 1 (found ${JSON.stringify(maxBackups)})`);
  }
  for (const key of ['paused', 'noBackupOnStart', 'skipImmediately'] as const) {
    const value = spec[key];
    if (value === undefined) continue;
    if (typeof value !== 'boolean') {
      issue(`spec.${key}`, `must be true or false (found ${JSON.stringify(value)})`);
      continue;
    }
    // skipImmediately skips the first backups as noBackupOnStart does; Temporal has no other "immediately".
    if (key === 'paused') fields.paused = value;
    else if (value) fields.noBackupOnStart = true;
    else fields.noBackupOnStart ??= false;
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, fields };
}

/** What the loader reads a referenced file as: its parsed YAML, or why it could not. */
export type ReadReference = (path: string) => { ok: true; document: unknown } | { ok: false; error: string };

/**
 * A raw lifeboat.yaml document with every `acmBackups[i].backupSchedule` file's fields merged into its policy. A field
 * set both in lifeboat.yaml and in the BackupSchedule is an error (which one wins would be a guess). The reference
 * itself stays, so the policy records where its schedule came from.
 */
export function expandBackupSchedules(
  document: unknown,
  read: ReadReference,
): { document: unknown; issues: ConfigIssue[] } {
  if (!isRecord(document) || !Array.isArray(document['acmBackups'])) return { document, issues: [] };
  const issues: ConfigIssue[] = [];
  const policies = (document['acmBackups'] as unknown[]).map((policy, i) => {
    if (!isRecord(policy) || typeof policy['backupSchedule'] !== 'string') return policy;
    const at = `acmBackups[${i}].backupSchedule`;
    const file = policy['backupSchedule'];
    const loaded = read(file);
    if (!loaded.ok) {
      issues.push({
        path: at,
        message: `cannot read ${file}: ${loaded.error}; fix the path (relative to lifeboat.yaml)`,
      });
      return policy;
    }
    const mapped = backupScheduleFields(loaded.document, `${at} (${file})`);
    if (!mapped.ok) {
      issues.push(...mapped.issues);
      return policy;
    }
    const merged: Record<string, unknown> = { ...policy };
    for (const [key, value] of Object.entries(mapped.fields)) {
      if (policy[key] !== undefined) {
        issues.push({
          path: `acmBackups[${i}].${key}`,
          message: `is set here and by the BackupSchedule in ${file}; keep one of the two`,
        });
        continue;
      }
      merged[key] = value;
    }
    return merged;
  });
  return { document: { ...document, acmBackups: policies }, issues };
}
