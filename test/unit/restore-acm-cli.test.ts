import { describe, expect, it } from 'vitest';
import { acmRestoreInput, type AcmFlags } from '../../client/commands/restore/acm-request.js';
import { acmFailedCount, acmResultReport } from '../../client/commands/restore/acm-output.js';
import { CliError, ExitCode } from '../../client/exit-codes.js';
import { validateConfig } from '../../core/config/parse.js';
import type { LifeboatConfig } from '../../core/config/schema.js';
import { zeroOutcomes } from '../../core/resources/restore-run.js';
import type { AcmRestoreResult } from '../../workflows/acm-restore-api.js';

function config(): LifeboatConfig {
  const result = validateConfig({
    apiVersion: 'lifeboat.dev/v1alpha1',
    kind: 'LifeboatConfig',
    storageLocations: [
      {
        name: 'primary',
        bucket: 'lifeboat',
        endpoint: 'https://s3.example.com',
        credentials: { accessKeyIdEnv: 'K', secretAccessKeyEnv: 'S' },
      },
    ],
    clusters: [{ name: 'hub' }, { name: 'new-hub' }],
    acmBackups: [{ name: 'acm', cluster: 'hub', location: 'primary' }],
  });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.config;
}

const now = new Date('2026-12-05T08:00:00.000Z');
const flags = (extra: Partial<AcmFlags> = {}): AcmFlags => ({
  cluster: 'new-hub',
  fromCluster: 'hub',
  credentials: 'latest',
  resources: 'latest',
  managedClusters: 'skip',
  config: 'lifeboat.yaml',
  ...extra,
});

function refusal(f: () => unknown): CliError {
  try {
    f();
  } catch (err) {
    if (err instanceof CliError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('lifeboat restore acm: flags to the workflow input', () => {
  it('maps the flags, with the time and the user', () => {
    expect(acmRestoreInput(config(), flags({ requireApproval: true }), undefined, now, 'ana')).toEqual({
      hub: 'new-hub',
      fromCluster: 'hub',
      request: { credentials: 'latest', resources: 'latest', managedClusters: 'skip', cleanup: 'none' },
      requireApproval: true,
      requestedBy: 'ana',
      requestedAt: now.toISOString(),
    });
  });

  it('defaults the source hub to the target and keeps the override reason trimmed', () => {
    const input = acmRestoreInput(
      config(),
      flags({ fromCluster: undefined, cluster: 'hub', oldHubGone: '  powered off  ' }),
      undefined,
      now,
      'ana',
    );
    expect([input.hub, input.fromCluster, input.oldHubGone]).toEqual(['hub', 'hub', 'powered off']);
  });

  it('names every missing type flag at once, exit 2', () => {
    const err = refusal(() =>
      acmRestoreInput(config(), flags({ credentials: undefined, managedClusters: ' ' }), undefined, now, 'ana'),
    );
    expect(err.exitCode).toBe(ExitCode.BadInput);
    expect(err.message).toContain('--credentials: say what to restore');
    expect(err.message).toContain('--managed-clusters: say what to restore');
    expect(err.message).not.toContain('--resources');
  });

  it.each([
    [{ cluster: 'nope' }, '--cluster nope: no such cluster in lifeboat.yaml (known: hub, new-hub)'],
    [{ fromCluster: 'nope' }, '--from-cluster nope: no such cluster'],
    [{ cleanupBeforeRestore: 'some' }, '--cleanup-before-restore some: not a mode; use none, restored'],
    [{ cleanupBeforeRestore: 'all' }, '--cleanup-before-restore: all deletes every object'],
    [
      { sync: true, credentials: 'hub-credentials-1' },
      '--sync: a sync restores newer backups as they come, so it needs --credentials latest',
    ],
    [{ syncInterval: '30m' }, '--sync-interval: only a sync (--sync) looks for newer backups'],
    [{ sync: true, syncInterval: 'often' }, '--sync-interval often: not a duration'],
    [{ sync: true, syncInterval: '10s' }, '--sync-interval 10s: shorter than a minute'],
    [{ sync: true, requireApproval: true }, '--require-approval: a sync waits for'],
    [
      { sync: true, managedClusters: 'hub-managed-clusters-1' },
      'a sync restores a named managed-clusters backup never',
    ],
    [{ location: 'elsewhere' }, '--location elsewhere: no such storage location in lifeboat.yaml (known: primary)'],
    [{ oldHubGone: ' ' }, '--old-hub-gone: give the reason'],
  ] satisfies [Partial<AcmFlags>, string][])('refuses %j, exit 2', (extra, message) => {
    const err = refusal(() => acmRestoreInput(config(), flags(extra), undefined, now, 'ana'));
    expect(err.exitCode).toBe(ExitCode.BadInput);
    expect(err.message).toContain(message);
  });

  it('takes a sync with its interval, from the flags or the manifest', () => {
    const input = acmRestoreInput(config(), flags({ sync: true, syncInterval: '45m' }), undefined, now, 'ana');
    expect(input.request.sync).toBe(true);
    expect(input.syncIntervalMs).toBe(45 * 60_000);
    const request = {
      credentials: 'latest',
      resources: 'latest',
      managedClusters: 'skip',
      cleanup: 'none' as const,
      sync: true,
    };
    const noTypes = flags({ credentials: undefined, resources: undefined, managedClusters: undefined });
    const fromFile = acmRestoreInput(
      config(),
      { ...noTypes, restoreFile: 'r.yaml' },
      { request, syncIntervalMs: 600_000 },
      now,
      'ana',
    );
    expect(fromFile.syncIntervalMs).toBe(600_000);
    expect(acmRestoreInput(config(), flags(), undefined, now, 'ana').syncIntervalMs).toBeUndefined();
  });

  it('takes the cleanup modes, all only when confirmed', () => {
    expect(
      acmRestoreInput(config(), flags({ cleanupBeforeRestore: 'restored' }), undefined, now, 'ana').request,
    ).toMatchObject({ cleanup: 'restored' });
    const all = flags({ cleanupBeforeRestore: 'All', yesDeleteUnrestored: true });
    expect(acmRestoreInput(config(), all, undefined, now, 'ana').request).toMatchObject({
      cleanup: 'all',
      cleanupAllConfirmed: true,
    });
  });

  it('takes the request from a Restore manifest, and refuses the type flags beside it', () => {
    const manifest = { credentials: 'latest', resources: 'skip', managedClusters: 'latest', cleanup: 'none' as const };
    const noTypes = flags({ credentials: undefined, resources: undefined, managedClusters: undefined });
    expect(
      acmRestoreInput(config(), { ...noTypes, restoreFile: 'r.yaml' }, { request: manifest }, now, 'ana').request,
    ).toEqual(manifest);
    const err = refusal(() =>
      acmRestoreInput(config(), { ...flags(), restoreFile: 'r.yaml' }, { request: manifest }, now, 'ana'),
    );
    expect(err.exitCode).toBe(ExitCode.BadInput);
    expect(err.message).toContain(
      '--credentials, --resources, --managed-clusters: r.yaml already says what to restore',
    );
  });
});

describe('lifeboat restore acm: the report', () => {
  const result: AcmRestoreResult = {
    hub: 'new-hub',
    fromCluster: 'hub',
    restore: 'new-hub-20261205080000',
    phase: 'completed',
    steps: [],
    plan: {
      backups: { credentials: 'c1', resources: 'r1', generic: 'g1', managedClusters: undefined },
      steps: [],
      warnings: ['the backups come from different runs'],
    },
    results: [
      {
        step: 'credentials',
        backup: 'c1',
        restore: 'new-hub-20261205080000-credentials',
        outcome: 'CompletedWithErrors',
        counts: { ...zeroOutcomes(), created: 3, failed: 1 },
        failed: ['secrets ns/a: forbidden'],
      },
    ],
  };

  it('says which backups, each step with its counts, what failed and that nothing was activated', () => {
    const report = acmResultReport(result, '12s');
    expect(report).toContain('credentials c1, resources r1, generic g1, managed clusters skip');
    expect(report).toContain('warning: the backups come from different runs');
    expect(report).toMatch(/credentials\W+c1\W+CompletedWithErrors\W+3\W/);
    expect(report).toContain('credentials: secrets ns/a: forbidden');
    expect(report).toContain('not activated');
    expect(acmFailedCount(result)).toBe(1);
  });

  it('says what the cleanup deleted, per part, and counts what it could not delete as failed', () => {
    const cleaned: AcmRestoreResult = {
      ...result,
      cleanup: {
        mode: 'restored',
        deleted: { credentials: 1, resources: 2, generic: 0, 'managed-clusters': 0 },
        examples: [
          'resources: placements.cluster.open-cluster-management.io apps/old (restored from r0, which is not r1)',
        ],
        failed: [
          'secrets ns/b: Forbidden (403): no; bind the restore identity to deploy/kubernetes/acm-restore-cleaner.yaml',
        ],
      },
    };
    const report = acmResultReport(cleaned, '12s');
    expect(report).toContain(
      'cleanup (restored): deleted 3 (credentials 1, resources 2, generic 0, managed-clusters 0)',
    );
    expect(report).toContain('deleted resources: placements.cluster.open-cluster-management.io apps/old');
    expect(report).toContain('and 2 more');
    expect(report).toContain('not deleted: secrets ns/b: Forbidden');
    expect(acmFailedCount(cleaned)).toBe(2);
  });
});
