import { describe, expect, it } from 'vitest';
import {
  planAcmRestore,
  type AcmRestoreRequest,
  type AcmRestorePlan,
  type HubBackup,
} from '../../core/acm/restore-plan.js';
import type { AcmBackupType } from '../../core/acm/backup-selection.js';

const TYPES: AcmBackupType[] = ['credentials', 'managed-clusters', 'resources-generic', 'resources'];

/** One hub backup set: the four types at one nominal time, started a few seconds apart. */
function set(ts: string, outcomes: Partial<Record<AcmBackupType, string>> = {}): HubBackup[] {
  return TYPES.map((type, i) => ({
    name: `hub-${type}-${ts}`,
    type,
    set: ts,
    startedAt: new Date(
      Date.parse(`${ts.slice(0, 4)}-${ts.slice(4, 6)}-${ts.slice(6, 8)}T${ts.slice(8, 10)}:00:00Z`) + i * 2000,
    ).toISOString(),
    outcome: outcomes[type] ?? 'Completed',
  }));
}

const CATALOG = [...set('2026120301'), ...set('2026120302'), ...set('2026120303', { resources: 'Failed' })];

function request(overrides: Partial<AcmRestoreRequest> = {}): AcmRestoreRequest {
  return { credentials: 'latest', resources: 'latest', managedClusters: 'latest', cleanup: 'restored', ...overrides };
}

function plan(overrides: Partial<AcmRestoreRequest> = {}, catalog = CATALOG): AcmRestorePlan {
  const result = planAcmRestore(request(overrides), catalog);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.plan;
}

/** Each refusal's flag and a pattern its message matches, in order. */
function expectIssues(overrides: Partial<AcmRestoreRequest>, expected: [string, RegExp][], catalog = CATALOG): void {
  const found = issues(overrides, catalog);
  expect(found.map((i) => i.flag)).toEqual(expected.map(([flag]) => flag));
  found.forEach((issue, i) => expect(issue.message).toMatch(expected[i]![1]));
}

function issues(overrides: Partial<AcmRestoreRequest>, catalog = CATALOG) {
  const result = planAcmRestore(request(overrides), catalog);
  if (result.ok) throw new Error('expected a refusal');
  return result.issues;
}

describe('which backup each type comes from', () => {
  it('latest per type on its own: a failed resources backup falls back to the one before, with a warning', () => {
    const p = plan();
    expect(p.backups).toEqual({
      credentials: 'hub-credentials-2026120303',
      resources: 'hub-resources-2026120302',
      generic: 'hub-resources-generic-2026120302',
      managedClusters: 'hub-managed-clusters-2026120303',
    });
    expect(p.warnings).toHaveLength(1);
    expect(p.warnings[0]).toMatch(
      /different runs \(credentials hub-credentials-2026120303, resources hub-resources-2026120302/,
    );
  });

  it('names, matched trimmed and case-insensitively; the generic backup follows the resources one by set', () => {
    const p = plan({
      credentials: ' HUB-credentials-2026120301 ',
      resources: 'hub-resources-2026120301',
      managedClusters: 'skip',
    });
    expect(p.backups).toEqual({
      credentials: 'hub-credentials-2026120301',
      resources: 'hub-resources-2026120301',
      generic: 'hub-resources-generic-2026120301',
      managedClusters: undefined,
    });
    expect(p.warnings).toEqual([]);
  });

  it('a generic backup of another set started within 30 s belongs too; none near: restored without, with a warning', () => {
    const resources: HubBackup = {
      name: 'r',
      type: 'resources',
      set: 'a',
      startedAt: '2026-12-03T01:00:00Z',
      outcome: 'Completed',
    };
    const near: HubBackup = {
      name: 'g',
      type: 'resources-generic',
      set: 'b',
      startedAt: '2026-12-03T01:00:25Z',
      outcome: 'Completed',
    };
    const far: HubBackup = { ...near, startedAt: '2026-12-03T01:00:31Z' };
    expect(plan({ credentials: 'skip', managedClusters: 'skip' }, [resources, near]).backups.generic).toBe('g');
    const without = plan({ credentials: 'skip', managedClusters: 'skip' }, [resources, far]);
    expect(without.backups.generic).toBeUndefined();
    expect(without.steps.map((s) => s.step)).toEqual(['resources']);
    expect(without.warnings).toEqual([
      'no resources-generic backup belongs to r: its generic objects are not restored',
    ]);
  });

  it('CompletedWithWarnings and CompletedWithErrors are restorable, as the operator takes PartiallyFailed', () => {
    const catalog = set('2026120304', { credentials: 'CompletedWithErrors', resources: 'CompletedWithWarnings' });
    expect(plan({}, catalog).backups.credentials).toBe('hub-credentials-2026120304');
  });
});

describe('the steps, in the operator’s order', () => {
  it('all three types: passive credentials, resources, generic, then the activation steps, managed clusters last', () => {
    const p = plan({ credentials: 'hub-credentials-2026120302' });
    expect(p.steps).toEqual([
      {
        step: 'credentials',
        backup: 'hub-credentials-2026120302',
        selector: 'cluster.open-cluster-management.io/backup notin (cluster-activation)',
        includeClusterResources: false,
        waitForBackupPvcs: false,
        activation: false,
      },
      {
        step: 'resources',
        backup: 'hub-resources-2026120302',
        includeClusterResources: true,
        waitForBackupPvcs: false,
        activation: false,
      },
      {
        step: 'generic',
        backup: 'hub-resources-generic-2026120302',
        selector: 'cluster.open-cluster-management.io/backup notin (cluster-activation)',
        includeClusterResources: true,
        waitForBackupPvcs: false,
        activation: false,
      },
      {
        step: 'generic-active',
        backup: 'hub-resources-generic-2026120302',
        selector: 'cluster.open-cluster-management.io/backup in (cluster-activation)',
        includeClusterResources: true,
        waitForBackupPvcs: false,
        activation: true,
      },
      {
        step: 'credentials-active',
        backup: 'hub-credentials-2026120302',
        selector: 'cluster.open-cluster-management.io/backup in (cluster-activation)',
        includeClusterResources: false,
        waitForBackupPvcs: true,
        activation: true,
      },
      {
        step: 'managed-clusters',
        backup: 'hub-managed-clusters-2026120303',
        includeClusterResources: true,
        waitForBackupPvcs: false,
        activation: true,
      },
    ]);
  });

  it.each([
    [{ managedClusters: 'skip' }, ['credentials', 'resources', 'generic']],
    [{ credentials: 'skip' }, ['resources', 'generic', 'generic-active', 'managed-clusters']],
    [{ resources: 'skip' }, ['credentials', 'credentials-active', 'managed-clusters']],
    // the operator's passive-activate sample: objects labelled cluster-activation are then never restored
    [{ credentials: 'skip', resources: 'skip' }, ['managed-clusters']],
    [{ resources: 'skip', managedClusters: 'skip' }, ['credentials']],
  ] as const)('%j: %j', (overrides, steps) => {
    expect(plan(overrides).steps.map((s) => s.step)).toEqual(steps);
  });

  it('only steps that bring managed clusters or their activation data are gated', () => {
    expect(plan({ managedClusters: 'skip' }).steps.some((s) => s.activation)).toBe(false);
  });
});

describe('bad input is refused, naming the flag and the fix', () => {
  it('all three skip', () => {
    expectIssues({ credentials: 'skip', resources: 'skip', managedClusters: 'skip' }, [
      ['--credentials, --resources, --managed-clusters', /nothing to restore/],
    ]);
  });

  it('a name that is no backup of the hub, or one of another type', () => {
    expectIssues({ resources: 'hub-resources-1999' }, [
      ['--resources', /neither latest, skip nor a resources backup of this hub/],
    ]);
    expectIssues({ managedClusters: 'hub-credentials-2026120301' }, [
      ['--managed-clusters', /is a credentials backup, not a complete managed-clusters backup/],
    ]);
    expect(issues({ resources: 'hub-resources-2026120303' })[0]!.message).toMatch(/is a resources backup \(Failed\)/);
  });

  it('latest with no backup of that type', () => {
    const onlyCredentials = set('2026120301').filter((b) => b.type === 'credentials');
    expect(issues({}, onlyCredentials).map((i) => i.flag)).toEqual(['--resources', '--managed-clusters']);
  });

  it('sync with credentials or resources other than latest, or a named managed-clusters backup', () => {
    expectIssues({ sync: true, resources: 'hub-resources-2026120301', managedClusters: 'skip' }, [
      ['--sync', /--credentials latest and --resources latest/],
    ]);
    expectIssues({ sync: true, managedClusters: 'hub-managed-clusters-2026120301' }, [
      ['--sync', /--managed-clusters skip \(activate later\) or latest/],
    ]);
    expect(planAcmRestore(request({ sync: true, managedClusters: 'skip' }), CATALOG).ok).toBe(true);
  });

  it('cleanup all without the confirmation; with it, planned', () => {
    expectIssues({ cleanup: 'all' }, [['--cleanup-before-restore', /including what users made on this hub/]]);
    expect(planAcmRestore(request({ cleanup: 'all', cleanupAllConfirmed: true }), CATALOG).ok).toBe(true);
  });

  it('reports every problem at once', () => {
    expect(issues({ sync: true, credentials: 'nope', cleanup: 'all' }).map((i) => i.flag)).toEqual([
      '--sync',
      '--cleanup-before-restore',
      '--credentials',
    ]);
  });
});
