import {
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleOptionsAction,
} from '@temporalio/client';
import type { LifeboatConfig } from '../core/config/schema.js';
import {
  desiredSchedules,
  isLifeboatSchedule,
  planSchedules,
  type DesiredSchedule,
  type SchedulePlan,
} from '../core/schedules.js';
import { LifeboatCluster, LifeboatKind, LifeboatKinds, LifeboatPolicy } from '../core/search-attributes.js';

const FINGERPRINT_MEMO = 'lifeboatFingerprint';

/** The cron and timezone `apply` set; the server keeps only its calendar form, so read them from our memo. */
export function appliedCron(description: ScheduleDescription): { cron: string; timezone: string } | undefined {
  const memo = description.action.type === 'startWorkflow' ? description.action.memo : undefined;
  const fingerprint = memo?.[FINGERPRINT_MEMO];
  if (typeof fingerprint !== 'string') return undefined;
  try {
    const parsed = JSON.parse(fingerprint) as { cron?: unknown; timezone?: unknown };
    return typeof parsed.cron === 'string' && typeof parsed.timezone === 'string'
      ? { cron: parsed.cron, timezone: parsed.timezone }
      : undefined;
  } catch {
    return undefined;
  }
}

export function scheduleOptions(schedule: DesiredSchedule, taskQueue: string) {
  const searchAttributes = [
    { key: LifeboatCluster, value: schedule.cluster },
    { key: LifeboatPolicy, value: schedule.policy },
    { key: LifeboatKind, value: schedule.kind },
  ];
  const action: ScheduleOptionsAction = {
    type: 'startWorkflow',
    workflowType: schedule.workflowType,
    taskQueue,
    args: schedule.args,
    // The server appends the nominal time, so each run gets its own deterministic id.
    workflowId: schedule.id,
    typedSearchAttributes: searchAttributes,
    memo: { [FINGERPRINT_MEMO]: schedule.fingerprint },
    staticSummary: schedule.summary,
  };
  return {
    ...(schedule.kind === LifeboatKinds.acmBackup
      ? {
          state: {
            paused: schedule.paused,
            ...(schedule.paused ? { note: CONFIG_PAUSED_NOTE } : {}),
            triggerImmediately: schedule.backupOnStart,
          },
        }
      : {}),
    spec: {
      cronExpressions: [schedule.cron],
      timezone: schedule.timezone,
      ...(schedule.jitterMs !== undefined ? { jitter: schedule.jitterMs } : {}),
    },
    action,
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: schedule.catchupWindowMs },
    typedSearchAttributes: searchAttributes,
  };
}

/** The note of a schedule paused because its policy says `paused: true`; apply unpauses it when the policy stops saying so. */
const CONFIG_PAUSED_NOTE = 'paused by lifeboat.yaml (paused: true)';

/**
 * An updated schedule's state: the policy's `paused`, unless the schedule paused itself (a backup collision, whose
 * note says why): resuming that is an operator's explicit action (`lifeboat schedules resume`), not a config apply.
 */
function updatedState(schedule: DesiredSchedule, previous: ScheduleDescription['state']): ScheduleDescription['state'] {
  if (schedule.kind !== LifeboatKinds.acmBackup) return previous;
  const selfPaused = previous.paused && previous.note !== undefined && previous.note !== CONFIG_PAUSED_NOTE;
  if (selfPaused) return previous;
  return schedule.paused
    ? { ...previous, paused: true, note: CONFIG_PAUSED_NOTE }
    : { ...previous, paused: false, note: '' };
}

async function existingSchedules(client: Client) {
  const found = [];
  for await (const summary of client.schedule.list()) {
    if (!isLifeboatSchedule(summary.scheduleId)) continue;
    try {
      const description = await client.schedule.getHandle(summary.scheduleId).describe();
      const memo = description.action.type === 'startWorkflow' ? description.action.memo : undefined;
      found.push({ id: summary.scheduleId, fingerprint: memo?.[FINGERPRINT_MEMO] as string | undefined });
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err; // deleted between list and describe
    }
  }
  return found;
}

/**
 * Reconciles Temporal Schedules to the config: creates, updates and deletes Lifeboat's schedules (ids under
 * SCHEDULE_ID_PREFIXES, core/naming.ts) and leaves every other schedule alone.
 */
export async function applySchedules(
  client: Client,
  config: LifeboatConfig,
  taskQueue: string,
  opts: { dryRun: boolean },
): Promise<SchedulePlan> {
  const plan = planSchedules(desiredSchedules(config), await existingSchedules(client));
  if (opts.dryRun) return plan;
  for (const schedule of plan.create) {
    await client.schedule.create({ scheduleId: schedule.id, ...scheduleOptions(schedule, taskQueue) });
  }
  for (const schedule of plan.update) {
    const next = scheduleOptions(schedule, taskQueue);
    await client.schedule.getHandle(schedule.id).update((previous) => ({
      ...previous,
      spec: next.spec,
      action: next.action,
      policies: { ...previous.policies, ...next.policies },
      state: updatedState(schedule, previous.state),
    }));
  }
  for (const id of plan.delete) {
    await client.schedule.getHandle(id).delete();
  }
  return plan;
}
