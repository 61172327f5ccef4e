import type { temporal } from '@temporalio/proto';
import { readdirSync, readFileSync } from 'node:fs';

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

/**
 * CPU seconds (user + system) of every thread on the machine so far, by `pid/tid`, with the process's and the
 * thread's names: libuv's pool, V8's helpers and Temporal's runtime threads show apart from a process's main thread.
 */
export type CpuSnapshot = Map<string, { process: string; thread: string; seconds: number }>;

const statOf = (path: string) => {
  try {
    const stat = readFileSync(path, 'utf8');
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { name, seconds: (Number(fields[11]) + Number(fields[12])) / 100 }; // USER_HZ
  } catch {
    return undefined; // gone meanwhile
  }
};

export function cpuSnapshot(): CpuSnapshot {
  const threads: CpuSnapshot = new Map();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    const process = statOf(`/proc/${pid}/stat`)?.name;
    if (!process) continue;
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      const thread = statOf(`/proc/${pid}/task/${tid}/stat`);
      if (thread) threads.set(`${pid}/${tid}`, { process, thread: thread.name, seconds: thread.seconds });
    }
  }
  return threads;
}

/**
 * Where the CPU went between two snapshots: per process (`pid` distinguishes two node processes), its main thread
 * and its busiest kinds of threads, as `kube-apiserver 0.52s; node[1234] 2.10s (main 1.20, libuv-worker 0.61)`.
 */
export function cpuSpent(before: CpuSnapshot, after: CpuSnapshot, top = 5): string {
  const byProcess = new Map<string, { total: number; threads: Map<string, number> }>();
  for (const [key, t] of after) {
    const spent = t.seconds - (before.get(key)?.seconds ?? t.seconds);
    if (spent <= 0) continue;
    const [pid, tid] = key.split('/');
    const name = t.process.startsWith('kworker') ? 'kernel workers' : `${t.process}[${pid}]`;
    const entry = byProcess.get(name) ?? { total: 0, threads: new Map() };
    const thread = pid === tid ? 'main' : t.thread.replace(/[-_ ]?\d+$/, '');
    entry.total += spent;
    entry.threads.set(thread, (entry.threads.get(thread) ?? 0) + spent);
    byProcess.set(name, entry);
  }
  return [...byProcess]
    .filter(([, p]) => p.total >= 0.01)
    .sort((a, b) => b[1].total - a[1].total)
    .slice(0, top)
    .map(([name, p]) => {
      const threads = [...p.threads].sort((a, b) => b[1] - a[1]).slice(0, 3);
      const detail = threads.length > 1 ? ` (${threads.map(([t, s]) => `${t} ${s.toFixed(2)}`).join(', ')})` : '';
      return `${name} ${p.total.toFixed(2)}s${detail}`;
    })
    .join('; ');
}
