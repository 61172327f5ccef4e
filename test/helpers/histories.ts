import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../build/repo-root.js';

/**
 * With LIFEBOAT_RECORD_HISTORIES=1, tests save the histories of the runs they check under test/histories, where
 * replay.test.ts replays them against the current workflow code: a change that would break a running restore or
 * backup (non-determinism) fails there. Re-record when a workflow change is meant to be incompatible (and version it
 * with patched() if runs of the old code may still be open).
 *
 * Binary protobuf, not JSON: the SDK's JSON reader trips over the two protobufjs copies this dependency tree holds.
 * `temporal workflow show` of a live run, or a decode with @temporalio/proto, shows one as text.
 */
export const HISTORY_SUFFIX = '.history.binpb';

export async function recordHistory(name: string, handle: WorkflowHandle): Promise<void> {
  if (!process.env.LIFEBOAT_RECORD_HISTORIES) return;
  const history = await handle.fetchHistory();
  const bytes = temporal.api.history.v1.History.encode(history).finish();
  writeFileSync(join(repoRoot, 'test', 'histories', `${name}${HISTORY_SUFFIX}`), bytes);
}

type History = temporal.api.history.v1.IHistory;

const scheduledOf = (history: History, type: string) =>
  (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === type);

/**
 * Each scheduled run of an activity type, as the history records it: the server writes an activity's started event
 * when the activity closes, with the attempt that closed it, the worker that ran that attempt and why the attempt
 * before it failed.
 */
export function activityRuns(history: History, type: string) {
  const events = history.events ?? [];
  return scheduledOf(history, type).map((scheduled) => {
    const started = events.find(
      (e) => String(e.activityTaskStartedEventAttributes?.scheduledEventId) === String(scheduled.eventId),
    )?.activityTaskStartedEventAttributes;
    return {
      attempt: Number(started?.attempt ?? 0),
      identity: started?.identity ?? undefined,
      lastTimeout: started?.lastFailure?.timeoutFailureInfo?.timeoutType ?? undefined,
    };
  });
}

/** What an activity returned, from the history: the result of the first scheduled activity of that type. */
export function activityResult<T = unknown>(history: History, type: string): T {
  const [scheduled] = scheduledOf(history, type);
  const completed = (history.events ?? []).find(
    (e) => String(e.activityTaskCompletedEventAttributes?.scheduledEventId) === String(scheduled!.eventId),
  )!;
  return defaultPayloadConverter.fromPayload<T>(completed.activityTaskCompletedEventAttributes!.result!.payloads![0]!);
}
