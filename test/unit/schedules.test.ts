import { describe, expect, it } from 'vitest';
import {
  etcdBackupPolicySchema,
  resourceBackupPolicySchema,
  type EtcdBackupPolicy,
  type LifeboatConfig,
  type ResourceBackupPolicy,
} from '../../core/config/schema.js';
import {
  desiredSchedules,
  etcdBackupSchedule,
  isLifeboatSchedule,
  planSchedules,
  resourceBackupSchedule,
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

const resourcePolicy = (fields: Record<string, unknown> = {}): ResourceBackupPolicy =>
  resourceBackupPolicySchema.parse({
    name: 'objects',
    cluster: 'demo',
    location: 'main',
    schedule: { cron: '30 2 * * *' },
    includedNamespaces: ['shop-*'],
    ...fields,
  });

const config = (...etcdBackups: EtcdBackupPolicy[]) =>
  ({ etcdBackups, resourceBackups: [], acmBackups: [] }) as unknown as LifeboatConfig;

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

describe('resourceBackupSchedule', () => {
  it('starts a resourceBackup workflow for the policy, with the resource-backup kind and its own id', () => {
    const { fingerprint, ...schedule } = resourceBackupSchedule(resourcePolicy())!;
    expect(schedule).toEqual({
      id: 'resource-backup/demo/objects',
      cluster: 'demo',
      policy: 'objects',
      kind: 'resource-backup',
      workflowType: 'resourceBackup',
      args: [{ cluster: 'demo', policy: 'objects' }],
      cron: '30 2 * * *',
      timezone: 'UTC',
      jitterMs: undefined,
      catchupWindowMs: 3_600_000,
      summary: 'resource backup of demo (objects) to main',
    });
    // The same form as etcd's: the schedule with the policy's whole definition in place of its name.
    expect(fingerprint).toBe(JSON.stringify({ ...schedule, policy: resourcePolicy() }));
  });

  it('converts jitter, timezone and the catch-up window as for etcd', () => {
    const schedule = resourceBackupSchedule(
      resourcePolicy({ schedule: { cron: '@hourly', timezone: 'Asia/Tokyo', jitter: '30s', catchupWindow: '10m' } }),
    )!;
    expect(schedule).toMatchObject({
      cron: '@hourly',
      timezone: 'Asia/Tokyo',
      jitterMs: 30_000,
      catchupWindowMs: 600_000,
    });
  });

  it('is undefined for a one-off policy', () => {
    expect(resourceBackupSchedule(resourcePolicy({ schedule: undefined }))).toBeUndefined();
  });

  it('changes the fingerprint when the filters, retention or location change, and only then', () => {
    const base = resourceBackupSchedule(resourcePolicy())!.fingerprint;
    expect(JSON.parse(base)).toMatchObject({ policy: resourcePolicy(), workflowType: 'resourceBackup' });
    expect(resourceBackupSchedule(resourcePolicy({ excludedResources: ['secrets'] }))!.fingerprint).not.toBe(base);
    expect(resourceBackupSchedule(resourcePolicy({ labelSelector: 'app=web' }))!.fingerprint).not.toBe(base);
    expect(resourceBackupSchedule(resourcePolicy({ keep: 3 }))!.fingerprint).not.toBe(base);
    expect(resourceBackupSchedule(resourcePolicy({ location: 'other' }))!.fingerprint).not.toBe(base);
    expect(resourceBackupSchedule(resourcePolicy())!.fingerprint).toBe(base);
  });

  it('differs from the schedule of an etcd policy of the same name', () => {
    const etcd = etcdBackupSchedule(policy({ name: 'same' }))!;
    const resources = resourceBackupSchedule(resourcePolicy({ name: 'same' }))!;
    expect(resources.id).not.toBe(etcd.id);
    expect(resources.fingerprint).not.toBe(etcd.fingerprint);
  });
});

describe('desiredSchedules', () => {
  it('has one schedule per scheduled etcd policy, in config order, and none for one-off policies', () => {
    const schedules = desiredSchedules(
      config(policy({ name: 'b' }), policy({ name: 'once', schedule: undefined }), policy({ name: 'a' })),
    );
    expect(schedules.map((s) => s.id)).toEqual(['etcd-backup/demo/b', 'etcd-backup/demo/a']);
  });

  it("has the scheduled resource policies' schedules after the etcd ones, in config order", () => {
    const schedules = desiredSchedules({
      etcdBackups: [policy({ name: 'etcd' })],
      resourceBackups: [
        resourcePolicy({ name: 'z' }),
        resourcePolicy({ name: 'manual', schedule: undefined }),
        resourcePolicy({ name: 'a', cluster: 'hub' }),
      ],
      acmBackups: [],
    } as unknown as LifeboatConfig);
    expect(schedules.map((s) => [s.id, s.workflowType])).toEqual([
      ['etcd-backup/demo/etcd', 'etcdBackup'],
      ['resource-backup/demo/z', 'resourceBackup'],
      ['resource-backup/hub/a', 'resourceBackup'],
    ]);
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

  it('plans resource schedules like etcd ones: created, updated, and deleted when their policy is gone', () => {
    const added = resourceBackupSchedule(resourcePolicy({ name: 'added' }))!;
    const changed = resourceBackupSchedule(resourcePolicy({ name: 'changed', keep: 2 }))!;
    const plan = planSchedules(
      [added, changed],
      [
        { id: changed.id, fingerprint: resourceBackupSchedule(resourcePolicy({ name: 'changed' }))!.fingerprint },
        { id: 'resource-backup/demo/removed', fingerprint: 'x' },
      ],
    );
    expect(plan).toEqual({
      create: [added],
      update: [changed],
      delete: ['resource-backup/demo/removed'],
      unchanged: [],
    });
  });

  it('leaves schedules Lifeboat does not own alone', () => {
    const plan = planSchedules([], [{ id: 'nightly-report', fingerprint: undefined }]);
    expect(plan).toEqual({ create: [], update: [], delete: [], unchanged: [] });
  });
});
