import { describe, expect, it } from 'vitest';
import type { AcmBackupType } from '../../core/acm/backup-selection.js';
import {
  NEVER_RESTORED_BY_ACM,
  planAcmRestore,
  type AcmRestorePlan,
  type AcmRestoreRequest,
  type AcmRestoreStep,
  type HubBackup,
} from '../../core/acm/restore-plan.js';
import {
  acmRestoreRunbook,
  acmRestoreStepName,
  activationRequest,
  newerTypes,
  syncsUntilActivation,
  oldHubLiveness,
  stepRestoreRequest,
  strandedAcmRestore,
  type AcmRestoreInput,
} from '../../core/acm/restore-run.js';
import { pointOfNoReturn } from '../../core/runbook.js';
import { workflowIds } from '../../core/naming.js';

const HUB = 'hub-b';
const OLD_HUB = 'hub-a';
const RESTORE = 'hub-b-20261203-0100';
const LOCATION = 'backups-eu';
const PASSIVE = 'cluster.open-cluster-management.io/backup notin (cluster-activation)';
const ACTIVE = 'cluster.open-cluster-management.io/backup in (cluster-activation)';
const TYPES: AcmBackupType[] = ['credentials', 'resources', 'resources-generic', 'managed-clusters'];

/** One backup set of the old hub: the four types at one nominal ISO time, started a second apart, all Completed. */
function backupSet(set: string, types: AcmBackupType[] = TYPES): HubBackup[] {
  return types.map((type, i) => ({
    name: `${OLD_HUB}-${type}-${set.slice(0, 13)}`,
    type,
    set,
    hub: 'hub-id-1',
    startedAt: new Date(Date.parse(set) + i * 1000).toISOString(),
    outcome: 'Completed',
  }));
}

const CATALOG = [...backupSet('2026-12-03T00:00:00.000Z'), ...backupSet('2026-12-03T01:00:00.000Z')];
const LATEST = {
  credentials: `${OLD_HUB}-credentials-2026-12-03T01`,
  resources: `${OLD_HUB}-resources-2026-12-03T01`,
  generic: `${OLD_HUB}-resources-generic-2026-12-03T01`,
  managedClusters: `${OLD_HUB}-managed-clusters-2026-12-03T01`,
};

function request(overrides: Partial<AcmRestoreRequest> = {}): AcmRestoreRequest {
  return { credentials: 'latest', resources: 'latest', managedClusters: 'latest', cleanup: 'restored', ...overrides };
}

function plan(overrides: Partial<AcmRestoreRequest> = {}, catalog: HubBackup[] = CATALOG): AcmRestorePlan {
  const result = planAcmRestore(request(overrides), catalog);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.plan;
}

function runbook(
  overrides: Partial<AcmRestoreRequest> = {},
  opts: { requireApproval?: boolean; catalog?: HubBackup[] } = {},
) {
  const req = request(overrides);
  return acmRestoreRunbook(plan(overrides, opts.catalog), {
    hub: HUB,
    request: req,
    ...(opts.requireApproval !== undefined ? { requireApproval: opts.requireApproval } : {}),
  });
}

function stepOf(p: AcmRestorePlan, name: AcmRestoreStep['step']): AcmRestoreStep {
  const step = p.steps.find((s) => s.step === name);
  if (!step) throw new Error(`no ${name} step in ${JSON.stringify(p.steps)}`);
  return step;
}

const kinds = (steps: { kind: string }[]) => steps.map((s) => s.kind);

describe('acmRestoreRunbook', () => {
  it('a passive-only plan (managed clusters skipped): only the passive steps and the cleanup', () => {
    const steps = runbook({ managedClusters: 'skip' }, { requireApproval: true });
    expect(kinds(steps)).toEqual(['credentials', 'resources', 'generic', 'cleanup']);
    expect(kinds(steps)).not.toContain('approval');
    expect(kinds(steps)).not.toContain('activation-check');
    expect(kinds(steps)).not.toContain('auto-import');
  });

  it('a full plan with requireApproval: passive steps, approval, activation check, active steps, auto-import, cleanup', () => {
    const steps = runbook({}, { requireApproval: true });
    expect(kinds(steps)).toEqual([
      'credentials',
      'resources',
      'generic',
      'approval',
      'activation-check',
      'generic-active',
      'credentials-active',
      'managed-clusters',
      'auto-import',
      'cleanup',
    ]);
  });

  it('a full plan without requireApproval (false or absent) has no approval step', () => {
    const expected = [
      'credentials',
      'resources',
      'generic',
      'activation-check',
      'generic-active',
      'credentials-active',
      'managed-clusters',
      'auto-import',
      'cleanup',
    ];
    expect(kinds(runbook({}, { requireApproval: false }))).toEqual(expected);
    expect(kinds(runbook({}))).toEqual(expected);
  });

  it('the cleanup step is there iff cleanup is not none, and names the mode', () => {
    expect(kinds(runbook({ cleanup: 'none' }))).not.toContain('cleanup');
    expect(kinds(runbook({ cleanup: 'none', managedClusters: 'skip' }))).toEqual([
      'credentials',
      'resources',
      'generic',
    ]);

    const restored = runbook({ cleanup: 'restored' });
    expect(restored.at(-1)).toEqual({
      kind: 'cleanup',
      title: 'delete what the restored backups no longer hold (restored)',
      touches: [`objects of the backed-up kinds in ${HUB} (delete)`],
      pointOfNoReturn: true,
    });

    const all = runbook({ cleanup: 'all', cleanupAllConfirmed: true });
    expect(all.filter((s) => s.kind === 'cleanup')).toHaveLength(1);
    expect(all.at(-1)?.title).toBe('delete what the restored backups no longer hold (all)');
  });

  it('each restore step names its backup and touches the hub; the gate steps say what they read and write', () => {
    const steps = runbook({ cleanup: 'none' }, { requireApproval: true });
    const byKind = Object.fromEntries(steps.map((s) => [s.kind, s]));
    const update = [`${HUB} (update: existing objects are patched)`];

    expect(byKind['credentials']).toEqual({
      kind: 'credentials',
      title: `restore the credentials (not the activation data), from ${LATEST.credentials}`,
      touches: update,
      pointOfNoReturn: true,
    });
    expect(byKind['resources']?.title).toBe(
      `restore the hub resources (policies, placements, applications, cluster sets), from ${LATEST.resources}`,
    );
    expect(byKind['generic']?.title).toBe(
      `restore the generic resources (not the activation data), from ${LATEST.generic}`,
    );
    expect(byKind['generic-active']?.title).toBe(`restore the generic activation data, from ${LATEST.generic}`);
    expect(byKind['credentials-active']?.title).toBe(
      `restore the credentials activation data, then wait for the PVCs backup-pvc ConfigMaps name, from ${LATEST.credentials}`,
    );
    expect(byKind['managed-clusters']?.title).toBe(
      `restore the managed clusters: the new hub takes them over, from ${LATEST.managedClusters}`,
    );
    for (const kind of [
      'credentials',
      'resources',
      'generic',
      'generic-active',
      'credentials-active',
      'managed-clusters',
    ]) {
      expect(byKind[kind]?.touches).toEqual(update);
    }

    expect(byKind['approval']).toEqual({
      kind: 'approval',
      title: 'wait for an operator to approve the activation',
      touches: [],
      pointOfNoReturn: true,
    });
    expect(byKind['activation-check']?.touches).toEqual(['the backups in the location (read)']);
    expect(byKind['auto-import']?.touches).toEqual([`Secrets auto-import-secret in ${HUB}`]);
  });

  it('the restore steps follow the plan: no generic backup, no generic steps', () => {
    const catalog = backupSet('2026-12-03T01:00:00.000Z', ['credentials', 'resources', 'managed-clusters']);
    const p = plan({}, catalog);
    expect(p.backups.generic).toBeUndefined();
    const steps = acmRestoreRunbook(p, { hub: HUB, request: request() });
    expect(kinds(steps)).toEqual([
      'credentials',
      'resources',
      'activation-check',
      'credentials-active',
      'managed-clusters',
      'auto-import',
      'cleanup',
    ]);
  });

  describe('point of no return', () => {
    it('the first step writes, so every step of a full plan is past the point of no return, gates included', () => {
      const steps = runbook({}, { requireApproval: true });
      expect(steps.every((s) => s.pointOfNoReturn)).toBe(true);
      expect(pointOfNoReturn(steps)).toBe('credentials');
    });

    it('a passive-only plan: all its steps, the cleanup too, are past it', () => {
      const steps = runbook({ managedClusters: 'skip' });
      expect(steps.map((s) => s.pointOfNoReturn)).toEqual([true, true, true, true]);
    });

    it('an activation-only plan: the approval and the check come before it, the managed clusters are it', () => {
      const steps = runbook({ credentials: 'skip', resources: 'skip' }, { requireApproval: true });
      expect(steps.map((s) => [s.kind, s.pointOfNoReturn])).toEqual([
        ['approval', false],
        ['activation-check', false],
        ['managed-clusters', true],
        ['auto-import', true],
        ['cleanup', true],
      ]);
      expect(pointOfNoReturn(steps)).toBe('managed-clusters');
    });

    it('credentials and managed clusters only (resources skipped): the credentials step is it', () => {
      const steps = runbook({ resources: 'skip', cleanup: 'none' });
      expect(steps.map((s) => [s.kind, s.pointOfNoReturn])).toEqual([
        ['credentials', true],
        ['activation-check', true],
        ['credentials-active', true],
        ['managed-clusters', true],
        ['auto-import', true],
      ]);
    });

    it('a plan with no restore step at all has no point of no return', () => {
      const empty: AcmRestorePlan = {
        backups: { credentials: undefined, resources: undefined, generic: undefined, managedClusters: undefined },
        steps: [],
        warnings: [],
      };
      const steps = acmRestoreRunbook(empty, { hub: HUB, request: request() });
      expect(steps).toEqual([
        {
          kind: 'cleanup',
          title: 'delete what the restored backups no longer hold (restored)',
          touches: [`objects of the backed-up kinds in ${HUB} (delete)`],
          pointOfNoReturn: false,
        },
      ]);
      expect(pointOfNoReturn(steps)).toBeUndefined();
    });
  });
});

describe('acmRestoreStepName', () => {
  it('is the restore name and the step, joined by a dash', () => {
    expect(acmRestoreStepName(RESTORE, 'credentials')).toBe(`${RESTORE}-credentials`);
    expect(acmRestoreStepName(RESTORE, 'generic-active')).toBe(`${RESTORE}-generic-active`);
    expect(acmRestoreStepName(RESTORE, 'managed-clusters')).toBe(`${RESTORE}-managed-clusters`);
  });
});

describe('stepRestoreRequest', () => {
  const full = plan();
  const input = (overrides: Partial<AcmRestoreInput> = {}): AcmRestoreInput => ({
    hub: HUB,
    fromCluster: OLD_HUB,
    request: request(),
    requestedBy: 'alice',
    requestedAt: '2026-12-03T01:30:00.000Z',
    ...overrides,
  });

  it('the credentials step: updates, leaves the never-restored kinds out, its selector, no cluster-scoped objects', () => {
    const step = stepOf(full, 'credentials');
    expect(stepRestoreRequest(input(), RESTORE, step, LOCATION)).toStrictEqual({
      target: HUB,
      name: `${RESTORE}-credentials`,
      partOf: workflowIds.acmRestore(HUB),
      backup: LATEST.credentials,
      fromCluster: OLD_HUB,
      location: LOCATION,
      options: {
        filters: {
          includedNamespaces: [],
          excludedNamespaces: [],
          includedResources: [],
          excludedResources: [...NEVER_RESTORED_BY_ACM],
          includeClusterResources: false,
          labelSelector: PASSIVE,
        },
        namespaceMapping: {},
        existingResourcePolicy: 'update',
        restoreStatus: [],
        preserveNodePorts: false,
      },
      requestedBy: 'alice',
      requestedAt: '2026-12-03T01:30:00.000Z',
    });
  });

  it('a step without a selector (resources, managed clusters) has no labelSelector key', () => {
    for (const name of ['resources', 'managed-clusters'] as const) {
      const step = stepOf(full, name);
      expect(step.selector).toBeUndefined();
      const req = stepRestoreRequest(input(), RESTORE, step, LOCATION);
      expect(req.options.filters).not.toHaveProperty('labelSelector');
      expect(req.options.filters.includeClusterResources).toBe(true);
      expect(req.name).toBe(`${RESTORE}-${name}`);
    }
  });

  it('every step carries its own selector, cluster-scope flag and backup', () => {
    for (const step of full.steps) {
      const req = stepRestoreRequest(input(), RESTORE, step, LOCATION);
      expect(req.backup).toBe(step.backup);
      expect(req.name).toBe(acmRestoreStepName(RESTORE, step.step));
      expect(req.options.filters.includeClusterResources).toBe(step.includeClusterResources);
      expect(req.options.filters.labelSelector).toBe(step.selector);
      expect(req.options.existingResourcePolicy).toBe('update');
      expect(req.options.filters.excludedResources).toEqual([...NEVER_RESTORED_BY_ACM]);
    }
    expect(
      stepRestoreRequest(input(), RESTORE, stepOf(full, 'generic-active'), LOCATION).options.filters.labelSelector,
    ).toBe(ACTIVE);
    expect(
      stepRestoreRequest(input(), RESTORE, stepOf(full, 'credentials-active'), LOCATION).options.filters,
    ).toMatchObject({
      labelSelector: ACTIVE,
      includeClusterResources: false,
    });
  });

  it('the excluded kinds are a copy: changing them leaves NEVER_RESTORED_BY_ACM alone', () => {
    const before = [...NEVER_RESTORED_BY_ACM];
    const req = stepRestoreRequest(input(), RESTORE, stepOf(full, 'resources'), LOCATION);
    expect(req.options.filters.excludedResources).not.toBe(NEVER_RESTORED_BY_ACM);
    req.options.filters.excludedResources.push('secrets');
    expect(NEVER_RESTORED_BY_ACM).toEqual(before);
  });

  it('fromCluster only when the backups are another hub’s', () => {
    const own = stepRestoreRequest(input({ fromCluster: HUB }), RESTORE, stepOf(full, 'resources'), LOCATION);
    expect(own).not.toHaveProperty('fromCluster');
    expect(own.target).toBe(HUB);
    const other = stepRestoreRequest(input(), RESTORE, stepOf(full, 'resources'), LOCATION);
    expect(other.fromCluster).toBe(OLD_HUB);
  });

  it('carries requestedBy and requestedAt, and none of the hub-restore-only fields', () => {
    const req = stepRestoreRequest(
      input({
        requestedBy: 'bob',
        requestedAt: '2027-01-01T00:00:00.000Z',
        requireApproval: true,
        oldHubGone: 'decommissioned',
        location: 'backups-eu',
      }),
      RESTORE,
      stepOf(full, 'managed-clusters'),
      LOCATION,
    );
    expect(req.requestedBy).toBe('bob');
    expect(req.requestedAt).toBe('2027-01-01T00:00:00.000Z');
    expect(req).not.toHaveProperty('requireApproval');
    expect(req).not.toHaveProperty('oldHubGone');
    expect(req.location).toBe(LOCATION);
    expect(req.partOf).toBe(workflowIds.acmRestore(HUB));
    expect(req).not.toHaveProperty('dryRun');
  });
});

describe('oldHubLiveness', () => {
  const HOUR = 3_600_000;
  const now = new Date('2026-12-03T12:00:00.000Z');
  const at = (ms: number) => new Date(now.getTime() - ms).toISOString();

  it('no set at all: not alive', () => {
    expect(oldHubLiveness({ intervalMs: HOUR, now, fromCluster: OLD_HUB })).toEqual({ alive: false });
  });

  it('a set exactly twice the interval old: not alive', () => {
    expect(
      oldHubLiveness({ newest: { set: at(2 * HOUR), hub: 'hub-id-1' }, intervalMs: HOUR, now, fromCluster: OLD_HUB }),
    ).toEqual({ alive: false });
  });

  it('a set older than twice the interval: not alive', () => {
    expect(
      oldHubLiveness({ newest: { set: at(5 * HOUR), hub: 'hub-id-1' }, intervalMs: HOUR, now, fromCluster: OLD_HUB }),
    ).toEqual({ alive: false });
  });

  it('a set just under twice the interval old: alive, and the message names the hub, its id and --old-hub-gone', () => {
    const set = at(2 * HOUR - 1);
    const verdict = oldHubLiveness({ newest: { set, hub: 'hub-id-1' }, intervalMs: HOUR, now, fromCluster: OLD_HUB });
    expect(verdict.alive).toBe(true);
    if (!verdict.alive) return;
    expect(verdict.message).toContain('--old-hub-gone');
    expect(verdict.message).toContain('hub-id-1');
    expect(verdict.message).toContain(OLD_HUB);
    expect(verdict.message).toContain(`the old hub ${OLD_HUB} (id hub-id-1) wrote set ${set}, 120 min ago`);
    expect(verdict.message).toContain("twice its schedule's interval (120 min)");
    expect(verdict.message).toContain('lifeboat schedules pause');
  });

  it('a recent set: alive, its age in whole minutes', () => {
    const verdict = oldHubLiveness({
      newest: { set: at(25 * 60_000), hub: 'hub-id-1' },
      intervalMs: HOUR,
      now,
      fromCluster: OLD_HUB,
    });
    expect(verdict.alive).toBe(true);
    if (!verdict.alive) return;
    expect(verdict.message).toContain(', 25 min ago, within');
  });

  it('a set in the future (clock skew): alive, 0 min ago', () => {
    const verdict = oldHubLiveness({
      newest: { set: at(-10 * 60_000), hub: 'hub-id-1' },
      intervalMs: HOUR,
      now,
      fromCluster: OLD_HUB,
    });
    expect(verdict.alive).toBe(true);
    if (!verdict.alive) return;
    expect(verdict.message).toContain(', 0 min ago,');
  });
});

describe('strandedAcmRestore', () => {
  it('with done steps: names them, the hub, and the label they carry', () => {
    const stranded = strandedAcmRestore(HUB, RESTORE, ['credentials', 'resources']);
    expect(stranded.state).toBe(
      `steps credentials, resources of ${RESTORE} ran: what they restored stays in ${HUB} (labelled lifeboat.dev/restore=${RESTORE}-<step>)`,
    );
    expect(stranded.next).toBe(
      'Start the hub restore again to finish it (restored objects are updated in place), with --managed-clusters skip to leave the activation for later.',
    );
  });

  it('with one done step', () => {
    expect(strandedAcmRestore(HUB, RESTORE, ['credentials']).state).toMatch(/^steps credentials of /);
  });

  it('with none: nothing was written, and the same advice', () => {
    const stranded = strandedAcmRestore(HUB, RESTORE, []);
    expect(stranded.state).toBe(`no step of ${RESTORE} wrote anything to ${HUB}`);
    expect(stranded.next).toBe(strandedAcmRestore(HUB, RESTORE, ['credentials']).next);
  });
});

describe('passive sync', () => {
  it('is a sync only with managed clusters skip (latest restores once and activates, as the operator does)', () => {
    expect(syncsUntilActivation(request({ sync: true, managedClusters: 'skip' }))).toBe(true);
    expect(syncsUntilActivation(request({ sync: true, managedClusters: ' Skip ' }))).toBe(true);
    expect(syncsUntilActivation(request({ sync: true, managedClusters: 'latest' }))).toBe(false);
    expect(syncsUntilActivation(request({ managedClusters: 'skip' }))).toBe(false);
    expect(syncsUntilActivation(request({ sync: false, managedClusters: 'skip' }))).toBe(false);
  });

  it('activates with the latest of every type, keeping the cleanup and the sync flag', () => {
    expect(
      activationRequest(request({ sync: true, managedClusters: 'skip', cleanup: 'all', cleanupAllConfirmed: true })),
    ).toEqual({
      credentials: 'latest',
      resources: 'latest',
      managedClusters: 'latest',
      cleanup: 'all',
      cleanupAllConfirmed: true,
      sync: true,
    });
  });

  it('a round restores again only for a newer credentials or resources backup', () => {
    const restored = { credentials: 'c1', resources: 'r1', generic: 'g1', managedClusters: undefined };
    expect(newerTypes(restored, restored)).toEqual([]);
    expect(newerTypes(restored, { ...restored, generic: 'g2' })).toEqual([]);
    expect(newerTypes(restored, { ...restored, managedClusters: 'm2' })).toEqual([]);
    expect(newerTypes(restored, { ...restored, credentials: 'c2' })).toEqual(['credentials']);
    expect(newerTypes(restored, { ...restored, credentials: 'c2', resources: 'r2', generic: 'g2' })).toEqual([
      'credentials',
      'resources',
    ]);
    expect(newerTypes(restored, { ...restored, resources: undefined })).toEqual([]);
  });

  it('the runbook of a sync: passive steps, the sync, the activation steps to come, no approval gate', () => {
    const req = request({ sync: true, managedClusters: 'skip', cleanup: 'none' });
    const steps = acmRestoreRunbook(
      plan(req),
      { hub: HUB, request: req, requireApproval: true, syncIntervalMs: 45 * 60_000 },
      { sync: true },
    );
    expect(kinds(steps)).toEqual(['credentials', 'resources', 'generic', 'sync', 'activation-check', 'auto-import']);
    expect(steps.find((s) => s.kind === 'sync')!.title).toBe(
      `every 45 min, restore newer credentials and resources backups, until lifeboat restore acm activate ${HUB}`,
    );
    const activating = acmRestoreRunbook(plan(activationRequest(req)), { hub: HUB, request: req }, { sync: true });
    expect(kinds(activating)).toEqual([
      'credentials',
      'resources',
      'generic',
      'sync',
      'activation-check',
      'generic-active',
      'credentials-active',
      'managed-clusters',
      'auto-import',
    ]);
  });
});
