import { describe, expect, it } from 'vitest';
import {
  backupName,
  compactUtc,
  isValidName,
  NAME_RULE,
  parseBackupName,
  SCHEDULE_ID_PREFIXES,
  scheduleIds,
  TASK_QUEUE,
  workflowIds,
} from '../../core/naming.js';

describe('TASK_QUEUE', () => {
  it('is "lifeboat"', () => {
    expect(TASK_QUEUE).toBe('lifeboat');
  });
});

describe('isValidName', () => {
  it.each(['a', '0', 'prod', 'prod-eu-1', 'a-b-c', '1a', 'a1', 'x'.repeat(63)])('accepts %j', (name) => {
    expect(isValidName(name)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['uppercase', 'Prod'],
    ['leading dash', '-prod'],
    ['trailing dash', 'prod-'],
    ['only a dash', '-'],
    ['underscore', 'prod_eu'],
    ['dot', 'prod.eu'],
    ['slash', 'prod/eu'],
    ['space', 'prod eu'],
    ['leading space', ' prod'],
    ['trailing newline', 'prod\n'],
    ['non-ASCII letter', 'prodé'],
    ['64 characters', 'x'.repeat(64)],
  ])('rejects %s', (_, name) => {
    expect(isValidName(name)).toBe(false);
  });

  it('allows exactly 63 characters with dashes inside', () => {
    const name = 'a' + '-'.repeat(61) + 'b';
    expect(name).toHaveLength(63);
    expect(isValidName(name)).toBe(true);
    expect(isValidName(name + 'c')).toBe(false);
  });

  it('describes the rule in NAME_RULE', () => {
    expect(NAME_RULE).toContain('at most 63 characters');
  });
});

describe('compactUtc', () => {
  it('formats an instant as UTC yyyymmddhhmmss', () => {
    expect(compactUtc(new Date('2024-03-05T07:08:09Z'))).toBe('20240305070809');
  });

  it('drops milliseconds (truncates, never rounds up)', () => {
    expect(compactUtc(new Date('2024-03-05T07:08:09.999Z'))).toBe('20240305070809');
  });

  it('uses UTC, not the offset the instant was written with', () => {
    expect(compactUtc(new Date('2024-03-05T01:00:00+02:00'))).toBe('20240304230000');
  });

  it('formats the epoch', () => {
    expect(compactUtc(new Date(0))).toBe('19700101000000');
  });

  it('zero-pads every field', () => {
    expect(compactUtc(new Date(Date.UTC(2001, 0, 2, 3, 4, 5)))).toBe('20010102030405');
  });
});

describe('backupName', () => {
  it('is <policy>-<UTC yyyymmddhhmmss> of the nominal time', () => {
    expect(backupName('nightly', new Date('2024-03-05T07:08:09Z'))).toBe('nightly-20240305070809');
  });

  it('depends only on its inputs (same inputs, same name)', () => {
    const t = new Date('2024-12-31T23:59:59.500Z');
    expect(backupName('hourly', t)).toBe(backupName('hourly', new Date(t.getTime())));
    expect(backupName('hourly', t)).toBe('hourly-20241231235959');
  });

  it('is a valid name for a short policy', () => {
    expect(isValidName(backupName('nightly', new Date('2024-03-05T07:08:09Z')))).toBe(true);
  });
});

describe('parseBackupName', () => {
  it('parses a name produced by backupName', () => {
    expect(parseBackupName('nightly-20240305070809')).toEqual({
      policy: 'nightly',
      time: new Date('2024-03-05T07:08:09Z'),
    });
  });

  it.each([
    '2024-03-05T07:08:09Z',
    '2024-02-29T12:00:00Z', // leap day
    '2000-02-29T00:00:00Z', // leap day in a century divisible by 400
    '2023-12-31T23:59:59Z',
    '2024-01-01T00:00:00Z',
    '1970-01-01T00:00:00Z',
    '9999-12-31T23:59:59Z',
  ])('round-trips backupName at %s', (iso) => {
    const time = new Date(iso);
    expect(parseBackupName(backupName('my-policy', time))).toEqual({ policy: 'my-policy', time });
  });

  it('round-trips to the whole second (milliseconds are not part of the name)', () => {
    const parsed = parseBackupName(backupName('p', new Date('2024-03-05T07:08:09.750Z')));
    expect(parsed?.time.toISOString()).toBe('2024-03-05T07:08:09.000Z');
  });

  it('keeps dashes in the policy: only the last 14 digits are the time', () => {
    expect(parseBackupName('etcd-prod-eu-1-20240305070809')?.policy).toBe('etcd-prod-eu-1');
  });

  it('treats an earlier timestamp-like part as part of the policy', () => {
    expect(parseBackupName('x-20230101000000-20240305070809')).toEqual({
      policy: 'x-20230101000000',
      time: new Date('2024-03-05T07:08:09Z'),
    });
  });

  it.each([
    ['month 13', 'nightly-20241301000000'],
    ['month 00', 'nightly-20240001000000'],
    ['day 00', 'nightly-20240100000000'],
    ['day 32', 'nightly-20240132000000'],
    ['Feb 30', 'nightly-20240230000000'],
    ['Feb 29 in a non-leap year', 'nightly-20230229000000'],
    ['Feb 29 in 1900 (not a leap year)', 'nightly-19000229000000'],
    ['April 31', 'nightly-20240431000000'],
    ['hour 24', 'nightly-20240305240000'],
    ['minute 60', 'nightly-20240305076000'],
    ['second 60', 'nightly-20240305070860'],
  ])('rejects an impossible date: %s', (_, name) => {
    expect(parseBackupName(name)).toBeUndefined();
  });

  it.each([
    ['no timestamp', 'nightly'],
    ['empty string', ''],
    ['timestamp only', '20240305070809'],
    ['empty policy', '-20240305070809'],
    ['13 digits', 'nightly-2024030507080'],
    ['15 digits', 'nightly-202403050708090'],
    ['non-digit in timestamp', 'nightly-2024030507080a'],
    ['underscore separator', 'nightly_20240305070809'],
    ['trailing text', 'nightly-20240305070809-x'],
    ['trailing newline', 'nightly-20240305070809\n'],
    ['ISO timestamp', 'nightly-2024-03-05T07:08:09Z'],
  ])('returns undefined for a name that is not ours: %s', (_, name) => {
    expect(parseBackupName(name)).toBeUndefined();
  });
});

describe('workflowIds', () => {
  it('etcdBackup is etcd-backup/<cluster>/<policy>/<backup>', () => {
    expect(workflowIds.etcdBackup('prod', 'nightly', 'nightly-20240305070809')).toBe(
      'etcd-backup/prod/nightly/nightly-20240305070809',
    );
  });

  it('etcdRestore is etcd-restore/<cluster>: one restore per cluster at a time', () => {
    expect(workflowIds.etcdRestore('prod')).toBe('etcd-restore/prod');
  });

  it('retention is retention/<cluster>/<policy>', () => {
    expect(workflowIds.retention('prod', 'nightly')).toBe('retention/prod/nightly');
  });

  it('storageCheck is storage-check/<location>', () => {
    expect(workflowIds.storageCheck('primary')).toBe('storage-check/primary');
  });

  it('the backup workflow id is derived from the nominal time, so it is stable across retries', () => {
    const t = new Date('2024-03-05T07:00:00Z');
    const a = workflowIds.etcdBackup('prod', 'hourly', backupName('hourly', t));
    const b = workflowIds.etcdBackup('prod', 'hourly', backupName('hourly', new Date(t.getTime())));
    expect(a).toBe(b);
    expect(a).not.toBe(
      workflowIds.etcdBackup('prod', 'hourly', backupName('hourly', new Date('2024-03-05T08:00:00Z'))),
    );
  });
});

describe('scheduleIds', () => {
  it('etcdBackup is etcd-backup/<cluster>/<policy>', () => {
    expect(scheduleIds.etcdBackup('prod', 'nightly')).toBe('etcd-backup/prod/nightly');
  });

  it('resourceBackup is resource-backup/<cluster>/<policy>', () => {
    expect(scheduleIds.resourceBackup('prod', 'nightly')).toBe('resource-backup/prod/nightly');
  });

  it('every schedule id starts with one of SCHEDULE_ID_PREFIXES', () => {
    expect(SCHEDULE_ID_PREFIXES).toEqual(['etcd-backup/', 'resource-backup/', 'acm-backup/']);
    for (const id of [scheduleIds.etcdBackup('c', 'p'), scheduleIds.resourceBackup('c', 'p')]) {
      expect(SCHEDULE_ID_PREFIXES.some((prefix) => id.startsWith(prefix))).toBe(true);
    }
  });

  it('differs between the etcd and resource schedules of the same policy', () => {
    expect(scheduleIds.etcdBackup('prod', 'nightly')).not.toBe(scheduleIds.resourceBackup('prod', 'nightly'));
  });
});
