import { describe, expect, it } from 'vitest';
import { resourceProgressLine } from '../../client/commands/backup-run.js';
import { resourceListText } from '../../client/commands/backups/describe.js';
import { resultsTable, sortProblems } from '../../client/commands/backups/results.js';
import { parseVeleroSpec, veleroTable, type VeleroRow } from '../../client/commands/backups/velero.js';
import { CliError } from '../../client/exit-codes.js';
import { resourceOutcomeText } from '../../client/output.js';
import { validateConfig } from '../../core/config/parse.js';
import type { ItemProblem } from '../../core/resources/model.js';

// What the resource-backup commands print, from the values they read: the lines people and scripts rely on.

describe('resourceOutcomeText', () => {
  it.each([
    ['Completed', 0, 0, 'Completed'],
    ['CompletedWithWarnings', 1, 0, 'Completed with 1 warning'],
    ['CompletedWithWarnings', 3, 0, 'Completed with 3 warnings'],
    ['CompletedWithErrors', 0, 1, 'Completed with 1 error'],
    ['CompletedWithErrors', 2, 5, 'Completed with 5 errors and 2 warnings'],
  ] as const)('%s with %i warnings and %i errors is "%s"', (outcome, warnings, errors, text) => {
    expect(resourceOutcomeText({ outcome, counts: { warnings, errors } })).toBe(text);
  });
});

describe('resourceProgressLine', () => {
  it('says resources done of total, the current one, items, bytes and problems', () => {
    const counters = { resourcesDone: 3, resourcesTotal: 12, items: 1204, bytes: 2048, warnings: 1, errors: 0 };
    expect(resourceProgressLine('archiving', { ...counters, current: 'deployments.apps' })).toBe(
      'archiving: resources 3/12 (deployments.apps), 1204 items, 2.0 KiB, 1 warning, 0 errors',
    );
    expect(resourceProgressLine('committing', counters)).toBe(
      'committing: resources 3/12, 1204 items, 2.0 KiB, 1 warning, 0 errors',
    );
    const none = { resourcesDone: 0, resourcesTotal: 0, items: 0, bytes: 0, warnings: 0, errors: 0 };
    expect(resourceProgressLine('archiving', none)).toBe('archiving: discovering the API');
    expect(resourceProgressLine('committing', none)).toBe(
      'committing: resources 0/0, 0 items, 0 B, 0 warnings, 0 errors',
    );
  });
});

describe('resourceListText', () => {
  it("prints velero backup describe --details' Resource List: kinds sorted, items as given", () => {
    expect(
      resourceListText({ 'v1/Namespace': ['shop'], 'apps/v1/Deployment': ['shop/web', 'shop/api'] }).split('\n'),
    ).toEqual([
      'Resource List:',
      '  apps/v1/Deployment:',
      '    - shop/web',
      '    - shop/api',
      '  v1/Namespace:',
      '    - shop',
    ]);
  });

  it('says <none> for an empty backup', () => {
    expect(resourceListText({})).toBe('Resource List:\n  <none>');
  });
});

describe('results', () => {
  const problems: ItemProblem[] = [
    { level: 'warning', resource: 'gizmos.example.com', message: 'served by no API' },
    { level: 'error', resource: 'secrets', namespace: 'shop', name: 'db', message: 'forbidden' },
    { level: 'error', resource: 'configmaps', namespace: '', name: 'x', message: 'gone' },
    { level: 'warning', message: 'discovery of metrics.k8s.io/v1beta1 failed' },
  ];

  it('sorts errors first, then by resource, namespace and name', () => {
    expect(sortProblems(problems).map((p) => [p.level, p.resource])).toEqual([
      ['error', 'configmaps'],
      ['error', 'secrets'],
      ['warning', undefined],
      ['warning', 'gizmos.example.com'],
    ]);
  });

  it('tabulates level, resource, namespace (cluster-scoped said so) and name, dashes for what a problem lacks', () => {
    const lines = resultsTable(problems).split('\n');
    expect(lines[1]).toMatch(/│ level +│ resource +│ namespace +│ name +│ message +│/);
    expect(lines.find((l) => l.includes('configmaps'))).toMatch(/│ error +│ configmaps +│ \(cluster\) +│ x +│ gone +│/);
    expect(lines.find((l) => l.includes('metrics'))).toMatch(/│ warning +│ - +│ - +│ - +│ discovery/);
  });
});

describe('--velero', () => {
  const parsed = validateConfig({
    apiVersion: 'lifeboat.dev/v1alpha1',
    kind: 'LifeboatConfig',
    storageLocations: [
      {
        name: 'minio',
        endpoint: 'http://127.0.0.1:9000',
        bucket: 'backups',
        credentials: { accessKeyIdEnv: 'A', secretAccessKeyEnv: 'S' },
      },
    ],
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const config = parsed.config;

  it.each([
    ['minio', ''],
    ['minio:velero', 'velero'],
    ['minio:lb/resources/prod', 'lb/resources/prod'],
  ])('%s is the location minio with BSL prefix %j', (spec, prefix) => {
    const { location, prefix: got } = parseVeleroSpec(config, spec);
    expect([location.name, got]).toEqual(['minio', prefix]);
  });

  it.each([
    [':velero', 'is not LOCATION[:PREFIX]'],
    ['nowhere:velero', 'Unknown storage location(s) nowhere; the config defines minio.'],
  ])('%s is bad input: %s', (spec, message) => {
    const err = (() => {
      try {
        parseVeleroSpec(config, spec);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(2);
    expect((err as CliError).message).toContain(message);
  });

  it("tabulates each record's phase, items, times and writer; an unreadable record says why", () => {
    const rows: VeleroRow[] = [
      {
        backup: 'nightly',
        key: 'velero/backups/nightly/velero-backup.json',
        ok: true,
        summary: {
          name: 'nightly',
          phase: 'PartiallyFailed',
          startTimestamp: '2026-12-01T02:00:00Z',
          completionTimestamp: '2026-12-01T02:01:10Z',
          expiration: '2026-12-31T02:00:00Z',
          itemsBackedUp: 40,
          totalItems: 42,
          warnings: 1,
          errors: 2,
          includedNamespaces: [],
          excludedNamespaces: [],
          writtenByLifeboat: false,
        },
      },
      { backup: 'broken', key: 'velero/backups/broken/velero-backup.json', ok: false, error: 'not JSON' },
    ];
    const lines = veleroTable(rows).split('\n');
    expect(lines.find((l) => l.includes('nightly'))).toMatch(
      /│ nightly +│ PartiallyFailed +│ 40\/42 +│ 1 +│ 2 +│ 2026-12-01T02:00:00Z +│ 2026-12-01T02:01:10Z +│ 2026-12-31T02:00:00Z +│ Velero +│/,
    );
    expect(lines.find((l) => l.includes('broken'))).toMatch(/│ broken +│ unreadable: not JSON +│/);
  });
});
