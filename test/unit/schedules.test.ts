import { describe, expect, it } from 'vitest';
import { etcdBackupPolicySchema, type EtcdBackupPolicy, type LifeboatConfig } from '../../core/config/schema.js';
import {
  desiredSchedules,
  etcdBackupSchedule,
  isLifeboatSchedule,
  planSchedules,
  type DesiredSchedule,
} from '../../core/schedules.js';

const policy = (fields: Record<string, unknown> = {}): EtcdBackupPolicy =>
  etcdBackupPolicySchema.parse({
    name: 'hourly',
    cluster: 'demo',
    location: 'main',
    schedule: { cron: '0 * * * *' },
    ...fields,
  });

const config = (...etcdBackups: EtcdBackupPolicy[]) => ({ etcdBackups }) as unknown as LifeboatConfig;

describe('etcdBackupSchedule', () => {
  it('starts an etcdBackup workflow for the policy, with the etcd-backup kind', () => {
    const schedule = etcdBackupSchedule(policy())!;
    expect(schedule).toMatchObject({
      id: 'etcd-backup/demo/hourly',
      cluster: 'demo',
      policy: 'hourly',
      kind: 'etcd-backup',
      workflowType: 'etcdBackup',
      args: [{ cluster: 'demo', policy: 'hourly' }],
      cron: '0 * * * *',
      timezone: 'UTC',
      jitterMs: undefined,
      catchupWindowMs: 3_600_000,
      summary: 'etcd backup of demo (hourly) to main',
    });
  });

  it('converts jitter and the catch-up window to milliseconds', () => {
    const schedule = etcdBackupSchedule(
      policy({ schedule: { cron: '@daily', timezone: 'Europe/Berlin', jitter: '5m', catchupWindow: '2h' } }),
    )!;
    expect(schedule).toMatchObject({
      cron: '@daily',
      timezone: 'Europe/Berlin',
      jitterMs: 300_000,
      catchupWindowMs: 7_200_000,
    });
  });

  it('is undefined for a one-off policy', () => {
    expect(etcdBackupSchedule(policy({ schedule: undefined }))).toBeUndefined();
  });

  it("fingerprints the schedule and the policy's whole definition, in a stable form", () => {
    const p = policy();
    const { fingerprint, ...schedule } = etcdBackupSchedule(p)!;
    // The form schedules already in Temporal carry: a different one would make the next apply update them all.
    expect(fingerprint).toBe(
      JSON.stringify({
        id: schedule.id,
        cluster: schedule.cluster,
        policy: p,
        kind: schedule.kind,
        workflowType: schedule.workflowType,
        args: schedule.args,
        cron: schedule.cron,
        timezone: schedule.timezone,
        jitterMs: schedule.jitterMs,
        catchupWindowMs: schedule.catchupWindowMs,
        summary: schedule.summary,
      }),
    );
  });

  it('changes the fingerprint when anything in the policy changes, retention included', () => {
    const base = etcdBackupSchedule(policy())!.fingerprint;
    expect(etcdBackupSchedule(policy({ keep: 3 }))!.fingerprint).not.toBe(base);
    expect(etcdBackupSchedule(policy({ location: 'other' }))!.fingerprint).not.toBe(base);
    expect(etcdBackupSchedule(policy({ schedule: { cron: '30 * * * *' } }))!.fingerprint).not.toBe(base);
    expect(etcdBackupSchedule(policy())!.fingerprint).toBe(base);
  });
});

describe('desiredSchedules', () => {
  it('has one schedule per scheduled etcd policy, in config order, and none for one-off policies', () => {
    const schedules = desiredSchedules(
      config(policy({ name: 'b' }), policy({ name: 'once', schedule: undefined }), policy({ name: 'a' })),
    );
    expect(schedules.map((s) => s.id)).toEqual(['etcd-backup/demo/b', 'etcd-backup/demo/a']);
  });

  it('is empty without policies', () => {
    expect(desiredSchedules(config())).toEqual([]);
  });
});

describe('isLifeboatSchedule', () => {
  it.each([
    ['etcd-backup/demo/hourly', true],
    ['resource-backup/demo/nightly', true],
    ['etcd-backup', false],
    ['someone-elses/schedule', false],
    ['xetcd-backup/demo/hourly', false],
  ])('%s: %s', (id, owned) => {
    expect(isLifeboatSchedule(id)).toBe(owned);
  });
});

describe('planSchedules', () => {
  const want = (name: string, fields: Record<string, unknown> = {}): DesiredSchedule =>
    etcdBackupSchedule(policy({ name, ...fields }))!;

  it('creates what is missing, updates what changed, keeps what is the same, deletes what is gone', () => {
    const keep = want('same');
    const changed = want('changed', { keep: 2 });
    const added = want('added');
    const plan = planSchedules(
      [keep, changed, added],
      [
        { id: keep.id, fingerprint: keep.fingerprint },
        { id: changed.id, fingerprint: want('changed').fingerprint },
        { id: 'etcd-backup/demo/removed', fingerprint: 'x' },
        { id: 'etcd-backup/demo/also-removed', fingerprint: undefined },
      ],
    );
    expect(plan).toEqual({
      create: [added],
      update: [changed],
      delete: ['etcd-backup/demo/also-removed', 'etcd-backup/demo/removed'],
      unchanged: [keep.id],
    });
  });

  it('updates a schedule that carries no fingerprint (not made by apply)', () => {
    const s = want('hourly');
    expect(planSchedules([s], [{ id: s.id, fingerprint: undefined }]).update).toEqual([s]);
  });

  it('leaves schedules Lifeboat does not own alone', () => {
    const plan = planSchedules([], [{ id: 'nightly-report', fingerprint: undefined }]);
    expect(plan).toEqual({ create: [], update: [], delete: [], unchanged: [] });
  });
});
