import { describe, expect, it } from 'vitest';
import {
  commaList,
  resourceRestoreRequest,
  type ResourcesFlags,
} from '../../client/commands/restore/resource-request.js';
import {
  countsText,
  notableTable,
  outcomeTable,
  resourceStatusFields,
  resultReport,
} from '../../client/commands/restore/resource-output.js';
import { resourceRestoreWorkflowId } from '../../client/commands/restore/resources-run.js';
import { CliError, ExitCode } from '../../client/exit-codes.js';
import { validateConfig } from '../../core/config/parse.js';
import type { LifeboatConfig } from '../../core/config/schema.js';
import { zeroOutcomes, type StepReport } from '../../core/resources/restore-run.js';
import type { ResourceRestoreResult } from '../../workflows/resource-restore-api.js';
import { restoreOptions } from './restore-options-fixture.js';

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
    resourceBackups: [{ name: 'objects', cluster: 'hub', location: 'primary' }],
  });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.config;
}

const now = new Date('2026-12-03T07:50:00.000Z');

function request(flags: Partial<ResourcesFlags>) {
  return resourceRestoreRequest(
    config(),
    { cluster: 'hub', backup: 'latest', file: 'lifeboat.yaml', ...flags },
    now,
    'ada',
  );
}

function failure(flags: Partial<ResourcesFlags>): CliError {
  try {
    request(flags);
  } catch (err) {
    if (err instanceof CliError) return err;
    throw err;
  }
  throw new Error('expected a CliError');
}

describe('restore resources: flags → ResourceRestoreRequest', () => {
  it('defaults to the target’s own latest backup, no filters, policy none', () => {
    expect(request({})).toEqual({
      target: 'hub',
      backup: 'latest',
      options: restoreOptions(),
      requestedBy: 'ada',
      requestedAt: '2026-12-03T07:50:00.000Z',
    });
  });

  it('carries every filter and option', () => {
    const r = request({
      cluster: 'new-hub',
      fromCluster: 'hub',
      policy: 'objects',
      includeNamespaces: 'shop, web',
      excludeNamespaces: 'kube-*',
      includeResources: 'configmaps,deployments.apps',
      excludeResources: 'secrets',
      selector: 'app=shop',
      includeClusterResources: 'false',
      namespaceMapping: 'shop:shop-copy, web:web-copy',
      existingResourcePolicy: 'update',
      restoreStatus: 'deployments.apps',
      preserveNodePorts: true,
      requireApproval: true,
    });
    expect(r).toEqual({
      target: 'new-hub',
      backup: 'latest',
      fromCluster: 'hub',
      policy: 'objects',
      options: restoreOptions(
        {
          includedNamespaces: ['shop', 'web'],
          excludedNamespaces: ['kube-*'],
          includedResources: ['configmaps', 'deployments.apps'],
          excludedResources: ['secrets'],
          includeClusterResources: false,
          labelSelector: 'app=shop',
        },
        {
          namespaceMapping: { shop: 'shop-copy', web: 'web-copy' },
          existingResourcePolicy: 'update',
          restoreStatus: ['deployments.apps'],
          preserveNodePorts: true,
        },
      ),
      requireApproval: true,
      requestedBy: 'ada',
      requestedAt: '2026-12-03T07:50:00.000Z',
    });
  });

  it('reads a stock Velero backup through a storage location and its prefix', () => {
    expect(request({ backup: 'nightly', veleroLocation: 'primary', veleroPrefix: '/velero/' }).velero).toEqual({
      location: 'primary',
      prefix: 'velero',
    });
  });

  it('names the dry run’s own workflow id, and the target’s for a real restore', () => {
    expect(resourceRestoreWorkflowId(request({ dryRun: true }))).toBe(
      'resource-restore-dry-run/hub/hub-20261203075000',
    );
    expect(resourceRestoreWorkflowId(request({}))).toBe('resource-restore/hub');
    expect(request({ dryRun: true, requireApproval: true }).requireApproval).toBeUndefined();
  });

  it('splits comma lists and drops blanks', () => {
    expect(commaList(' a, b,,c ')).toEqual(['a', 'b', 'c']);
    expect(commaList(undefined)).toEqual([]);
  });
});

describe('restore resources: bad input exits 2, naming the flag and the fix', () => {
  const cases: [string, Partial<ResourcesFlags>, RegExp][] = [
    ['unknown target', { cluster: 'nope' }, /^--cluster nope: no such cluster .*known: hub, new-hub/],
    ['unknown source', { fromCluster: 'gone' }, /^--from-cluster gone: no such cluster/],
    ['no backup', { backup: undefined }, /^--backup: .*--backup latest/],
    ['unknown policy', { policy: 'hourly' }, /^--policy hourly: .*known: objects/],
    ['unknown Velero location', { veleroLocation: 'elsewhere' }, /^--velero-location elsewhere: .*known: primary/],
    ['prefix without location', { veleroPrefix: 'velero' }, /^--velero-prefix goes with --velero-location/],
    [
      'malformed mapping',
      { namespaceMapping: 'shop=copy' },
      /^--namespace-mapping: entry 1 "shop=copy" is not old:new/,
    ],
    ['two onto one', { namespaceMapping: 'a:c,b:c' }, /^--namespace-mapping: a and b are all mapped to c/],
    [
      'bad policy',
      { existingResourcePolicy: 'replace' },
      /^--existing-resource-policy: "replace" is not a policy: use none .* or update/,
    ],
    ['bad tri-state', { includeClusterResources: 'yes' }, /^--include-cluster-resources: "yes" is not true or false/],
    [
      'never-restored kind',
      { includeResources: 'nodes' },
      /^--include-resources: "nodes" \(nodes\) is never restored: .*remove it/,
    ],
    ['bad selector', { selector: 'a===b' }, /^--selector: /],
  ];
  for (const [what, flags, message] of cases) {
    it(what, () => {
      const err = failure(flags);
      expect(err.exitCode).toBe(ExitCode.BadInput);
      expect(err.message).toMatch(message);
    });
  }

  it('reports every option problem at once, one line each', () => {
    const err = failure({ namespaceMapping: 'a:c,b:c', existingResourcePolicy: 'merge' });
    expect(err.message.split('\n').map((l) => l.split(':')[0])).toEqual([
      '--namespace-mapping',
      '--existing-resource-policy',
    ]);
  });

  it('leaves --restore-status to the workflow, which knows the backup’s resources', () => {
    expect(request({ restoreStatus: 'gizmos' }).options.restoreStatus).toEqual(['gizmos']);
  });
});

function step(groupResource: string, byNamespace: StepReport['byNamespace'], notable: StepReport['notable'] = []) {
  const counts = zeroOutcomes();
  for (const c of Object.values(byNamespace))
    for (const [k, v] of Object.entries(c)) counts[k as keyof typeof counts] += v;
  return { groupResource, counts, byNamespace, notable, notableOmitted: 0 } satisfies StepReport;
}

const steps: StepReport[] = [
  step('namespaces', { '': { created: 1 } }),
  step('configmaps', { 'shop-copy': { created: 2, unchanged: 1, updated: 1 }, web: { failed: 1, skipped: 1 } }, [
    {
      groupResource: 'configmaps',
      namespace: 'web',
      name: 'bad',
      outcome: 'failed',
      reason: 'admission webhook denied it',
    },
    {
      groupResource: 'configmaps',
      namespace: 'shop',
      targetNamespace: 'shop-copy',
      name: 'cfg',
      outcome: 'updated',
      reason: 'data differs',
    },
  ]),
];

function result(dryRun: boolean): ResourceRestoreResult {
  const counts = { created: 3, unchanged: 1, updated: 1, skipped: 1, failed: 1 };
  return {
    target: 'hub',
    restore: 'hub-20261203075000',
    backup: 'objects-20261203060000',
    source: {
      kind: 'velero',
      location: 'primary',
      prefix: '',
      backup: 'objects-20261203060000',
      archiveKey: 'k',
      resourceListKey: 'l',
      bytes: 1,
    },
    dryRun,
    outcome: 'CompletedWithErrors',
    counts,
    plan: [],
    steps,
    skipped: [
      { groupResource: 'events', items: 4, skip: { code: 'never-restored', reason: 'events are never restored' } },
    ],
    warnings: [],
  };
}

describe('restore resources: tables', () => {
  it('counts per resource and target namespace, with a total', () => {
    const text = outcomeTable(steps, result(false).counts, false);
    const rows = text
      .split('\n')
      .filter((l) => l.startsWith('│'))
      .map((l) =>
        l
          .split('│')
          .map((c) => c.trim())
          .filter(Boolean),
      );
    expect(rows).toEqual([
      ['resource', 'namespace', 'created', 'unchanged', 'updated', 'skipped', 'failed'],
      ['namespaces', '-', '1', '0', '0', '0', '0'],
      ['configmaps', 'shop-copy', '2', '1', '1', '0', '0'],
      ['configmaps', 'web', '0', '0', '0', '1', '1'],
      ['total', '3', '1', '1', '1', '1'],
    ]);
    expect(outcomeTable(steps, result(true).counts, true)).toContain('would create');
  });

  it('lists failed items with their reasons after a restore, every notable item and the skips in a dry run', () => {
    const real = resultReport(result(false), '2.0s');
    expect(real).toMatch(
      /^restore hub-20261203075000 of hub from backup objects-20261203060000: Completed with 1 error in 2.0s/,
    );
    expect(real).toContain('admission webhook denied it');
    expect(real).not.toContain('data differs');
    expect(real).toContain('4 items left out by the plan');
    const dry = resultReport(result(true), '2.0s');
    expect(dry).toContain('(nothing was written)');
    expect(dry).toContain('data differs');
    expect(dry).toContain('shop → shop-copy');
    expect(dry).toContain('events are never restored (never-restored)');
    expect(notableTable(steps, 'created')).toBeUndefined();
  });

  it('status fields: phase, backup, current step, counts', () => {
    expect(
      resourceStatusFields({
        target: 'hub',
        restore: 'hub-20261203075000',
        dryRun: false,
        backup: 'objects-20261203060000',
        planned: 10,
        counts: { ...zeroOutcomes(), created: 4 },
        current: { groupResource: 'configmaps', done: 4, total: 7 },
        phase: 'restore configmaps',
        steps: [],
      }),
    ).toEqual([
      ['restore', 'hub-20261203075000'],
      ['backup', 'objects-20261203060000'],
      ['phase', 'restore configmaps'],
      ['current step', 'configmaps 4/7'],
      ['items', 'created 4 (of 10 planned)'],
    ]);
    expect(countsText(zeroOutcomes())).toBe('no items yet');
  });
});
