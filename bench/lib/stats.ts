import { readFileSync } from 'node:fs';

/** What the benchmarks share to report: progress on stderr, medians, rates, a process's memory. */
export const say = (line: string) => process.stderr.write(`${line}\n`);
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
export const rate = (items: number, seconds: number) => `${Math.round(items / seconds)} items/s`;
/** A field of /proc/<pid>/status in MiB: VmRSS now, VmHWM the peak. */
export const procStatusMiB = (pid: number, field: string) =>
  Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
