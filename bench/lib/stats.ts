import type { temporal } from '@temporalio/proto';
import { readFileSync } from 'node:fs';

/** What the benchmarks share to report: progress on stderr, medians, rates, a process's memory. */
export const say = (line: string) => process.stderr.write(`${line}\n`);
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
export const rate = (items: number, seconds: number) => `${Math.round(items / seconds)} items/s`;
/** A field of /proc/<pid>/status in MiB: VmRSS now, VmHWM the peak. */
export const procStatusMiB = (pid: number, field: string) =>
  Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

const eventMs = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;

/** Each completed activity of a history in order: its type and seconds from scheduled to completed. */
export function activityTimeline(history: temporal.api.history.v1.IHistory): { type: string; seconds: number }[] {
  const events = history.events ?? [];
  const scheduled = new Map(
    events
      .filter((e) => e.activityTaskScheduledEventAttributes)
      .map((e) => [
        String(e.eventId),
        { type: e.activityTaskScheduledEventAttributes!.activityType?.name ?? '', at: eventMs(e.eventTime) },
      ]),
  );
  return events.flatMap((e) => {
    const from = scheduled.get(String(e.activityTaskCompletedEventAttributes?.scheduledEventId ?? ''));
    return from ? [{ type: from.type, seconds: (eventMs(e.eventTime) - from.at) / 1000 }] : [];
  });
}
