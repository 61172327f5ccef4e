import type { AcmBackupPolicy, EtcdBackupPolicy, LifeboatConfig, ResourceBackupPolicy } from './config/schema.js';
import { parseDuration } from './duration.js';
import { SCHEDULE_ID_PREFIXES, scheduleIds } from './naming.js';
import { LifeboatKinds } from './search-attributes.js';

/** What every schedule `lifeboat apply` wants has, whatever it backs up. */
interface ScheduleCommon {
  id: string;
  cluster: string;
  policy: string;
  cron: string;
  timezone: string;
  jitterMs: number | undefined;
  catchupWindowMs: number;
  summary: string;
  /** Stored with the schedule so the next apply can tell whether it changed. */
  fingerprint: string;
}

/** The schedule of an etcd backup policy: each run is an etcdBackup workflow. */
export interface EtcdBackupSchedule extends ScheduleCommon {
  /** The LifeboatKind its runs carry, and what tells the kinds of schedule apart. */
  kind: typeof LifeboatKinds.etcdBackup;
  workflowType: 'etcdBackup';
  args: [{ cluster: string; policy: string }];
}

/** The schedule of a resource backup policy: each run is a resourceBackup workflow. */
export interface ResourceBackupSchedule extends ScheduleCommon {
  kind: typeof LifeboatKinds.resourceBackup;
  workflowType: 'resourceBackup';
  args: [{ cluster: string; policy: string }];
}

/**
 * The schedule of an ACM hub backup policy: each run is an acmBackup workflow, which takes the set's typed backups.
 * It is created paused when the policy says so, and takes a first set at once unless `noBackupOnStart` (the
 * operator's behaviour); a schedule that paused itself on a backup collision stays paused through `apply`.
 */
export interface AcmBackupSchedule extends ScheduleCommon {
  kind: typeof LifeboatKinds.acmBackup;
  workflowType: 'acmBackup';
  args: [{ cluster: string; policy: string }];
  paused: boolean;
  backupOnStart: boolean;
}

/**
 * What `lifeboat apply` wants a Temporal Schedule to be, derived only from the config; one member per kind of
 * backup, told apart by `kind`.
 */
export type DesiredSchedule = EtcdBackupSchedule | ResourceBackupSchedule | AcmBackupSchedule;

export interface ExistingSchedule {
  id: string;
  fingerprint: string | undefined;
}

export interface SchedulePlan {
  create: DesiredSchedule[];
  update: DesiredSchedule[];
  delete: string[];
  unchanged: string[];
}

/** What a schedule's kind decides: its id, the workflow its runs are, and what the UI says about them. */
type ScheduleKind<S extends DesiredSchedule> = Pick<S, 'id' | 'kind' | 'workflowType' | 'summary'>;

/** The parts every kind's schedule takes from its policy the same way, and the fingerprint over all of it. */
function policySchedule<S extends DesiredSchedule>(
  policy: EtcdBackupPolicy | ResourceBackupPolicy | AcmBackupPolicy,
  kind: ScheduleKind<S>,
): S | undefined {
  if (!policy.schedule) return undefined;
  // This key order is part of the fingerprint of the schedules already in Temporal: keep it.
  const base = {
    id: kind.id,
    cluster: policy.cluster,
    policy: policy.name,
    kind: kind.kind,
    workflowType: kind.workflowType,
    args: [{ cluster: policy.cluster, policy: policy.name }] as [{ cluster: string; policy: string }],
    cron: policy.schedule.cron,
    timezone: policy.schedule.timezone,
    jitterMs: policy.schedule.jitter ? parseDuration(policy.schedule.jitter) : undefined,
    catchupWindowMs: parseDuration(policy.schedule.catchupWindow)!,
    summary: kind.summary,
  };
  // The policy's whole definition goes into the fingerprint: the workflow reads keep/ttl/location from config.
  return { ...base, fingerprint: JSON.stringify({ ...base, policy }) } as S;
}

/** The schedule of an etcd backup policy; none for a one-off policy, which runs only on `lifeboat backup now`. */
export function etcdBackupSchedule(policy: EtcdBackupPolicy): EtcdBackupSchedule | undefined {
  return policySchedule<EtcdBackupSchedule>(policy, {
    id: scheduleIds.etcdBackup(policy.cluster, policy.name),
    kind: LifeboatKinds.etcdBackup,
    workflowType: 'etcdBackup',
    summary: `etcd backup of ${policy.cluster} (${policy.name}) to ${policy.location}`,
  });
}

/** The schedule of a resource backup policy; none for a one-off policy, as for etcd. */
export function resourceBackupSchedule(policy: ResourceBackupPolicy): ResourceBackupSchedule | undefined {
  return policySchedule<ResourceBackupSchedule>(policy, {
    id: scheduleIds.resourceBackup(policy.cluster, policy.name),
    kind: LifeboatKinds.resourceBackup,
    workflowType: 'resourceBackup',
    summary: `resource backup of ${policy.cluster} (${policy.name}) to ${policy.location}`,
  });
}

/** The schedule of an ACM hub backup policy; none for an on-demand one. */
export function acmBackupSchedule(policy: AcmBackupPolicy): AcmBackupSchedule | undefined {
  const schedule = policySchedule<AcmBackupSchedule>(policy, {
    id: scheduleIds.acmBackup(policy.cluster, policy.name),
    kind: LifeboatKinds.acmBackup,
    workflowType: 'acmBackup',
    summary: `ACM hub backup of ${policy.cluster} (${policy.name}) to ${policy.location}`,
  });
  return schedule && { ...schedule, paused: policy.paused, backupOnStart: !policy.noBackupOnStart && !policy.paused };
}

/** Every schedule the config wants: the etcd policies', the resource policies', then the ACM ones, in config order. */
export function desiredSchedules(config: LifeboatConfig): DesiredSchedule[] {
  return [
    ...config.etcdBackups.flatMap((policy) => etcdBackupSchedule(policy) ?? []),
    ...config.resourceBackups.flatMap((policy) => resourceBackupSchedule(policy) ?? []),
    ...config.acmBackups.flatMap((policy) => acmBackupSchedule(policy) ?? []),
  ];
}

export function isLifeboatSchedule(id: string): boolean {
  return SCHEDULE_ID_PREFIXES.some((prefix) => id.startsWith(prefix));
}

/** Pure diff between what the config wants and what Temporal has; schedules Lifeboat does not own are left alone. */
export function planSchedules(desired: DesiredSchedule[], existing: ExistingSchedule[]): SchedulePlan {
  const current = new Map(existing.filter((s) => isLifeboatSchedule(s.id)).map((s) => [s.id, s]));
  const plan: SchedulePlan = { create: [], update: [], delete: [], unchanged: [] };
  for (const schedule of desired) {
    const found = current.get(schedule.id);
    if (!found) plan.create.push(schedule);
    else if (found.fingerprint !== schedule.fingerprint) plan.update.push(schedule);
    else plan.unchanged.push(schedule.id);
    current.delete(schedule.id);
  }
  plan.delete = [...current.keys()].sort();
  return plan;
}
