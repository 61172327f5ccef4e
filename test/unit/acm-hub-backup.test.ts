import { describe, expect, it } from 'vitest';
import { acmRetentionRules, checkCollision, collisionNote, hubId, setEntries } from '../../core/acm/hub-backup.js';
import { acmTypedPolicy, backupName } from '../../core/naming.js';
import { planRetention, rulesFromPolicy, type BackupEntry } from '../../core/retention.js';

// The pure decisions of an ACM hub backup set (issue 15): the hub's id, collisions, retention by whole sets.

describe('hubId', () => {
  it("is the ClusterVersion's id where there is one, else the kube-system namespace's uid", () => {
    expect(hubId({ clusterVersionId: 'c0ffee', kubeSystemUid: 'u-1' })).toBe('c0ffee');
    expect(hubId({ kubeSystemUid: '0b5e2c3a-1111-2222-3333-444455556666' })).toBe(
      'kube-system-0b5e2c3a-1111-2222-3333-444455556666',
    );
    expect(hubId({ clusterVersionId: '', kubeSystemUid: 'u-1' })).toBe('kube-system-u-1');
    expect(hubId({})).toBeUndefined();
  });
});

describe('checkCollision', () => {
  const set = (hour: number, hub: string) => ({ set: new Date(Date.UTC(2026, 11, 3, hour)).toISOString(), hub });

  it('is none for a first backup, for a hub whose set is newest, and for a takeover (no set of this hub yet)', () => {
    expect(checkCollision([], 'a')).toEqual({ collision: false });
    expect(checkCollision([set(2, 'a'), set(1, 'b')], 'a')).toEqual({ collision: false });
    expect(checkCollision([set(2, 'b'), set(1, 'b')], 'a')).toEqual({ collision: false });
  });

  it("is one when another hub's set is newer than this hub's newest, in whatever order they come", () => {
    const check = checkCollision([set(1, 'a'), set(3, 'b'), set(2, 'a')], 'a');
    expect(check).toEqual({ collision: true, other: 'b', otherSet: set(3, 'b').set, ownSet: set(2, 'a').set });
    if (!check.collision) return;
    const note = collisionNote('a', check);
    expect(note).toMatch(/^BackupCollision: hub b wrote set .* after this hub \(a\) wrote set /);
    expect(note).toContain('lifeboat schedules resume');
  });
});

describe('retention by set', () => {
  const at = (hour: number) => new Date(Date.UTC(2026, 11, 3, hour));
  const typed = (hour: number, type: string, complete = true): BackupEntry => ({
    backup: backupName(acmTypedPolicy('acm', type), at(hour)),
    time: at(hour),
    complete,
    oneOff: false,
  });
  const TYPES = ['credentials', 'managed-clusters', 'resources-generic', 'resources'];
  const fullSet = (hour: number) => TYPES.map((t) => typed(hour, t));
  const rules = (policy: { maxBackups?: number; ttl?: string }) =>
    rulesFromPolicy(acmRetentionRules({ ...policy, incompleteGracePeriod: '24h' }));

  it('groups the typed backups of one time into one complete set', () => {
    const { sets, members } = setEntries([...fullSet(1), ...fullSet(2)]);
    expect(sets.map((s) => [s.backup, s.complete])).toEqual([
      [at(1).toISOString(), true],
      [at(2).toISOString(), true],
    ]);
    expect(members.get(at(2).toISOString())).toEqual(fullSet(2).map((b) => b.backup));
  });

  it('counts whole sets for maxBackups and deletes every type of a set beyond it', () => {
    const { sets, members } = setEntries([...fullSet(1), ...fullSet(2), ...fullSet(3)]);
    const plan = planRetention(sets, [], rules({ maxBackups: 2 }), at(4));
    const deleted = plan.backups.filter((d) => d.action === 'delete').flatMap((d) => members.get(d.backup)!);
    expect(deleted).toEqual(fullSet(1).map((b) => b.backup));
  });

  it('counts sets taken by backup now (one-off) toward maxBackups, as the operator counts every backup', () => {
    const oneOffSet = (hour: number) => fullSet(hour).map((b) => ({ ...b, oneOff: true }));
    const { sets, members } = setEntries([...fullSet(1), ...oneOffSet(2), ...oneOffSet(3)]);
    expect(sets.map((s) => s.oneOff)).toEqual([false, true, true]);
    const plan = planRetention(sets, [], rules({ maxBackups: 2 }), at(4));
    const deleted = plan.backups.filter((d) => d.action === 'delete').flatMap((d) => members.get(d.backup)!);
    expect(deleted).toEqual(fullSet(1).map((b) => b.backup));
  });

  it('treats a set with a typed backup still uploading as incomplete: not counted, not deleted within grace', () => {
    const { sets } = setEntries([...fullSet(1), ...fullSet(2).slice(0, 3), typed(2, 'resources', false)]);
    expect(sets.find((s) => s.time.getTime() === at(2).getTime())!.complete).toBe(false);
    const plan = planRetention(sets, [], rules({ maxBackups: 1 }), at(3));
    expect(plan.backups.map((d) => d.action)).toEqual(['keep', 'keep']);
  });

  it('without maxBackups only the TTL deletes, and never the newest set', () => {
    const { sets } = setEntries([...fullSet(1), ...fullSet(2), ...fullSet(30)]);
    const none = planRetention(sets, [], rules({}), at(31));
    expect(none.backups.every((d) => d.action === 'keep')).toBe(true);
    const ttl = planRetention(sets, [], rules({ ttl: '12h' }), at(31));
    expect(ttl.backups.filter((d) => d.action === 'delete').map((d) => d.backup)).toEqual([
      at(2).toISOString(),
      at(1).toISOString(),
    ]);
    const all = planRetention(setEntries(fullSet(1)).sets, [], rules({ ttl: '1h' }), at(48));
    expect(all.backups.map((d) => d.action)).toEqual(['keep']);
  });
});
