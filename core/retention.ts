import { parseDuration } from './duration.js';
import type { EtcdBackupPolicy } from './config/schema.js';

/**
 * The retention decision: which backups of one policy to keep, which to delete, which abandoned uploads to abort.
 * A pure function of its inputs (the listing, the rules, and `now`): the functional core of the retention workflow
 * and of `lifeboat retention plan`. No I/O, no clock.
 *
 * Semantics, applied to each backup independently once the listing is sorted newest first (by nominal time, ties by
 * name ascending):
 *
 * - A backup is COMPLETE when its manifest exists. Only complete backups are ever counted, ranked or tier-selected.
 * - The NEWEST COMPLETE backup (first complete one in that order, one-off or not) is never deleted: not by keep, not by
 *   ttl, not by anything. Reason `newest-complete`.
 * - INCOMPLETE backups (no manifest: a backup in progress or one that died) never count toward keep and never protect
 *   anything. One is kept while its age (now - nominal time) is at most `incompleteGraceMs` (`incomplete-within-grace`)
 *   and deleted once strictly older (`incomplete-past-grace`). This holds for incomplete one-off backups too.
 * - ONE-OFF complete backups with `keepOneOff: true` are kept (`one-off`), exempt from keep, ttl and tiers, and do not
 *   count toward keep. With `keepOneOff: false` they are ordinary backups: counted, ranked, tier-selected, expired.
 * - The remaining complete backups are the COUNTED backups, ranked 1, 2, 3... newest first.
 *   - `keep` (>= 1): counted backups ranked 1..keep are kept (`within-keep`); those ranked beyond are deleted
 *     (`beyond-keep`) unless a tier selects them.
 *   - tiers (grandfather-father-son, like restic's --keep-hourly/daily/weekly/monthly): for tier T with count N, the
 *     newest counted backup in each of the N most recent UTC periods of T that CONTAIN a counted backup is selected
 *     (`tier-hourly`, `tier-daily`, `tier-weekly`, `tier-monthly`). Periods are UTC hours, UTC days, ISO-8601 weeks
 *     (Monday 00:00 UTC to Monday) and UTC calendar months. Periods without backups are skipped, not counted, so a
 *     stopped schedule never makes tiers forget old backups. A tier selection protects from `beyond-keep` only.
 *   - `ttlMs` (optional): a counted backup strictly older than ttl (now - nominal time > ttlMs) is deleted
 *     (`expired-ttl`) even when within keep or tier-selected; the newest complete backup is the one exception.
 *   A deleted backup lists every rule that deletes it on its own (`expired-ttl` and/or `beyond-keep`); a kept one every
 *   rule that keeps it (so an expired newest complete backup has only `newest-complete`).
 * - ABANDONED MULTIPART UPLOADS strictly older than `incompleteGraceMs` (now - initiated) are aborted; younger ones are
 *   left alone (not listed).
 *
 * Output: one decision per input backup, newest first (ties by name); aborts newest first (ties by key, upload id).
 * Every decision has a human explanation, e.g. "deleted: 9th newest completed backup, keep is 7".
 * Invalid rules or dates are programming errors (config validation rejects them first) and throw.
 */

export interface RetentionTiers {
  hourly?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
}

export interface RetentionRules {
  /** How many of the newest counted (complete, non-exempt) backups to keep; at least 1. */
  keep: number;
  /** Counted backups older than this are deleted, even within keep; the newest complete backup never is. */
  ttlMs?: number;
  /** Grandfather-father-son tiers: protect from keep, not from ttl. */
  tiers?: RetentionTiers;
  /** One-off backups are kept and do not count toward keep; false makes them ordinary backups. */
  keepOneOff: boolean;
  /** Incomplete backups and abandoned multipart uploads older than this are removed. */
  incompleteGraceMs: number;
}

export interface BackupEntry {
  backup: string;
  /** Nominal time: the schedule's time, or the trigger time of a one-off backup (what the name encodes). */
  time: Date;
  /** Its manifest exists. */
  complete: boolean;
  oneOff: boolean;
}

export interface IncompleteUpload {
  key: string;
  uploadId: string;
  initiated: Date;
}

export type RetentionKeepReason =
  | 'newest-complete'
  | 'within-keep'
  | 'tier-hourly'
  | 'tier-daily'
  | 'tier-weekly'
  | 'tier-monthly'
  | 'one-off'
  | 'incomplete-within-grace';
export type RetentionDeleteReason = 'beyond-keep' | 'expired-ttl' | 'incomplete-past-grace';
export type RetentionReason = RetentionKeepReason | RetentionDeleteReason;

export const KEEP_REASONS: readonly RetentionKeepReason[] = [
  'newest-complete',
  'within-keep',
  'tier-hourly',
  'tier-daily',
  'tier-weekly',
  'tier-monthly',
  'one-off',
  'incomplete-within-grace',
];
export const DELETE_REASONS: readonly RetentionDeleteReason[] = ['beyond-keep', 'expired-ttl', 'incomplete-past-grace'];

export type RetentionDecision =
  | { backup: string; action: 'keep'; reasons: RetentionKeepReason[]; explanation: string }
  | { backup: string; action: 'delete'; reasons: RetentionDeleteReason[]; explanation: string };

export interface UploadAbort {
  key: string;
  uploadId: string;
  explanation: string;
}

export interface RetentionPlan {
  backups: RetentionDecision[];
  abortUploads: UploadAbort[];
}

export type RetentionTier = keyof RetentionTiers;
export const TIERS: readonly RetentionTier[] = ['hourly', 'daily', 'weekly', 'monthly'];

const TIER_REASON: Record<RetentionTier, RetentionKeepReason> = {
  hourly: 'tier-hourly',
  daily: 'tier-daily',
  weekly: 'tier-weekly',
  monthly: 'tier-monthly',
};
const TIER_PERIOD_NAME: Record<RetentionTier, string> = {
  hourly: 'UTC hour',
  daily: 'UTC day',
  weekly: 'ISO week',
  monthly: 'UTC month',
};

const DAY_MS = 86_400_000;
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/**
 * The UTC period of a tier that an instant falls in, as a label that is also its identity:
 * hourly `2024-05-03T14Z`, daily `2024-05-03`, weekly (ISO 8601) `2024-W18`, monthly `2024-05`.
 */
export function tierPeriod(tier: RetentionTier, time: Date): string {
  const y = time.getUTCFullYear();
  const m = pad(time.getUTCMonth() + 1);
  const d = pad(time.getUTCDate());
  switch (tier) {
    case 'hourly':
      return `${y}-${m}-${d}T${pad(time.getUTCHours())}Z`;
    case 'daily':
      return `${y}-${m}-${d}`;
    case 'monthly':
      return `${y}-${m}`;
    case 'weekly': {
      // ISO week: the week (Monday to Sunday) belongs to the year of its Thursday.
      const midnight = Date.UTC(y, time.getUTCMonth(), time.getUTCDate());
      const mondayBased = (time.getUTCDay() + 6) % 7;
      const thursday = new Date(midnight + (3 - mondayBased) * DAY_MS);
      const isoYear = thursday.getUTCFullYear();
      const week = Math.floor((thursday.getTime() - Date.UTC(isoYear, 0, 1)) / DAY_MS / 7) + 1;
      return `${isoYear}-W${pad(week)}`;
    }
  }
}

/** 1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, 101st, 111th. */
export function ordinal(n: number): string {
  const lastTwo = n % 100;
  const last = n % 10;
  const suffix =
    lastTwo >= 11 && lastTwo <= 13 ? 'th' : last === 1 ? 'st' : last === 2 ? 'nd' : last === 3 ? 'rd' : 'th';
  return `${n}${suffix}`;
}

/** A duration in the config's notation, largest units first: `7d`, `1d12h`, `2h30m`, `45s`; below a second `250ms`. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.max(0, Math.floor(ms))}ms`;
  let rest = Math.floor(ms / 1_000);
  const parts: string[] = [];
  for (const [unit, seconds] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const amount = Math.floor(rest / seconds);
    rest -= amount * seconds;
    if (amount > 0) parts.push(`${amount}${unit}`);
  }
  return parts.join('');
}

function formatAge(ageMs: number): string {
  return ageMs < 0 ? `dated ${formatDuration(-ageMs)} in the future` : `age ${formatDuration(ageMs)}`;
}

function validDate(time: Date, what: string): number {
  const ms = time instanceof Date ? time.getTime() : NaN;
  if (Number.isNaN(ms)) throw new Error(`retention: ${what} has an invalid time`);
  return ms;
}

function validateRules(rules: RetentionRules): void {
  if (!Number.isInteger(rules.keep) || rules.keep < 1) {
    throw new Error(`retention: keep must be a whole number of at least 1, got ${rules.keep}`);
  }
  if (rules.ttlMs !== undefined && !(Number.isFinite(rules.ttlMs) && rules.ttlMs > 0)) {
    throw new Error(`retention: ttlMs must be a positive number of milliseconds, got ${rules.ttlMs}`);
  }
  if (!(Number.isFinite(rules.incompleteGraceMs) && rules.incompleteGraceMs >= 0)) {
    throw new Error(`retention: incompleteGraceMs must be zero or more milliseconds, got ${rules.incompleteGraceMs}`);
  }
  for (const tier of TIERS) {
    const count = rules.tiers?.[tier];
    if (count !== undefined && !(Number.isInteger(count) && count >= 0)) {
      throw new Error(`retention: tiers.${tier} must be a whole number of at least 0, got ${count}`);
    }
  }
}

function byNewest<T>(time: (item: T) => number, ...names: ((item: T) => string)[]): (a: T, b: T) => number {
  return (a, b) => {
    const diff = time(b) - time(a);
    if (diff !== 0) return diff;
    for (const name of names) {
      const x = name(a);
      const y = name(b);
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  };
}

interface TierSelection {
  tier: RetentionTier;
  period: string;
  /** 1 for the newest period of the tier. */
  index: number;
  count: number;
}

export function planRetention(
  backups: readonly BackupEntry[],
  uploads: readonly IncompleteUpload[],
  rules: RetentionRules,
  now: Date,
): RetentionPlan {
  validateRules(rules);
  const nowMs = validDate(now, 'now');
  const entries = backups.map((entry) => ({ entry, ms: validDate(entry.time, `backup ${entry.backup}`) }));
  entries.sort(
    byNewest(
      (e) => e.ms,
      (e) => e.entry.backup,
    ),
  );

  const exemptOneOff = (e: BackupEntry) => e.oneOff && rules.keepOneOff;
  const newestComplete = entries.find((e) => e.entry.complete);
  const counted = entries.filter((e) => e.entry.complete && !exemptOneOff(e.entry));
  const rank = new Map(counted.map((e, i) => [e, i + 1]));

  const tierSelections = new Map<(typeof entries)[number], TierSelection[]>();
  for (const tier of TIERS) {
    const count = rules.tiers?.[tier] ?? 0;
    let lastPeriod: string | undefined;
    let index = 0;
    for (const e of counted) {
      if (index >= count) break;
      const period = tierPeriod(tier, e.entry.time);
      if (period === lastPeriod) continue;
      lastPeriod = period;
      index += 1;
      const list = tierSelections.get(e) ?? [];
      list.push({ tier, period, index, count });
      tierSelections.set(e, list);
    }
  }

  const grace = formatDuration(rules.incompleteGraceMs);
  const ttl = rules.ttlMs === undefined ? undefined : formatDuration(rules.ttlMs);
  const rankText = (r: number) => `${ordinal(r)} newest completed backup, keep is ${rules.keep}`;
  const tierText = (s: TierSelection) =>
    `newest backup of ${TIER_PERIOD_NAME[s.tier]} ${s.period} (${s.tier} tier, ${ordinal(s.index)} of ${s.count})`;

  const decisions = entries.map((e): RetentionDecision => {
    const { backup, complete } = e.entry;
    const ageMs = nowMs - e.ms;

    if (!complete) {
      return ageMs > rules.incompleteGraceMs
        ? {
            backup,
            action: 'delete',
            reasons: ['incomplete-past-grace'],
            explanation: `deleted: incomplete (no manifest), ${formatAge(ageMs)} is past the grace period of ${grace}`,
          }
        : {
            backup,
            action: 'keep',
            reasons: ['incomplete-within-grace'],
            explanation: `kept: incomplete (no manifest), ${formatAge(ageMs)} is within the grace period of ${grace}`,
          };
    }

    const r = rank.get(e);
    const selections = tierSelections.get(e) ?? [];
    const expired = rules.ttlMs !== undefined && ageMs > rules.ttlMs;
    const expiredText = `older than ttl ${ttl} (${formatAge(ageMs)})`;
    const keepReasons: RetentionKeepReason[] = [];
    const keepParts: string[] = [];

    if (e === newestComplete) {
      keepReasons.push('newest-complete');
      keepParts.push('newest completed backup, never deleted' + (expired ? `, although ${expiredText}` : ''));
    }
    if (r === undefined) {
      // An exempt one-off (only complete backups reach here).
      keepReasons.push('one-off');
      keepParts.push(`one-off backup, not counted toward keep ${rules.keep} and exempt from ttl and tiers`);
      return { backup, action: 'keep', reasons: keepReasons, explanation: `kept: ${keepParts.join('; ')}` };
    }

    if (expired && e !== newestComplete) {
      const reasons: RetentionDeleteReason[] = ['expired-ttl'];
      let explanation = `deleted: ${expiredText}`;
      if (r <= rules.keep) {
        explanation += `, although ${rankText(r)}`;
      } else if (selections.length > 0) {
        explanation += `, although ${ordinal(r)} newest completed backup (keep is ${rules.keep}) selected as ${selections.map(tierText).join(', ')}`;
      } else {
        reasons.push('beyond-keep');
        explanation += `; and ${rankText(r)}`;
      }
      return { backup, action: 'delete', reasons, explanation };
    }

    if (expired) {
      // The newest complete backup: keep and tiers do not protect from ttl, so they are not its reasons.
      return { backup, action: 'keep', reasons: keepReasons, explanation: `kept: ${keepParts.join('; ')}` };
    }
    if (r <= rules.keep) {
      keepReasons.push('within-keep');
      keepParts.push(rankText(r));
    }
    for (const s of selections) {
      keepReasons.push(TIER_REASON[s.tier]);
      keepParts.push(tierText(s));
    }
    if (keepReasons.length > 0) {
      return { backup, action: 'keep', reasons: keepReasons, explanation: `kept: ${keepParts.join('; ')}` };
    }
    const anyTier = TIERS.some((t) => (rules.tiers?.[t] ?? 0) > 0);
    return {
      backup,
      action: 'delete',
      reasons: ['beyond-keep'],
      explanation: `deleted: ${rankText(r)}` + (anyTier ? ', and no tier selects it' : ''),
    };
  });

  const abortUploads = uploads
    .map((upload) => ({ upload, ms: validDate(upload.initiated, `upload ${upload.key} (${upload.uploadId})`) }))
    .filter(({ ms }) => nowMs - ms > rules.incompleteGraceMs)
    .sort(
      byNewest(
        (u) => u.ms,
        (u) => u.upload.key,
        (u) => u.upload.uploadId,
      ),
    )
    .map(({ upload, ms }) => ({
      key: upload.key,
      uploadId: upload.uploadId,
      explanation: `aborted: multipart upload initiated ${formatDuration(nowMs - ms)} ago, past the grace period of ${grace}`,
    }));

  return { backups: decisions, abortUploads };
}

/** What `rulesFromPolicy` reads from a backup policy: the retention fields every kind's policy has. */
export type RetentionPolicyInput = Pick<
  EtcdBackupPolicy,
  'keep' | 'ttl' | 'tiers' | 'keepOneOff' | 'incompleteGracePeriod'
>;

/**
 * The retention rules of a policy, from a config the schema has validated and defaulted (core/config): a mapping of
 * units, not a second validation. planRetention still refuses rules that break its own contract.
 */
export function rulesFromPolicy(policy: RetentionPolicyInput): RetentionRules {
  return {
    keep: policy.keep,
    keepOneOff: policy.keepOneOff,
    incompleteGraceMs: parseDuration(policy.incompleteGracePeriod)!,
    ...(policy.ttl !== undefined ? { ttlMs: parseDuration(policy.ttl)! } : {}),
    ...(policy.tiers !== undefined ? { tiers: { ...policy.tiers } } : {}),
  };
}
