import { describe, expect, it } from 'vitest';
import { retentionPlanText } from '../../client/commands/retention-run.js';
import { CliError, ExitCode } from '../../client/exit-codes.js';
import { resolveAnyPolicy } from '../../client/targets.js';
import { validateConfig } from '../../core/config/parse.js';
import type { RetentionPlan } from '../../core/retention.js';

// `lifeboat retention plan|run` for both kinds of policy: which policy a target names, and what the plan prints.

const parsed = validateConfig({
  apiVersion: 'lifeboat.dev/v1alpha1',
  kind: 'LifeboatConfig',
  storageLocations: [
    {
      name: 's3',
      endpoint: 'https://s3.example.com',
      bucket: 'backups',
      credentials: { accessKeyIdEnv: 'K', secretAccessKeyEnv: 'S' },
    },
  ],
  clusters: [{ name: 'demo', etcd: { endpoints: ['https://127.0.0.1:2379'] } }, { name: 'hub' }],
  etcdBackups: [{ name: 'hourly', cluster: 'demo', location: 's3' }],
  resourceBackups: [{ name: 'objects', cluster: 'hub', location: 's3', keep: 2 }],
  acmBackups: [{ name: 'acm', cluster: 'hub', location: 's3', maxBackups: 3 }],
});
if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
const config = parsed.config;

describe('resolveAnyPolicy', () => {
  it('finds a policy of either kind and says which', () => {
    expect(resolveAnyPolicy(config, 'demo/hourly')).toMatchObject({ kind: 'etcd', policy: { name: 'hourly' } });
    expect(resolveAnyPolicy(config, 'hub/objects')).toMatchObject({
      kind: 'resources',
      policy: { name: 'objects', cluster: 'hub', keep: 2 },
    });
    expect(resolveAnyPolicy(config, 'hub/acm')).toMatchObject({ kind: 'acm', policy: { name: 'acm', maxBackups: 3 } });
  });

  it('refuses an unknown policy as bad input, naming the known ones and the fix', () => {
    let thrown: unknown;
    try {
      resolveAnyPolicy(config, 'hub/nightly');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(CliError);
    expect((thrown as CliError).exitCode).toBe(ExitCode.BadInput);
    expect((thrown as CliError).message).toBe(
      'No backup policy hub/nightly in the config (known etcd policies: demo/hourly; known resource policies: ' +
        "hub/objects; known ACM hub policies: hub/acm). Name one of those, or add hub/nightly to the config's " +
        'etcdBackups, resourceBackups or acmBackups.',
    );
  });

  it('refuses a target that is not cluster/policy', () => {
    expect(() => resolveAnyPolicy(config, 'objects')).toThrow('"objects" is not <cluster>/<policy>');
  });
});

describe('retentionPlanText', () => {
  const plan: RetentionPlan = {
    backups: [
      {
        backup: 'objects-20260303000000',
        action: 'keep',
        reasons: ['newest-complete'],
        explanation: 'kept: the newest',
      },
      {
        backup: 'objects-20260301000000',
        action: 'delete',
        reasons: ['beyond-keep'],
        explanation: 'deleted: beyond keep 2',
      },
    ],
    abortUploads: [{ key: 'p/x.tar.gz', uploadId: 'u1', explanation: 'open for 3h, past the grace period of 1h' }],
  };

  it("names the policy's kind and location, then every decision and the totals", () => {
    const lines = retentionPlanText('hub/objects', 'resources', 's3', plan);
    expect(lines[0]).toBe('hub/objects: resource backup policy, location s3');
    expect(lines[1]).toMatch(/│ objects-20260303000000 │ keep +│ kept: the newest +│/);
    expect(lines[1]).toMatch(/│ objects-20260301000000 │ delete +│ deleted: beyond keep 2 +│/);
    expect(lines.slice(2)).toEqual([
      'abort upload p/x.tar.gz: open for 3h, past the grace period of 1h',
      '1 backup(s) and 1 upload(s) would be removed.',
    ]);
  });

  it('says when a policy has nothing stored yet', () => {
    expect(retentionPlanText('demo/hourly', 'etcd', 's3', { backups: [], abortUploads: [] })).toEqual([
      'demo/hourly: etcd backup policy, location s3',
      'No backups of demo/hourly yet.',
    ]);
  });

  it('lists abandoned uploads even when no backup is stored', () => {
    const lines = retentionPlanText('hub/objects', 'resources', 's3', { backups: [], abortUploads: plan.abortUploads });
    expect(lines.slice(1)).toEqual([
      'abort upload p/x.tar.gz: open for 3h, past the grace period of 1h',
      '0 backup(s) and 1 upload(s) would be removed.',
    ]);
  });
});
