/** Durations in config files: one or more `<number><unit>` groups, e.g. `30s`, `36h`, `7d`, `1d12h`. */
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const WHOLE = /^(\d+(s|m|h|d|w))+$/;
const GROUP = /(\d+)(s|m|h|d|w)/g;

export const DURATION_RULE = 'a duration such as 90s, 30m, 36h, 7d, 2w or 1d12h';

/** Milliseconds, or undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (!WHOLE.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(GROUP)) total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  return total;
}
