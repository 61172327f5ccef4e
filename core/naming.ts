/**
 * Every name Lifeboat derives: backup names, workflow ids, schedule ids, the task queue.
 * Names come from inputs (policy, nominal time), never from the clock, so retries and replays find their own work.
 */

export const TASK_QUEUE = 'lifeboat';

/** DNS-1123 label: what Kubernetes accepts for names, and safe in S3 keys and workflow ids. */
const NAME_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const NAME_RULE =
  'lowercase letters, digits and "-", starting and ending with a letter or digit, at most 63 characters';

export function isValidName(name: string): boolean {
  return name.length <= 63 && NAME_PATTERN.test(name);
}

/** UTC yyyymmddhhmmss of an instant. */
export function compactUtc(time: Date): string {
  return time.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** `<policy>-<UTC yyyymmddhhmmss>` of the nominal (scheduled) time. */
export function backupName(policy: string, nominalTime: Date): string {
  return `${policy}-${compactUtc(nominalTime)}`;
}

/** The time encoded in a backup name, or undefined when the name is not one of ours. */
export function parseBackupName(name: string): { policy: string; time: Date } | undefined {
  const match = /^(.+)-(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(name);
  if (!match) return undefined;
  const [, policy, y, mo, d, h, mi, s] = match as unknown as [string, string, ...string[]];
  const time = new Date(Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s!));
  return Number.isNaN(time.getTime()) || compactUtc(time) !== `${y}${mo}${d}${h}${mi}${s}`
    ? undefined
    : { policy, time };
}

/**
 * The policy part of an ACM hub backup's typed backup names: `<policy>-<type>`, so a backup's name says its type and
 * its time says its set (`hub-credentials-20261203020000`), as the operator's `acm-credentials-schedule-<time>` do.
 */
export function acmTypedPolicy(policy: string, type: string): string {
  return `${policy}-${type}`;
}

export const workflowIds = {
  etcdBackup: (cluster: string, policy: string, backup: string) => `etcd-backup/${cluster}/${policy}/${backup}`,
  resourceBackup: (cluster: string, policy: string, backup: string) => `resource-backup/${cluster}/${policy}/${backup}`,
  /** One hub backup set: its typed backups are resourceBackup children under their own names. */
  acmBackup: (cluster: string, policy: string, set: string) => `acm-backup/${cluster}/${policy}/${set}`,
  etcdRestore: (cluster: string) => `etcd-restore/${cluster}`,
  /** One resource restore per target cluster at a time. */
  resourceRestore: (target: string) => `resource-restore/${target}`,
  /** One ACM hub restore per hub; its steps are resource restores under resourceRestore's id, one at a time. */
  acmRestore: (hub: string) => `acm-restore/${hub}`,
  /** A dry run writes nothing, so it takes no lock: its own id per request. */
  resourceRestoreDryRun: (target: string, restore: string) => `resource-restore-dry-run/${target}/${restore}`,
  retention: (cluster: string, policy: string) => `retention/${cluster}/${policy}`,
  storageCheck: (location: string) => `storage-check/${location}`,
};

/** What every schedule id of a kind of backup starts with; `apply` only touches schedules under these. */
export const ScheduleIdPrefixes = {
  etcdBackup: 'etcd-backup/',
  resourceBackup: 'resource-backup/',
  acmBackup: 'acm-backup/',
} as const;

export const scheduleIds = {
  etcdBackup: (cluster: string, policy: string) => `${ScheduleIdPrefixes.etcdBackup}${cluster}/${policy}`,
  resourceBackup: (cluster: string, policy: string) => `${ScheduleIdPrefixes.resourceBackup}${cluster}/${policy}`,
  acmBackup: (cluster: string, policy: string) => `${ScheduleIdPrefixes.acmBackup}${cluster}/${policy}`,
};

/** Prefix of every schedule id Lifeboat owns; `apply` only touches schedules under it. */
export const SCHEDULE_ID_PREFIXES = [
  ScheduleIdPrefixes.etcdBackup,
  ScheduleIdPrefixes.resourceBackup,
  ScheduleIdPrefixes.acmBackup,
] as const;

/** A resource restore's name: its target and request time (`demo-20261202221500`); results and labels carry it. */
export function restoreName(target: string, requestedAt: Date): string {
  return `${target}-${compactUtc(requestedAt)}`;
}
