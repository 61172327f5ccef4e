import { describe, expect, it } from 'vitest';
import { etcdBackupPolicySchema } from '../../core/config/schema.js';

// Retention's tiers are validated once, by the config schema; core/retention maps what it accepted. These are the
// cases rulesFromPolicy used to re-check when tiers were not in the schema yet.
describe("a policy's retention tiers, as the config schema checks them", () => {
  const parse = (tiers: unknown) =>
    etcdBackupPolicySchema.safeParse({ name: 'nightly', cluster: 'prod', location: 'main', tiers });

  it.each<[string, unknown]>([
    ['a string', 'daily'],
    ['an array', [1, 2]],
    ['an unknown tier', { daily: 1, yearly: 2 }],
    ['a string count', { daily: '7' }],
    ['a negative count', { weekly: -1 }],
    ['a fractional count', { monthly: 1.5 }],
    ['null', null],
  ])('refuses tiers that are %s', (_, tiers) => {
    const result = parse(tiers);
    expect(result.success).toBe(false);
    expect(result.error!.issues.every((issue) => issue.path[0] === 'tiers')).toBe(true);
  });

  it.each([{}, { hourly: 24 }, { daily: 7, monthly: 12 }, { hourly: 0, daily: 0, weekly: 0, monthly: 0 }])(
    'accepts %j',
    (tiers) => {
      const result = parse(tiers);
      expect(result.success).toBe(true);
      expect(result.data!.tiers).toEqual(tiers);
    },
  );
});
