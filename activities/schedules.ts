import type { Client } from '@temporalio/client';
import { heartbeat } from '@temporalio/activity';
import { ScheduleNotFoundError } from '@temporalio/client';
import type { LifeboatConfig } from '../core/config/schema.js';
import { scheduleIds } from '../core/naming.js';
import type { ActivityDeps } from './deps.js';

/**
 * A restore pauses the cluster's backup schedules (a backup of a half-restored etcd is worse than none) and resumes
 * exactly those it paused. The note marks them as paused by a restore, so a retried or later restore recognises its
 * own pause and never resumes a schedule an operator paused for reasons of their own.
 */
export function restorePauseNote(cluster: string): string {
  return `paused by lifeboat for the etcd restore of ${cluster}`;
}

/** Schedule ids of the cluster's scheduled etcd backup policies, as configured. */
export function clusterScheduleIds(config: LifeboatConfig, cluster: string): string[] {
  return config.etcdBackups
    .filter((p) => p.cluster === cluster && p.schedule)
    .map((p) => scheduleIds.etcdBackup(cluster, p.name));
}

async function describe(client: Client, id: string) {
  try {
    return await client.schedule.getHandle(id).describe();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  }
}

/** Those of `ids` that exist in Temporal (a policy not applied yet has no schedule). */
export async function existingSchedules(client: Client, ids: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const id of ids) if (await describe(client, id)) found.push(id);
  return found;
}

export function createScheduleActivities(deps: ActivityDeps) {
  return {
    /** Pauses the schedules that run; returns those paused for this restore (now or by an earlier attempt). */
    async pauseBackupSchedules(input: { cluster: string; scheduleIds: string[] }): Promise<string[]> {
      const client = deps.temporalClient();
      const note = restorePauseNote(input.cluster);
      const paused: string[] = [];
      for (const id of input.scheduleIds) {
        heartbeat(id);
        const description = await describe(client, id);
        if (!description) continue;
        if (description.state.paused && description.state.note !== note) continue; // an operator's pause: not ours
        if (!description.state.paused) await client.schedule.getHandle(id).pause(note);
        paused.push(id);
      }
      return paused;
    },

    /** Resumes what a restore paused; a schedule since resumed or paused by someone else is left alone. */
    async resumeBackupSchedules(input: { cluster: string; scheduleIds: string[] }): Promise<void> {
      const client = deps.temporalClient();
      const note = restorePauseNote(input.cluster);
      for (const id of input.scheduleIds) {
        heartbeat(id);
        const description = await describe(client, id);
        if (description?.state.paused && description.state.note === note) {
          await client.schedule.getHandle(id).unpause(`resumed by lifeboat after the etcd restore of ${input.cluster}`);
        }
      }
    },
  };
}
