import { describe, expect, it } from 'vitest';
import { backupScheduleFields, expandBackupSchedules, type ReadReference } from '../../core/acm/backup-schedule.js';
import { validateConfig } from '../../core/config/parse.js';
import { acmBackupSchedule, desiredSchedules } from '../../core/schedules.js';
import { configOf, issuesOf, onlyIssue } from './config-results.js';

// ACM hub backup policies (issue 15): acmBackups[] in lifeboat.yaml, ACM's BackupSchedule manifests mapped into them,
// and the schedules `apply` makes of them.

type Obj = Record<string, unknown>;

function doc(acm: Obj = {}, top: Obj = {}): Obj {
  return {
    apiVersion: 'lifeboat.dev/v1alpha1',
    kind: 'LifeboatConfig',
    storageLocations: [
      {
        name: 'primary',
        endpoint: 'https://s3.example.com',
        bucket: 'backups',
        credentials: { accessKeyIdEnv: 'AWS_ACCESS_KEY_ID', secretAccessKeyEnv: 'AWS_SECRET_ACCESS_KEY' },
      },
    ],
    clusters: [
      { name: 'hub', kubernetes: { kubeconfig: '/etc/hub.kubeconfig' } },
      { name: 'tenant', etcd: { statefulSet: { namespace: 't', name: 'etcd' } } },
    ],
    acmBackups: [{ name: 'acm', cluster: 'hub', location: 'primary', schedule: { cron: '0 */2 * * *' }, ...acm }],
    ...top,
  };
}

const BACKUP_SCHEDULE = {
  apiVersion: 'cluster.open-cluster-management.io/v1beta1',
  kind: 'BackupSchedule',
  metadata: { name: 'schedule-acm', namespace: 'open-cluster-management-backup' },
  spec: { veleroSchedule: '0 */1 * * *', veleroTtl: '120h', maxBackups: 10 },
};

const reading =
  (files: Record<string, unknown>): ReadReference =>
  (path) =>
    path in files ? { ok: true, document: files[path] } : { ok: false, error: 'ENOENT' };

describe('acmBackups', () => {
  it('parses with its defaults', () => {
    const config = configOf(validateConfig(doc()));
    expect(config.acmBackups).toEqual([
      {
        name: 'acm',
        cluster: 'hub',
        location: 'primary',
        schedule: { cron: '0 */2 * * *', timezone: 'UTC', catchupWindow: '1h' },
        paused: false,
        noBackupOnStart: false,
        scheduleNamespace: 'open-cluster-management-backup',
        incompleteGracePeriod: '24h',
      },
    ]);
  });

  it('needs a known cluster with an API and a known location', () => {
    const issues = issuesOf(validateConfig(doc({ cluster: 'nowhere', location: 'elsewhere' })));
    expect(issues.map((i) => i.path)).toEqual(['acmBackups[0].cluster', 'acmBackups[0].location']);
    expect(issues[0]!.message).toContain('unknown cluster "nowhere"');
    const tenant = onlyIssue(validateConfig(doc({ cluster: 'tenant' })));
    expect(tenant.path).toBe('acmBackups[0].cluster');
    expect(tenant.message).toContain('set clusters[1].api');
  });

  it('refuses maxBackups below 1, unknown fields and an invalid cron, all at once', () => {
    const issues = issuesOf(validateConfig(doc({ maxBackups: 0, veleroTtl: '1h', schedule: { cron: '61 * * * *' } })));
    expect(issues.map((i) => i.path).sort()).toEqual([
      'acmBackups[0]',
      'acmBackups[0].maxBackups',
      'acmBackups[0].schedule.cron',
    ]);
  });

  it('shares the policy names of the cluster with the other kinds, typed names included', () => {
    const same = onlyIssue(
      validateConfig(doc({}, { resourceBackups: [{ name: 'acm', cluster: 'hub', location: 'primary' }] })),
    );
    expect(same.path).toBe('acmBackups[0].name');
    expect(same.message).toContain('duplicate policy "hub/acm"');
    const typed = onlyIssue(
      validateConfig(doc({}, { resourceBackups: [{ name: 'acm-credentials', cluster: 'hub', location: 'primary' }] })),
    );
    expect(typed.path).toBe('acmBackups[0].name');
    expect(typed.message).toContain('its credentials backups are named acm-credentials-<time>');
    expect(typed.message).toContain('resourceBackups[0].name');
  });
});

describe('BackupSchedule manifests', () => {
  it('maps the fields users know', () => {
    expect(backupScheduleFields(BACKUP_SCHEDULE, 'f')).toEqual({
      ok: true,
      fields: {
        scheduleNamespace: 'open-cluster-management-backup',
        schedule: { cron: '0 */1 * * *' },
        ttl: '120h',
        maxBackups: 10,
      },
    });
  });

  it("takes robfig's CRON_TZ prefix as the timezone, Go durations as they are, skipImmediately as noBackupOnStart", () => {
    const result = backupScheduleFields(
      {
        ...BACKUP_SCHEDULE,
        spec: {
          veleroSchedule: 'CRON_TZ=Europe/Berlin 30 2 * * *',
          veleroTtl: '72h0m0s',
          skipImmediately: true,
          paused: true,
          useManagedServiceAccount: false,
        },
      },
      'f',
    );
    expect(result).toEqual({
      ok: true,
      fields: {
        scheduleNamespace: 'open-cluster-management-backup',
        schedule: { cron: '30 2 * * *', timezone: 'Europe/Berlin' },
        ttl: '72h0m0s',
        paused: true,
        noBackupOnStart: true,
      },
    });
  });

  it('refuses what Lifeboat does not do, and says why, with every problem at once', () => {
    const result = backupScheduleFields(
      {
        apiVersion: 'velero.io/v1',
        kind: 'Schedule',
        spec: {
          veleroTtl: '1.5h',
          maxBackups: 'ten',
          useManagedServiceAccount: true,
          volumeSnapshotLocations: ['default'],
          useOwnerReferencesInBackup: true,
          managedServiceAccountTTL: '24h',
          veleroSchedules: '0 * * * *',
        },
      },
      'schedule.yaml',
    );
    expect(result.ok).toBe(false);
    const issues = result.ok ? [] : result.issues;
    expect(issues.map((i) => i.path)).toEqual([
      'schedule.yaml: apiVersion',
      'schedule.yaml: kind',
      'schedule.yaml: spec.useManagedServiceAccount',
      'schedule.yaml: spec.volumeSnapshotLocations',
      'schedule.yaml: spec.useOwnerReferencesInBackup',
      'schedule.yaml: spec.managedServiceAccountTTL',
      'schedule.yaml: spec.veleroSchedules',
      'schedule.yaml: spec.veleroSchedule',
      'schedule.yaml: spec.veleroTtl',
      'schedule.yaml: spec.maxBackups',
    ]);
    expect(issues.find((i) => i.path.endsWith('useManagedServiceAccount'))!.message).toContain(
      'does not create ManagedServiceAccounts',
    );
    expect(issues.find((i) => i.path.endsWith('veleroSchedules'))!.message).toContain('fix the spelling');
  });

  it('fills a policy from the referenced file, which then validates as a whole', () => {
    const raw = doc({ schedule: undefined, backupSchedule: 'acm/schedule.yaml' });
    const config = configOf(validateConfig(raw, reading({ 'acm/schedule.yaml': BACKUP_SCHEDULE })));
    expect(config.acmBackups[0]).toMatchObject({
      backupSchedule: 'acm/schedule.yaml',
      schedule: { cron: '0 */1 * * *', timezone: 'UTC' },
      ttl: '120h',
      maxBackups: 10,
    });
    expect(desiredSchedules(config).map((s) => s.id)).toEqual(['acm-backup/hub/acm']);
  });

  it("reports a field set in both places, a file that cannot be read, and the file's invalid cron", () => {
    const both = onlyIssue(validateConfig(doc({ backupSchedule: 'b.yaml' }), reading({ 'b.yaml': BACKUP_SCHEDULE })));
    expect(both).toEqual({
      path: 'acmBackups[0].schedule',
      message: 'is set here and by the BackupSchedule in b.yaml; keep one of the two',
    });
    const missing = onlyIssue(validateConfig(doc({ backupSchedule: 'gone.yaml' }), reading({})));
    expect(missing.path).toBe('acmBackups[0].backupSchedule');
    expect(missing.message).toContain('cannot read gone.yaml: ENOENT');
    const badCron = onlyIssue(
      validateConfig(
        doc({ schedule: undefined, backupSchedule: 'c.yaml' }),
        reading({ 'c.yaml': { ...BACKUP_SCHEDULE, spec: { veleroSchedule: 'every hour' } } }),
      ),
    );
    expect(badCron.path).toBe('acmBackups[0].schedule.cron');
    expect(badCron.message).toContain('is not a valid cron expression');
  });

  it('leaves documents without references alone, and cannot follow one without files', () => {
    const plain = doc();
    expect(expandBackupSchedules(plain, reading({}))).toEqual({ document: plain, issues: [] });
    const issue = onlyIssue(validateConfig(doc({ backupSchedule: 'x.yaml' })));
    expect(issue.message).toContain('not loaded from a file');
  });
});

describe('acmBackupSchedule', () => {
  const policy = (over: Obj = {}) => configOf(validateConfig(doc(over))).acmBackups[0]!;

  it('starts acmBackup runs and takes a first set at once, as the operator does', () => {
    expect(acmBackupSchedule(policy())).toMatchObject({
      id: 'acm-backup/hub/acm',
      kind: 'acm-backup',
      workflowType: 'acmBackup',
      args: [{ cluster: 'hub', policy: 'acm' }],
      cron: '0 */2 * * *',
      paused: false,
      backupOnStart: true,
    });
  });

  it('is created paused, or without a first set, as the policy says; none without a schedule', () => {
    expect(acmBackupSchedule(policy({ paused: true }))).toMatchObject({ paused: true, backupOnStart: false });
    expect(acmBackupSchedule(policy({ noBackupOnStart: true }))).toMatchObject({ paused: false, backupOnStart: false });
    expect(acmBackupSchedule(policy({ schedule: undefined }))).toBeUndefined();
  });

  it('changes its fingerprint when the policy changes (apply updates it)', () => {
    expect(acmBackupSchedule(policy({ maxBackups: 3 }))!.fingerprint).not.toBe(
      acmBackupSchedule(policy())!.fingerprint,
    );
  });
});
