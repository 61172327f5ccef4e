import Table from 'cli-table3';

/** Tables for people; `--output json` for scripts. */
export function table(head: string[], rows: (string | number)[][]): string {
  const t = new Table({ head, style: { head: [], border: [] } });
  t.push(...rows.map((r) => r.map(String)));
  return t.toString();
}

export function humanBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

export function humanAge(from: Date, now = new Date()): string {
  const seconds = Math.max(0, Math.round((now.getTime() - from.getTime()) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}

export type OutputFormat = 'table' | 'json';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A duration for people: tenths of a second under a minute, then minutes and seconds. */
export function humanDuration(ms: number): string {
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}

/** How long something with ISO start and end times took; still running (no end) counts to now and says so with `…`. */
export function spanDuration(span: { startedAt?: string; endedAt?: string }, now = Date.now()): string {
  if (!span.startedAt) return '';
  const end = span.endedAt ? Date.parse(span.endedAt) : now;
  return `${humanDuration(end - Date.parse(span.startedAt))}${span.endedAt ? '' : '…'}`;
}

/** An ISO time to the second: milliseconds are noise in a table a person reads. */
export function utc(iso: string | undefined): string {
  return iso ? iso.replace(/\.\d{3}Z$/, 'Z') : '';
}

/** Breaks text at spaces so a table cell stays narrow; existing line breaks stay. */
export function wrap(text: string, width = 56): string {
  return text
    .split('\n')
    .map((line) => {
      const out: string[] = [];
      let current = '';
      for (const word of line.split(' ')) {
        if (current && current.length + 1 + word.length > width) {
          out.push(current);
          current = word;
        } else current = current ? `${current} ${word}` : word;
      }
      out.push(current);
      return out.join('\n');
    })
    .join('\n');
}

/** `label  value` lines, values of several lines indented under the first. */
export function printFields(rows: [string, string][]): void {
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  for (const [label, value] of rows) {
    console.log(`${label.padEnd(width)}${value.split('\n').join(`\n${' '.repeat(width)}`)}`);
  }
}

/** `1 warning`, `2 warnings`: a count with its noun. */
export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/**
 * A resource backup's outcome as people read it, with its counts: "Completed", "Completed with 2 warnings",
 * "Completed with 3 errors and 1 warning" (Velero would say only PartiallyFailed).
 */
export function resourceOutcomeText(m: {
  outcome: 'Completed' | 'CompletedWithWarnings' | 'CompletedWithErrors';
  counts: { warnings: number; errors: number };
}): string {
  switch (m.outcome) {
    case 'Completed':
      return 'Completed';
    case 'CompletedWithWarnings':
      return `Completed with ${plural(m.counts.warnings, 'warning')}`;
    case 'CompletedWithErrors':
      return `Completed with ${plural(m.counts.errors, 'error')}${m.counts.warnings > 0 ? ` and ${plural(m.counts.warnings, 'warning')}` : ''}`;
  }
}
