import { describe, expect, it } from 'vitest';
import { etcdBackupPolicySchema } from '../../core/config/schema.js';
import { backupName } from '../../core/naming.js';
import {
  DELETE_REASONS,
  formatDuration,
  KEEP_REASONS,
  ordinal,
  planRetention,
  rulesFromPolicy,
  TIERS,
  tierPeriod,
  type BackupEntry,
  type IncompleteUpload,
  type RetentionDecision,
  type RetentionPlan,
  type RetentionRules,
  type RetentionTier,
} from '../../core/retention.js';

const S = 1_000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

const NOW = new Date('2024-05-10T12:00:00Z');

function at(time: string | number): Date {
  return typeof time === 'number' ? new Date(NOW.getTime() - time) : new Date(time);
}

/** A backup `ago` ms before NOW (or at an ISO time), named like the real ones. */
function b(time: string | number, opts: Partial<Omit<BackupEntry, 'time'>> = {}): BackupEntry {
  const date = at(time);
  const oneOff = opts.oneOff ?? false;
  return {
    backup: opts.backup ?? backupName(oneOff ? 'manual' : 'nightly', date),
    time: date,
    complete: opts.complete ?? true,
    oneOff,
  };
}

function rules(overrides: Partial<RetentionRules> = {}): RetentionRules {
  return { keep: 7, keepOneOff: true, incompleteGraceMs: D, ...overrides };
}

function plan(backups: BackupEntry[], overrides: Partial<RetentionRules> = {}, now = NOW): RetentionPlan {
  return planRetention(backups, [], rules(overrides), now);
}

/** Daily backups at NOW - 0d, 1d, ... (n-1)d. */
function daily(n: number): BackupEntry[] {
  return Array.from({ length: n }, (_, i) => b(i * D));
}

function decisionOf(result: RetentionPlan, backup: BackupEntry): RetentionDecision {
  const found = result.backups.find((d) => d.backup === backup.backup);
  if (!found) throw new Error(`no decision for ${backup.backup}`);
  return found;
}

function keptNames(result: RetentionPlan): string[] {
  return result.backups.filter((d) => d.action === 'keep').map((d) => d.backup);
}

function deletedNames(result: RetentionPlan): string[] {
  return result.backups.filter((d) => d.action === 'delete').map((d) => d.backup);
}

const names = (entries: BackupEntry[]) => entries.map((e) => e.backup);

describe('planRetention: empty input', () => {
  it('plans nothing', () => {
    expect(planRetention([], [], rules(), NOW)).toEqual({ backups: [], abortUploads: [] });
  });

  it('plans nothing with ttl and tiers either', () => {
    expect(
      planRetention([], [], rules({ ttlMs: D, tiers: { hourly: 1, daily: 1, weekly: 1, monthly: 1 } }), NOW),
    ).toEqual({ backups: [], abortUploads: [] });
  });
});

describe('planRetention: keep only', () => {
  it('keeps the keep newest completed backups and deletes the rest', () => {
    const backups = daily(10);
    const result = plan(backups, { keep: 7 });
    expect(keptNames(result)).toEqual(names(backups.slice(0, 7)));
    expect(deletedNames(result)).toEqual(names(backups.slice(7)));
  });

  it('gives the newest newest-complete and within-keep, the others within-keep or beyond-keep', () => {
    const backups = daily(10);
    const result = plan(backups, { keep: 7 });
    expect(result.backups.map((d) => d.reasons)).toEqual([
      ['newest-complete', 'within-keep'],
      ...Array.from({ length: 6 }, () => ['within-keep']),
      ['beyond-keep'],
      ['beyond-keep'],
      ['beyond-keep'],
    ]);
  });

  it('explains with the rank and the keep count', () => {
    const backups = daily(10);
    const result = plan(backups, { keep: 7 });
    expect(decisionOf(result, backups[8]!).explanation).toBe('deleted: 9th newest completed backup, keep is 7');
    expect(decisionOf(result, backups[7]!).explanation).toBe('deleted: 8th newest completed backup, keep is 7');
    expect(decisionOf(result, backups[2]!).explanation).toBe('kept: 3rd newest completed backup, keep is 7');
    expect(decisionOf(result, backups[0]!).explanation).toBe(
      'kept: newest completed backup, never deleted; 1st newest completed backup, keep is 7',
    );
  });

  it('keeps everything when there are fewer backups than keep', () => {
    const backups = daily(3);
    expect(deletedNames(plan(backups, { keep: 7 }))).toEqual([]);
  });

  it('keeps everything when there are exactly keep backups', () => {
    const backups = daily(7);
    expect(deletedNames(plan(backups, { keep: 7 }))).toEqual([]);
  });

  it('keep 1 keeps only the newest', () => {
    const backups = daily(4);
    const result = plan(backups, { keep: 1 });
    expect(keptNames(result)).toEqual([backups[0]!.backup]);
    expect(decisionOf(result, backups[3]!).explanation).toBe('deleted: 4th newest completed backup, keep is 1');
  });

  it('ranks by nominal time, not by position in the input', () => {
    const backups = daily(5);
    const result = plan([backups[3]!, backups[0]!, backups[4]!, backups[1]!, backups[2]!], { keep: 2 });
    expect(keptNames(result)).toEqual(names(backups.slice(0, 2)));
  });
});

describe('planRetention: ttl with a large keep', () => {
  it('deletes backups strictly older than ttl', () => {
    const backups = daily(10);
    const result = plan(backups, { keep: 1000, ttlMs: 7 * D });
    expect(keptNames(result)).toEqual(names(backups.slice(0, 8))); // ages 0d..7d
    expect(deletedNames(result)).toEqual(names(backups.slice(8))); // ages 8d, 9d
  });

  it('keeps a backup exactly ttl old and deletes one a millisecond older', () => {
    const exact = b(7 * D);
    const older = b(7 * D + 1);
    const newest = b(0);
    const result = plan([newest, exact, older], { keep: 1000, ttlMs: 7 * D });
    expect(decisionOf(result, exact).action).toBe('keep');
    expect(decisionOf(result, older).action).toBe('delete');
  });

  it('gives expired backups within keep only the expired-ttl reason and explains both numbers', () => {
    const backups = daily(10);
    const result = plan(backups, { keep: 1000, ttlMs: 7 * D });
    const ninth = decisionOf(result, backups[8]!);
    expect(ninth.reasons).toEqual(['expired-ttl']);
    expect(ninth.explanation).toBe(
      'deleted: older than ttl 7d (age 8d), although 9th newest completed backup, keep is 1000',
    );
  });

  it('formats compound ttls and ages', () => {
    const newest = b(0);
    const old = b(2 * D + 3 * H + 4 * M);
    const result = plan([newest, old], { keep: 10, ttlMs: D + 12 * H });
    expect(decisionOf(result, old).explanation).toBe(
      'deleted: older than ttl 1d12h (age 2d3h4m), although 2nd newest completed backup, keep is 10',
    );
  });

  it('never expires a backup dated in the future', () => {
    const future = b(-3 * D);
    const result = plan([future, b(0)], { keep: 10, ttlMs: H });
    expect(decisionOf(result, future).action).toBe('keep');
  });
});

describe('planRetention: keep and ttl together', () => {
  it('deletes beyond keep, and expired ones for both reasons', () => {
    const backups = daily(10);
    const result = plan(backups, { keep: 3, ttlMs: 5 * D });
    expect(result.backups.map((d) => [d.action, d.reasons])).toEqual([
      ['keep', ['newest-complete', 'within-keep']],
      ['keep', ['within-keep']],
      ['keep', ['within-keep']],
      ['delete', ['beyond-keep']], // age 3d
      ['delete', ['beyond-keep']], // age 4d
      ['delete', ['beyond-keep']], // age 5d: not older than ttl
      ['delete', ['expired-ttl', 'beyond-keep']],
      ['delete', ['expired-ttl', 'beyond-keep']],
      ['delete', ['expired-ttl', 'beyond-keep']],
      ['delete', ['expired-ttl', 'beyond-keep']],
    ]);
    expect(decisionOf(result, backups[6]!).explanation).toBe(
      'deleted: older than ttl 5d (age 6d); and 7th newest completed backup, keep is 3',
    );
  });

  it('ttl deletes backups within keep', () => {
    const backups = daily(10);
    const result = plan(backups, { keep: 7, ttlMs: 3 * D });
    expect(keptNames(result)).toEqual(names(backups.slice(0, 4)));
    expect(decisionOf(result, backups[4]!).reasons).toEqual(['expired-ttl']);
    expect(decisionOf(result, backups[4]!).explanation).toBe(
      'deleted: older than ttl 3d (age 4d), although 5th newest completed backup, keep is 7',
    );
    expect(decisionOf(result, backups[7]!).reasons).toEqual(['expired-ttl', 'beyond-keep']);
  });
});

describe('planRetention: the newest completed backup', () => {
  it('is never deleted, even when older than ttl', () => {
    const backups = [b(30 * D), b(31 * D), b(40 * D)];
    const result = plan(backups, { keep: 3, ttlMs: 7 * D });
    expect(keptNames(result)).toEqual([backups[0]!.backup]);
    const newest = decisionOf(result, backups[0]!);
    expect(newest.reasons).toEqual(['newest-complete']);
    expect(newest.explanation).toBe(
      'kept: newest completed backup, never deleted, although older than ttl 7d (age 30d)',
    );
    expect(decisionOf(result, backups[1]!).reasons).toEqual(['expired-ttl']);
  });

  it('is kept when it is the only backup and very old', () => {
    const only = b(3650 * D);
    const result = plan([only], { keep: 1, ttlMs: S });
    expect(result.backups).toEqual([
      expect.objectContaining({ backup: only.backup, action: 'keep', reasons: ['newest-complete'] }),
    ]);
  });

  it('is the newest complete one: newer incomplete backups do not take its place', () => {
    const incomplete = b(H, { complete: false });
    const incompleteOld = b(3 * D, { complete: false });
    const complete = b(20 * D);
    const older = b(21 * D);
    const result = plan([incomplete, incompleteOld, complete, older], { keep: 1, ttlMs: 7 * D });
    expect(decisionOf(result, complete).reasons).toEqual(['newest-complete']);
    expect(decisionOf(result, complete).action).toBe('keep');
    expect(decisionOf(result, older).action).toBe('delete');
    expect(decisionOf(result, incomplete).reasons).toEqual(['incomplete-within-grace']);
    expect(decisionOf(result, incompleteOld).reasons).toEqual(['incomplete-past-grace']);
  });

  it('does not exist when no backup is complete', () => {
    const backups = [b(H, { complete: false }), b(2 * D, { complete: false })];
    const result = plan(backups, { keep: 3 });
    expect(result.backups.some((d) => (d.reasons as string[]).includes('newest-complete'))).toBe(false);
    expect(result.backups.map((d) => d.action)).toEqual(['keep', 'delete']);
  });
});

describe('planRetention: incomplete backups', () => {
  it('do not count toward keep and do not protect older complete backups', () => {
    const c1 = b(D);
    const c2 = b(2 * D);
    const c3 = b(3 * D);
    const i1 = b(H, { complete: false });
    const i2 = b(D + H, { complete: false });
    const result = plan([i1, c1, i2, c2, c3], { keep: 2, incompleteGraceMs: 2 * D });
    expect(decisionOf(result, c1).reasons).toEqual(['newest-complete', 'within-keep']);
    expect(decisionOf(result, c2).explanation).toBe('kept: 2nd newest completed backup, keep is 2');
    expect(decisionOf(result, c3).explanation).toBe('deleted: 3rd newest completed backup, keep is 2');
    expect(decisionOf(result, i1).action).toBe('keep');
    expect(decisionOf(result, i2).action).toBe('keep');
  });

  it('are kept within the grace period and deleted once strictly older', () => {
    const young = b(23 * H, { complete: false });
    const exact = b(24 * H, { complete: false });
    const old = b(25 * H, { complete: false });
    const result = plan([b(0), young, exact, old], { incompleteGraceMs: 24 * H });
    expect(decisionOf(result, young)).toEqual({
      backup: young.backup,
      action: 'keep',
      reasons: ['incomplete-within-grace'],
      explanation: 'kept: incomplete (no manifest), age 23h is within the grace period of 1d',
    });
    expect(decisionOf(result, exact).action).toBe('keep');
    expect(decisionOf(result, old)).toEqual({
      backup: old.backup,
      action: 'delete',
      reasons: ['incomplete-past-grace'],
      explanation: 'deleted: incomplete (no manifest), age 1d1h is past the grace period of 1d',
    });
  });

  it('are judged only by grace, never by keep or ttl', () => {
    const young = b(10 * D, { complete: false });
    const result = plan([b(0), young], { keep: 1, ttlMs: D, incompleteGraceMs: 30 * D });
    expect(decisionOf(result, young).reasons).toEqual(['incomplete-within-grace']);
  });

  it('with a zero grace period are deleted as soon as they are older than now', () => {
    const now = b(0, { complete: false });
    const justBefore = b(1, { complete: false });
    const result = plan([now, justBefore], { incompleteGraceMs: 0 });
    expect(decisionOf(result, now).action).toBe('keep');
    expect(decisionOf(result, justBefore).action).toBe('delete');
    expect(decisionOf(result, justBefore).explanation).toBe(
      'deleted: incomplete (no manifest), age 1ms is past the grace period of 0ms',
    );
  });

  it('dated in the future are within grace', () => {
    const future = b(-2 * H, { complete: false });
    const result = plan([future], {});
    expect(decisionOf(result, future).explanation).toBe(
      'kept: incomplete (no manifest), dated 2h in the future is within the grace period of 1d',
    );
  });

  it('one-off and incomplete follows the incomplete rules', () => {
    const oneOff = b(3 * D, { complete: false, oneOff: true });
    const result = plan([b(0), oneOff], { keepOneOff: true });
    expect(decisionOf(result, oneOff).reasons).toEqual(['incomplete-past-grace']);
  });
});

describe('planRetention: one-off backups', () => {
  it('are kept and do not count toward keep', () => {
    const s = daily(4);
    const o1 = b(12 * H, { oneOff: true });
    const o2 = b(100 * D, { oneOff: true });
    const result = plan([...s, o1, o2], { keep: 2 });
    expect(keptNames(result)).toEqual([s[0]!.backup, o1.backup, s[1]!.backup, o2.backup]);
    expect(decisionOf(result, o1).reasons).toEqual(['one-off']);
    expect(decisionOf(result, o1).explanation).toBe(
      'kept: one-off backup, not counted toward keep 2 and exempt from ttl and tiers',
    );
    expect(decisionOf(result, s[1]!).explanation).toBe('kept: 2nd newest completed backup, keep is 2');
  });

  it('are exempt from ttl', () => {
    const old = b(100 * D, { oneOff: true });
    const result = plan([b(0), old], { keep: 1, ttlMs: D });
    expect(decisionOf(result, old).action).toBe('keep');
  });

  it('are exempt from tiers', () => {
    const oneOff = b(2 * D + H, { oneOff: true });
    const scheduled = b(2 * D + 2 * H);
    const result = plan([b(0), oneOff, scheduled], { keep: 1, tiers: { daily: 3 } });
    expect(decisionOf(result, oneOff).reasons).toEqual(['one-off']);
    expect(decisionOf(result, scheduled).reasons).toEqual(['tier-daily']);
  });

  it('can be the newest completed backup, and the newest scheduled one is then ranked 1st', () => {
    const oneOff = b(H, { oneOff: true });
    const s = daily(3).map((e, i) => b(i * D + 2 * H, { backup: `${e.backup}-s` }));
    const result = plan([oneOff, ...s], { keep: 1, ttlMs: 7 * D });
    expect(decisionOf(result, oneOff).reasons).toEqual(['newest-complete', 'one-off']);
    expect(decisionOf(result, s[0]!).reasons).toEqual(['within-keep']);
    expect(decisionOf(result, s[0]!).explanation).toBe('kept: 1st newest completed backup, keep is 1');
    expect(deletedNames(result)).toEqual(names(s.slice(1)));
  });

  it('as the newest completed backup protect it and not an older scheduled one from ttl', () => {
    const oneOff = b(H, { oneOff: true });
    const scheduled = b(10 * D);
    const result = plan([oneOff, scheduled], { keep: 5, ttlMs: 7 * D });
    expect(decisionOf(result, oneOff).action).toBe('keep');
    expect(decisionOf(result, scheduled).reasons).toEqual(['expired-ttl']);
  });

  describe('with keepOneOff false', () => {
    it('count toward keep like scheduled backups', () => {
      const oneOff = b(H, { oneOff: true });
      const s = daily(3).map((e) => ({ ...e, time: new Date(e.time.getTime() - 2 * H) }));
      const result = plan([oneOff, ...s], { keep: 2, keepOneOff: false });
      expect(decisionOf(result, oneOff).reasons).toEqual(['newest-complete', 'within-keep']);
      expect(decisionOf(result, s[0]!).explanation).toBe('kept: 2nd newest completed backup, keep is 2');
      expect(decisionOf(result, s[1]!).explanation).toBe('deleted: 3rd newest completed backup, keep is 2');
    });

    it('expire with ttl', () => {
      const old = b(10 * D, { oneOff: true });
      const result = plan([b(0), old], { keep: 5, ttlMs: 7 * D, keepOneOff: false });
      expect(decisionOf(result, old).reasons).toEqual(['expired-ttl']);
    });

    it('are deleted beyond keep', () => {
      const old = b(10 * D, { oneOff: true });
      const result = plan([b(0), old], { keep: 1, keepOneOff: false });
      expect(decisionOf(result, old).explanation).toBe('deleted: 2nd newest completed backup, keep is 1');
    });

    it('are selected by tiers', () => {
      const old = b(10 * D, { oneOff: true });
      const result = plan([b(0), old], { keep: 1, keepOneOff: false, tiers: { daily: 2 } });
      expect(decisionOf(result, old).reasons).toEqual(['tier-daily']);
    });

    it('are still never deleted as the newest completed backup', () => {
      const oneOff = b(30 * D, { oneOff: true });
      const result = plan([oneOff, b(31 * D)], { keep: 1, ttlMs: D, keepOneOff: false });
      expect(decisionOf(result, oneOff).reasons).toEqual(['newest-complete']);
    });
  });
});

describe('tierPeriod', () => {
  it.each<[RetentionTier, string, string]>([
    ['hourly', '2024-05-10T14:00:00Z', '2024-05-10T14Z'],
    ['hourly', '2024-05-10T14:59:59.999Z', '2024-05-10T14Z'],
    ['hourly', '2024-05-10T15:00:00Z', '2024-05-10T15Z'],
    ['hourly', '2024-05-10T23:30:00-02:00', '2024-05-11T01Z'],
    ['daily', '2024-05-10T00:00:00Z', '2024-05-10'],
    ['daily', '2024-05-10T23:59:59.999Z', '2024-05-10'],
    ['daily', '2024-05-11T01:00:00+02:00', '2024-05-10'],
    ['monthly', '2024-02-29T23:59:59Z', '2024-02'],
    ['monthly', '2024-03-01T00:00:00Z', '2024-03'],
    ['monthly', '2024-12-31T23:59:59Z', '2024-12'],
    ['monthly', '2025-01-01T00:00:00Z', '2025-01'],
    ['monthly', '2024-03-01T00:30:00+01:00', '2024-02'],
    ['weekly', '2024-05-12T23:59:59Z', '2024-W19'], // Sunday
    ['weekly', '2024-05-13T00:00:00Z', '2024-W20'], // Monday
    ['weekly', '2024-05-06T00:00:00Z', '2024-W19'],
    ['weekly', '2021-01-03T12:00:00Z', '2020-W53'], // Sunday of the 53rd week of 2020
    ['weekly', '2021-01-04T00:00:00Z', '2021-W01'],
    ['weekly', '2020-12-31T00:00:00Z', '2020-W53'],
    ['weekly', '2024-12-29T23:59:59Z', '2024-W52'],
    ['weekly', '2024-12-30T00:00:00Z', '2025-W01'], // Monday in December, first week of next ISO year
    ['weekly', '2026-01-01T00:00:00Z', '2026-W01'], // Thursday
    ['weekly', '2027-01-01T00:00:00Z', '2026-W53'], // Friday
    ['weekly', '2027-01-03T23:00:00Z', '2026-W53'],
    ['weekly', '2027-01-04T00:00:00Z', '2027-W01'],
    ['weekly', '2015-12-31T00:00:00Z', '2015-W53'],
    ['weekly', '2016-01-03T00:00:00Z', '2015-W53'],
    ['weekly', '2008-12-29T00:00:00Z', '2009-W01'],
    ['weekly', '2024-05-13T00:30:00+01:00', '2024-W19'], // Sunday 23:30 UTC
  ])('%s of %s is %s', (tier, time, period) => {
    expect(tierPeriod(tier, new Date(time))).toBe(period);
  });

  it('agrees with a day-by-day ISO week count over several years', () => {
    // Walk day by day: the week number increments every Monday and resets to 1 on the Monday of the week holding Jan 4.
    let day = Date.UTC(2014, 11, 29); // Monday of 2015-W01
    let year = 2015;
    let week = 1;
    for (; day < Date.UTC(2031, 0, 1); day += D) {
      const date = new Date(day);
      if (date.getUTCDay() === 1 && day !== Date.UTC(2014, 11, 29)) {
        const jan4 = new Date(Date.UTC(date.getUTCFullYear() + (date.getUTCMonth() === 11 ? 1 : 0), 0, 4));
        const mondayOfJan4 = jan4.getTime() - ((jan4.getUTCDay() + 6) % 7) * D;
        if (day === mondayOfJan4) {
          year = jan4.getUTCFullYear();
          week = 1;
        } else {
          week += 1;
        }
      }
      const expected = `${year}-W${String(week).padStart(2, '0')}`;
      expect(tierPeriod('weekly', date)).toBe(expected);
      expect(tierPeriod('weekly', new Date(day + D - 1))).toBe(expected);
    }
  });
});

describe('planRetention: tiers', () => {
  it('daily keeps the newest backup of each of the last N UTC days', () => {
    // Every 6 hours over 5 days, starting at 2024-05-10T12:00Z going back.
    const backups = Array.from({ length: 20 }, (_, i) => b(i * 6 * H));
    const result = plan(backups, { keep: 1, tiers: { daily: 3 } });
    // 05-10: 12:00, 06:00, 00:00; 05-09: 18:00 ...; 05-08: 18:00 ...
    expect(keptNames(result)).toEqual([
      backupName('nightly', new Date('2024-05-10T12:00:00Z')),
      backupName('nightly', new Date('2024-05-09T18:00:00Z')),
      backupName('nightly', new Date('2024-05-08T18:00:00Z')),
    ]);
    const second = result.backups.find((d) => d.action === 'keep' && d.backup.endsWith('20240509180000'))!;
    expect(second.reasons).toEqual(['tier-daily']);
    expect(second.explanation).toBe('kept: newest backup of UTC day 2024-05-09 (daily tier, 2nd of 3)');
    expect(decisionOf(result, backups[0]!).explanation).toBe(
      'kept: newest completed backup, never deleted; 1st newest completed backup, keep is 1; newest backup of UTC day 2024-05-10 (daily tier, 1st of 3)',
    );
  });

  it('skips periods that have no backup', () => {
    const backups = [
      '2024-05-10T01:00:00Z',
      '2024-05-08T01:00:00Z',
      '2024-05-05T01:00:00Z',
      '2024-05-01T01:00:00Z',
    ].map((t) => b(t));
    const result = plan(backups, { keep: 1, tiers: { daily: 3 } });
    expect(keptNames(result)).toEqual(names(backups.slice(0, 3)));
  });

  it('hourly keeps the newest backup of each of the last N UTC hours', () => {
    const backups = Array.from({ length: 12 }, (_, i) => b(i * 20 * M + 5 * M)); // 11:55, 11:35, 11:15, 10:55 ...
    const result = plan(backups, { keep: 1, tiers: { hourly: 3 } });
    expect(keptNames(result)).toEqual(names([backups[0]!, backups[3]!, backups[6]!]));
    expect(decisionOf(result, backups[6]!).explanation).toBe(
      'kept: newest backup of UTC hour 2024-05-10T09Z (hourly tier, 3rd of 3)',
    );
  });

  it('weekly uses ISO weeks starting Monday 00:00 UTC', () => {
    const monday = b('2024-05-13T00:00:00Z');
    const sunday = b('2024-05-12T23:59:59Z');
    const lastMonday = b('2024-05-06T00:00:00Z');
    const sundayBefore = b('2024-05-05T23:00:00Z');
    const now = new Date('2024-05-14T00:00:00Z');
    const result = plan([monday, sunday, lastMonday, sundayBefore], { keep: 1, tiers: { weekly: 3 } }, now);
    expect(keptNames(result)).toEqual(names([monday, sunday, sundayBefore]));
    expect(decisionOf(result, sunday).explanation).toBe(
      'kept: newest backup of ISO week 2024-W19 (weekly tier, 2nd of 3)',
    );
    expect(decisionOf(result, lastMonday).reasons).toEqual(['beyond-keep']);
  });

  it('weekly across a year boundary groups by ISO year', () => {
    const backups = [
      '2021-01-04T00:00:00Z',
      '2021-01-03T00:00:00Z',
      '2020-12-28T00:00:00Z',
      '2020-12-27T00:00:00Z',
    ].map((t) => b(t));
    const result = plan(backups, { keep: 1, tiers: { weekly: 4 } }, new Date('2021-01-05T00:00:00Z'));
    // 2021-01-03 and 2020-12-28 are both in 2020-W53.
    expect(keptNames(result)).toEqual(names([backups[0]!, backups[1]!, backups[3]!]));
  });

  it('monthly keeps the newest backup of each of the last N UTC months', () => {
    const backups = [
      '2024-03-15T00:00:00Z',
      '2024-03-01T00:00:00Z',
      '2024-02-29T23:59:59Z',
      '2024-02-01T00:00:00Z',
      '2024-01-31T23:59:59Z',
      '2023-12-31T23:59:59Z',
    ].map((t) => b(t));
    const result = plan(backups, { keep: 1, tiers: { monthly: 3 } }, new Date('2024-03-20T00:00:00Z'));
    expect(keptNames(result)).toEqual(names([backups[0]!, backups[2]!, backups[4]!]));
    expect(decisionOf(result, backups[2]!).explanation).toBe(
      'kept: newest backup of UTC month 2024-02 (monthly tier, 2nd of 3)',
    );
  });

  it('uses UTC, not the offset the time was written with', () => {
    // 2024-05-11T01:00+02:00 is 2024-05-10T23:00Z: the same UTC day as the 10:00Z one.
    const late = b('2024-05-11T01:00:00+02:00');
    const early = b('2024-05-10T10:00:00Z');
    const result = plan([late, early], { keep: 1, tiers: { daily: 2 } });
    expect(decisionOf(result, early).action).toBe('delete');
  });

  it('lists every tier that selects a backup', () => {
    const newest = b('2024-05-10T11:00:00Z');
    const lastMonth = b('2024-04-30T22:00:00Z');
    const result = plan([newest, lastMonth], {
      keep: 1,
      tiers: { hourly: 2, daily: 2, weekly: 2, monthly: 2 },
    });
    expect(decisionOf(result, newest).reasons).toEqual([
      'newest-complete',
      'within-keep',
      'tier-hourly',
      'tier-daily',
      'tier-weekly',
      'tier-monthly',
    ]);
    expect(decisionOf(result, lastMonth).reasons).toEqual(['tier-hourly', 'tier-daily', 'tier-weekly', 'tier-monthly']);
  });

  it('combine: a GFS scheme over 400 days of 6-hourly backups', () => {
    const now = new Date('2024-05-10T12:00:00Z');
    const backups = Array.from({ length: 400 * 4 }, (_, i) => b(i * 6 * H));
    const result = plan(backups, { keep: 4, tiers: { daily: 7, weekly: 4, monthly: 12 } }, now);
    const kept = result.backups.filter((d) => d.action === 'keep');
    // 4 newest (05-10 12:00, 06:00, 00:00, 05-09 18:00); days 05-10..05-04; weeks W19, W18, W17, W16; 12 months.
    expect(kept.length).toBeLessThanOrEqual(4 + 7 + 4 + 12);
    expect(kept.filter((d) => d.reasons.includes('tier-monthly')).length).toBe(12);
    expect(kept.filter((d) => d.reasons.includes('tier-weekly')).length).toBe(4);
    expect(kept.filter((d) => d.reasons.includes('tier-daily')).length).toBe(7);
    expect(kept.filter((d) => d.reasons.includes('within-keep')).length).toBe(4);
    // The oldest monthly pick is the last backup of 2023-06.
    const oldestMonthly = kept.filter((d) => d.reasons.includes('tier-monthly')).at(-1)!;
    expect(oldestMonthly.backup).toBe(backupName('nightly', new Date('2023-06-30T18:00:00Z')));
    expect(oldestMonthly.explanation).toBe('kept: newest backup of UTC month 2023-06 (monthly tier, 12th of 12)');
    // Monthly picks of May 2024 coincide with the newest backup.
    expect(decisionOf(result, backups[0]!).reasons).toEqual([
      'newest-complete',
      'within-keep',
      'tier-daily',
      'tier-weekly',
      'tier-monthly',
    ]);
  });

  it('protect from keep but not from ttl', () => {
    const backups = daily(10);
    const result = plan(backups, { keep: 1, ttlMs: 5 * D, tiers: { daily: 10 } });
    expect(keptNames(result)).toEqual(names(backups.slice(0, 6)));
    const expired = decisionOf(result, backups[7]!);
    expect(expired.reasons).toEqual(['expired-ttl']);
    expect(expired.explanation).toBe(
      'deleted: older than ttl 5d (age 7d), although 8th newest completed backup (keep is 1) selected as newest backup of UTC day 2024-05-03 (daily tier, 8th of 10)',
    );
  });

  it('with count 0 select nothing', () => {
    const backups = daily(3);
    const result = plan(backups, { keep: 1, tiers: { hourly: 0, daily: 0, weekly: 0, monthly: 0 } });
    expect(keptNames(result)).toEqual([backups[0]!.backup]);
    expect(decisionOf(result, backups[1]!).explanation).toBe('deleted: 2nd newest completed backup, keep is 1');
  });

  it('say so when a backup beyond keep is selected by no tier', () => {
    const backups = [b(0), b(H), b(2 * H)];
    const result = plan(backups, { keep: 1, tiers: { daily: 5 } });
    expect(decisionOf(result, backups[2]!).explanation).toBe(
      'deleted: 3rd newest completed backup, keep is 1, and no tier selects it',
    );
  });

  it('ignore incomplete backups', () => {
    const incomplete = b('2024-05-09T23:00:00Z', { complete: false });
    const complete = b('2024-05-09T01:00:00Z');
    const result = plan([b(0), incomplete, complete], { keep: 1, tiers: { daily: 2 }, incompleteGraceMs: 7 * D });
    expect(decisionOf(result, complete).reasons).toEqual(['tier-daily']);
    expect(decisionOf(result, incomplete).reasons).toEqual(['incomplete-within-grace']);
  });
});

describe('planRetention: order and ties', () => {
  it('returns newest first whatever the input order', () => {
    const backups = daily(8);
    const shuffled = [4, 1, 7, 0, 6, 2, 5, 3].map((i) => backups[i]!);
    const result = plan(shuffled, { keep: 3, ttlMs: 6 * D });
    expect(result.backups.map((d) => d.backup)).toEqual(names(backups));
    expect(result).toEqual(plan(backups, { keep: 3, ttlMs: 6 * D }));
  });

  it('orders backups with the same time by name and ranks them in that order', () => {
    const t = 2 * D;
    const a = b(t, { backup: 'a-backup' });
    const z = b(t, { backup: 'z-backup' });
    const m = b(t, { backup: 'm-backup', complete: false });
    for (const input of [
      [a, z, m],
      [z, m, a],
      [m, a, z],
    ]) {
      const result = plan(input, { keep: 1 });
      expect(result.backups.map((d) => d.backup)).toEqual(['a-backup', 'm-backup', 'z-backup']);
      expect(decisionOf(result, a).reasons).toEqual(['newest-complete', 'within-keep']);
      expect(decisionOf(result, z).explanation).toBe('deleted: 2nd newest completed backup, keep is 1');
      expect(decisionOf(result, m).action).toBe('delete');
    }
  });

  it('does not modify its inputs', () => {
    const backups = [b(2 * D), b(0), b(D)];
    const copy = backups.map((e) => ({ ...e, time: new Date(e.time) }));
    const uploads: IncompleteUpload[] = [
      { key: 'k1', uploadId: 'u1', initiated: at(3 * D) },
      { key: 'k2', uploadId: 'u2', initiated: at(4 * D) },
    ];
    const uploadsCopy = uploads.map((u) => ({ ...u }));
    planRetention(backups, uploads, rules({ keep: 1 }), NOW);
    expect(backups).toEqual(copy);
    expect(uploads).toEqual(uploadsCopy);
  });
});

describe('planRetention: abandoned multipart uploads', () => {
  const upload = (key: string, uploadId: string, ago: number): IncompleteUpload => ({
    key,
    uploadId,
    initiated: at(ago),
  });

  it('aborts uploads strictly older than the grace period, newest first', () => {
    const uploads = [
      upload('p/etcd/c/nightly/b1/snapshot.db.gz', 'u-old', 5 * D),
      upload('p/etcd/c/nightly/b2/snapshot.db.gz', 'u-young', 2 * H),
      upload('p/etcd/c/nightly/b3/snapshot.db.gz', 'u-exact', D),
      upload('p/etcd/c/nightly/b4/snapshot.db.gz', 'u-past', D + 1 * S),
    ];
    const result = planRetention([], uploads, rules({ incompleteGraceMs: D }), NOW);
    expect(result.abortUploads).toEqual([
      {
        key: 'p/etcd/c/nightly/b4/snapshot.db.gz',
        uploadId: 'u-past',
        explanation: 'aborted: multipart upload initiated 1d1s ago, past the grace period of 1d',
      },
      {
        key: 'p/etcd/c/nightly/b1/snapshot.db.gz',
        uploadId: 'u-old',
        explanation: 'aborted: multipart upload initiated 5d ago, past the grace period of 1d',
      },
    ]);
  });

  it('orders uploads initiated at the same time by key, then upload id', () => {
    const uploads = [upload('k2', 'a', 3 * D), upload('k1', 'b', 3 * D), upload('k1', 'a', 3 * D)];
    const result = planRetention([], uploads, rules(), NOW);
    expect(result.abortUploads.map((u) => `${u.key}/${u.uploadId}`)).toEqual(['k1/a', 'k1/b', 'k2/a']);
  });

  it('aborts nothing when every upload is young', () => {
    const result = planRetention([], [upload('k', 'u', H), upload('k', 'v', -H)], rules(), NOW);
    expect(result.abortUploads).toEqual([]);
  });

  it('plans uploads independently of backups', () => {
    const uploads = [upload('k', 'u', 2 * D)];
    const result = planRetention(daily(3), uploads, rules({ keep: 1 }), NOW);
    expect(result.abortUploads.map((u) => u.uploadId)).toEqual(['u']);
    expect(result.backups).toHaveLength(3);
  });
});

describe('planRetention: invalid input', () => {
  it.each<[string, Partial<RetentionRules>, RegExp]>([
    ['keep 0', { keep: 0 }, /keep must be a whole number of at least 1, got 0/],
    ['keep 1.5', { keep: 1.5 }, /keep must be a whole number/],
    ['keep NaN', { keep: NaN }, /keep must be/],
    ['ttl 0', { ttlMs: 0 }, /ttlMs must be a positive number/],
    ['ttl negative', { ttlMs: -1 }, /ttlMs must be/],
    ['ttl infinite', { ttlMs: Infinity }, /ttlMs must be/],
    ['negative grace', { incompleteGraceMs: -1 }, /incompleteGraceMs must be zero or more/],
    ['NaN grace', { incompleteGraceMs: NaN }, /incompleteGraceMs must be/],
    ['negative tier', { tiers: { daily: -1 } }, /tiers.daily must be a whole number of at least 0, got -1/],
    ['fractional tier', { tiers: { weekly: 0.5 } }, /tiers.weekly must be/],
  ])('throws on %s', (_, overrides, message) => {
    expect(() => plan([], overrides)).toThrow(message);
  });

  it('throws on an invalid backup time, naming the backup', () => {
    expect(() => plan([{ backup: 'x', time: new Date(NaN), complete: true, oneOff: false }])).toThrow(
      'retention: backup x has an invalid time',
    );
  });

  it('throws on an invalid now or upload time', () => {
    expect(() => planRetention([], [], rules(), new Date('nope'))).toThrow('retention: now has an invalid time');
    expect(() => planRetention([], [{ key: 'k', uploadId: 'u', initiated: new Date(NaN) }], rules(), NOW)).toThrow(
      'retention: upload k (u) has an invalid time',
    );
  });
});

describe('ordinal', () => {
  it.each([
    [1, '1st'],
    [2, '2nd'],
    [3, '3rd'],
    [4, '4th'],
    [9, '9th'],
    [10, '10th'],
    [11, '11th'],
    [12, '12th'],
    [13, '13th'],
    [21, '21st'],
    [22, '22nd'],
    [23, '23rd'],
    [100, '100th'],
    [101, '101st'],
    [111, '111th'],
    [112, '112th'],
    [1002, '1002nd'],
  ])('%i is %s', (n, text) => {
    expect(ordinal(n)).toBe(text);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [250, '250ms'],
    [S, '1s'],
    [90 * S, '1m30s'],
    [H, '1h'],
    [36 * H, '1d12h'],
    [7 * D, '7d'],
    [14 * D, '14d'],
    [D + 2 * H + 3 * M + 4 * S + 999, '1d2h3m4s'],
  ])('%i ms is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('rulesFromPolicy', () => {
  const policy = (fields: Record<string, unknown> = {}) =>
    etcdBackupPolicySchema.parse({ name: 'nightly', cluster: 'prod', location: 'main', ...fields });

  it("takes keep from the policy and the config's defaults", () => {
    expect(rulesFromPolicy(policy())).toEqual({ keep: 7, keepOneOff: true, incompleteGraceMs: 24 * H });
  });

  it('converts ttl to milliseconds', () => {
    expect(rulesFromPolicy(policy({ keep: 3, ttl: '1d12h' }))).toEqual({
      keep: 3,
      ttlMs: 36 * H,
      keepOneOff: true,
      incompleteGraceMs: D,
    });
  });

  it("uses the policy's keepOneOff and incompleteGracePeriod", () => {
    expect(rulesFromPolicy(policy({ ttl: '7d', keepOneOff: false, incompleteGracePeriod: '2h' }))).toEqual({
      keep: 7,
      ttlMs: 7 * D,
      keepOneOff: false,
      incompleteGraceMs: 2 * H,
    });
  });

  it('takes the tiers from the policy', () => {
    expect(rulesFromPolicy(policy({ keep: 2, tiers: { daily: 7, monthly: 12 } }))).toEqual({
      keep: 2,
      tiers: { daily: 7, monthly: 12 },
      keepOneOff: true,
      incompleteGraceMs: D,
    });
    expect(rulesFromPolicy(policy({ keep: 2, tiers: {} })).tiers).toEqual({});
  });

  it('produces rules that planRetention accepts', () => {
    const result = planRetention(daily(10), [], rulesFromPolicy(policy({ keep: 3, ttl: '5d' })), NOW);
    expect(keptNames(result)).toHaveLength(3);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Property-style: invariants over many seeded random inputs.

/** mulberry32: a tiny deterministic PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Scenario {
  backups: BackupEntry[];
  uploads: IncompleteUpload[];
  rules: RetentionRules;
}

function scenario(seed: number): Scenario {
  const rand = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const chance = (p: number) => rand() < p;
  const count = int(0, 30);
  const backups: BackupEntry[] = [];
  for (let i = 0; i < count; i++) {
    // Mostly in the last 90 days on whole hours (ties happen), some at odd milliseconds, a few in the future.
    const ago = chance(0.1) ? -int(1, 48) * H : chance(0.2) ? int(0, 90 * D) : int(0, 90 * 24) * H;
    const previous = backups[int(0, backups.length - 1)];
    const time = chance(0.1) && previous ? previous.time : at(ago);
    backups.push({
      backup: `b${String(i).padStart(2, '0')}-${seed}`,
      time,
      complete: chance(0.75),
      oneOff: chance(0.2),
    });
  }
  const uploads = Array.from({ length: int(0, 5) }, (_, i) => ({
    key: `k${i}`,
    uploadId: `u${int(0, 3)}`,
    initiated: at(int(-H, 5 * D)),
  }));
  const tiers: RetentionRules['tiers'] = {};
  for (const tier of TIERS) if (chance(0.3)) tiers[tier] = int(0, 6);
  const r: RetentionRules = {
    keep: int(1, 10),
    keepOneOff: chance(0.5),
    incompleteGraceMs: chance(0.1) ? 0 : int(0, 4 * D),
  };
  if (chance(0.6)) r.ttlMs = int(1, 60) * D + (chance(0.2) ? int(1, D) : 0);
  if (chance(0.6)) r.tiers = tiers;
  return { backups, uploads, rules: r };
}

function shuffle<T>(items: T[], rand: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Independent oracle: the newest counted backup of each of the N newest periods that hold one. */
function oracleTierPicks(counted: BackupEntry[], tiers: RetentionRules['tiers']): Set<string> {
  const picks = new Set<string>();
  for (const tier of TIERS) {
    const n = tiers?.[tier] ?? 0;
    const newestByPeriod = new Map<string, BackupEntry>();
    for (const e of counted) {
      const period = tierPeriod(tier, e.time);
      const current = newestByPeriod.get(period);
      if (!current || order(e, current) < 0) newestByPeriod.set(period, e);
    }
    [...newestByPeriod.values()]
      .sort(order)
      .slice(0, n)
      .forEach((e) => picks.add(e.backup));
  }
  return picks;
}

function order(a: BackupEntry, b: BackupEntry): number {
  return b.time.getTime() - a.time.getTime() || (a.backup < b.backup ? -1 : a.backup > b.backup ? 1 : 0);
}

const SEEDS = Array.from({ length: 500 }, (_, i) => i + 1);

describe('planRetention: invariants over random inputs', () => {
  it('hold for 500 seeded scenarios', () => {
    for (const seed of SEEDS) {
      const { backups, uploads, rules: r } = scenario(seed);
      const result = planRetention(backups, uploads, r, NOW);
      const ctx = `seed ${seed}`;
      const byName = new Map(result.backups.map((d) => [d.backup, d]));
      const entry = new Map(backups.map((e) => [e.backup, e]));

      // Every input backup appears exactly once.
      expect(result.backups.map((d) => d.backup).sort(), ctx).toEqual(names(backups).sort());

      // Newest first, ties by name.
      const sorted = [...backups].sort(order);
      expect(
        result.backups.map((d) => d.backup),
        ctx,
      ).toEqual(names(sorted));

      // Reasons match the action, explanations start with it.
      for (const d of result.backups) {
        expect(d.reasons.length, ctx).toBeGreaterThan(0);
        expect(new Set(d.reasons).size, ctx).toBe(d.reasons.length);
        const allowed: readonly string[] = d.action === 'keep' ? KEEP_REASONS : DELETE_REASONS;
        for (const reason of d.reasons) expect(allowed, ctx).toContain(reason);
        expect(d.explanation.startsWith(d.action === 'keep' ? 'kept: ' : 'deleted: '), ctx).toBe(true);
      }

      // The newest complete backup is kept, and it is the only one with that reason.
      const newest = sorted.find((e) => e.complete);
      const withNewest = result.backups.filter((d) => d.reasons.some((x) => x === 'newest-complete'));
      if (newest) {
        expect(byName.get(newest.backup)?.action, ctx).toBe('keep');
        expect(
          withNewest.map((d) => d.backup),
          ctx,
        ).toEqual([newest.backup]);
      } else {
        expect(withNewest, ctx).toEqual([]);
      }

      // Incomplete backups: kept iff within grace, whatever else.
      for (const e of backups.filter((x) => !x.complete)) {
        const age = NOW.getTime() - e.time.getTime();
        expect(byName.get(e.backup)?.action, ctx).toBe(age > r.incompleteGraceMs ? 'delete' : 'keep');
      }

      // Exempt one-offs are always kept.
      for (const e of backups.filter((x) => x.complete && x.oneOff && r.keepOneOff)) {
        expect(byName.get(e.backup)?.action, ctx).toBe('keep');
      }

      // Counted backups: exactly the documented rule, checked against an independent oracle.
      const counted = sorted.filter((e) => e.complete && !(e.oneOff && r.keepOneOff));
      const tierPicks = oracleTierPicks(counted, r.tiers);
      counted.forEach((e, i) => {
        const expired = r.ttlMs !== undefined && NOW.getTime() - e.time.getTime() > r.ttlMs;
        const expected = e === newest || (!expired && (i < r.keep || tierPicks.has(e.backup)));
        expect(byName.get(e.backup)?.action, `${ctx} ${e.backup}`).toBe(expected ? 'keep' : 'delete');
      });

      // At most keep backups are kept for within-keep; kept counted backups are bounded by keep plus the tiers.
      const kept = result.backups.filter((d) => d.action === 'keep');
      expect(kept.filter((d) => d.reasons.some((x) => x === 'within-keep')).length, ctx).toBeLessThanOrEqual(r.keep);
      const tierTotal = TIERS.reduce((sum, t) => sum + (r.tiers?.[t] ?? 0), 0);
      const keptCounted = kept.filter((d) => counted.some((e) => e.backup === d.backup));
      expect(keptCounted.length, ctx).toBeLessThanOrEqual(Math.max(r.keep + tierTotal, 1));
      for (const d of keptCounted) {
        expect(
          d.reasons.some((x) => x === 'within-keep' || x === 'newest-complete' || x.startsWith('tier-')),
          ctx,
        ).toBe(true);
      }

      // With any complete backup present, at least one complete backup survives.
      if (newest)
        expect(
          kept.some((d) => entry.get(d.backup)?.complete),
          ctx,
        ).toBe(true);

      // Without ttl, the keep newest counted backups are all kept.
      if (r.ttlMs === undefined) {
        for (const e of counted.slice(0, r.keep)) expect(byName.get(e.backup)?.action, ctx).toBe('keep');
      }

      // Nothing kept is older than ttl except the newest complete one and exempt one-offs.
      if (r.ttlMs !== undefined) {
        for (const d of kept) {
          const e = entry.get(d.backup)!;
          if (!e.complete || e === newest || (e.oneOff && r.keepOneOff)) continue;
          expect(NOW.getTime() - e.time.getTime(), ctx).toBeLessThanOrEqual(r.ttlMs);
        }
      }

      // Uploads: aborted iff older than grace, newest first.
      const expectedAborts = uploads.filter((u) => NOW.getTime() - u.initiated.getTime() > r.incompleteGraceMs);
      expect(result.abortUploads.length, ctx).toBe(expectedAborts.length);
      for (let i = 1; i < result.abortUploads.length; i++) {
        const prev = uploads.find((u) => u.key === result.abortUploads[i - 1]!.key)!;
        const cur = uploads.find((u) => u.key === result.abortUploads[i]!.key)!;
        expect(prev.initiated.getTime(), ctx).toBeGreaterThanOrEqual(cur.initiated.getTime());
      }
    }
  });

  it('do not depend on input order', () => {
    for (const seed of SEEDS) {
      const { backups, uploads, rules: r } = scenario(seed);
      const rand = prng(seed * 7919);
      expect(planRetention(shuffle(backups, rand), shuffle(uploads, rand), r, NOW), `seed ${seed}`).toEqual(
        planRetention(backups, uploads, r, NOW),
      );
    }
  });

  it('only ever keep more with more keep, more tiers, or no ttl', () => {
    const keptSet = (p: RetentionPlan) => new Set(keptNames(p));
    for (const seed of SEEDS) {
      const { backups, rules: r } = scenario(seed);
      const base = keptSet(planRetention(backups, [], r, NOW));
      const variants: RetentionRules[] = [
        { ...r, keep: r.keep + 3 },
        { ...r, tiers: Object.fromEntries(TIERS.map((t) => [t, (r.tiers?.[t] ?? 0) + 2])) },
        { ...r, ttlMs: undefined },
        { ...r, incompleteGraceMs: r.incompleteGraceMs + D },
        { ...r, keepOneOff: true },
      ];
      for (const variant of variants) {
        const larger = keptSet(planRetention(backups, [], variant, NOW));
        for (const name of base) expect(larger.has(name), `seed ${seed}: ${JSON.stringify(variant)}`).toBe(true);
      }
    }
  });

  it('are deterministic: the same input gives the same plan', () => {
    for (const seed of SEEDS.slice(0, 50)) {
      const { backups, uploads, rules: r } = scenario(seed);
      expect(planRetention(backups, uploads, r, NOW)).toEqual(planRetention(backups, uploads, r, NOW));
    }
  });
});
