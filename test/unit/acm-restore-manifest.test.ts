import { describe, expect, it } from 'vitest';
import {
  acmRestoreFields,
  CLEANUP_ALL_CONFIRMED_ANNOTATION,
  DEFAULT_RESTORE_SYNC_INTERVAL_MS,
  parseGoDurationMs,
  RESTORE_API_VERSION,
  RESTORE_KIND,
  type AcmRestoreManifestFields,
} from '../../core/acm/restore-manifest.js';
import type { ConfigIssue } from '../../core/config/issues.js';

// ACM's own Restore manifest (`lifeboat restore acm -f restore.yaml`) mapped to a hub-restore request.

type Obj = Record<string, unknown>;

const AT = 'restore.yaml';

/** The operator README's example: restore everything, latest of each type, delete what an earlier restore brought. */
const README_RESTORE = {
  apiVersion: 'cluster.open-cluster-management.io/v1beta1',
  kind: 'Restore',
  metadata: { name: 'restore-acm', namespace: 'open-cluster-management-backup' },
  spec: {
    cleanupBeforeRestore: 'CleanupRestored',
    veleroManagedClustersBackupName: 'latest',
    veleroCredentialsBackupName: 'latest',
    veleroResourcesBackupName: 'latest',
  },
};

function restore(spec: Obj = {}, top: Obj = {}): Obj {
  return { ...README_RESTORE, spec: { ...README_RESTORE.spec, ...spec }, ...top };
}

function fieldsOf(document: unknown): AcmRestoreManifestFields {
  const result = acmRestoreFields(document, AT);
  if (!result.ok) throw new Error(JSON.stringify(result.issues, null, 2));
  return result.fields;
}

function issuesOf(document: unknown): ConfigIssue[] {
  const result = acmRestoreFields(document, AT);
  if (result.ok) throw new Error(`expected issues, got ${JSON.stringify(result.fields)}`);
  return result.issues;
}

function onlyIssue(document: unknown): ConfigIssue {
  const issues = issuesOf(document);
  expect(issues).toHaveLength(1);
  return issues[0]!;
}

/** A spec without one of its fields. */
function without(field: string): Obj {
  const spec: Obj = { ...README_RESTORE.spec };
  delete spec[field];
  return { ...README_RESTORE, spec };
}

describe('acmRestoreFields: the mapping', () => {
  it('maps the README example Restore: all latest, CleanupRestored, its name and namespace', () => {
    const fields = fieldsOf(README_RESTORE);
    expect(fields).toEqual({
      request: { credentials: 'latest', resources: 'latest', managedClusters: 'latest', cleanup: 'restored' },
      name: 'restore-acm',
      namespace: 'open-cluster-management-backup',
    });
    // Absent, not undefined-valued: the CLI's --yes-delete-unrestored and --sync-interval fill them.
    expect('cleanupAllConfirmed' in fields.request).toBe(false);
    expect('sync' in fields.request).toBe(false);
    expect('syncIntervalMs' in fields).toBe(false);
  });

  it('exports the apiVersion and kind it takes', () => {
    expect(RESTORE_API_VERSION).toBe('cluster.open-cluster-management.io/v1beta1');
    expect(RESTORE_KIND).toBe('Restore');
  });

  it('maps the passive sample: credentials and resources latest, managed clusters skip', () => {
    const fields = fieldsOf(restore({ veleroManagedClustersBackupName: 'skip', cleanupBeforeRestore: 'None' }));
    expect(fields.request).toEqual({
      credentials: 'latest',
      resources: 'latest',
      managedClusters: 'skip',
      cleanup: 'none',
    });
  });

  it('maps the activation sample: only the managed clusters', () => {
    const fields = fieldsOf(
      restore({ veleroCredentialsBackupName: 'skip', veleroResourcesBackupName: 'skip', cleanupBeforeRestore: 'None' }),
    );
    expect(fields.request).toMatchObject({ credentials: 'skip', resources: 'skip', managedClusters: 'latest' });
  });

  it('takes backup names as they are, trimmed', () => {
    const fields = fieldsOf(
      restore({
        veleroCredentialsBackupName: 'acm-credentials-schedule-20260801120000',
        veleroResourcesBackupName: '  acm-resources-schedule-20260801120000 ',
        veleroManagedClustersBackupName: 'Hub-Managed-Clusters-20260801120000',
      }),
    );
    expect(fields.request).toMatchObject({
      credentials: 'acm-credentials-schedule-20260801120000',
      resources: 'acm-resources-schedule-20260801120000',
      managedClusters: 'Hub-Managed-Clusters-20260801120000',
    });
  });

  it('matches latest and skip case-insensitively and trimmed, as the operator does', () => {
    const fields = fieldsOf(
      restore({
        veleroCredentialsBackupName: ' Latest ',
        veleroResourcesBackupName: 'LATEST',
        veleroManagedClustersBackupName: 'Skip',
      }),
    );
    expect(fields.request).toMatchObject({ credentials: 'latest', resources: 'latest', managedClusters: 'skip' });
  });

  it.each([
    ['None', 'none'],
    ['CleanupRestored', 'restored'],
    ['CleanupAll', 'all'],
  ] as const)('maps cleanupBeforeRestore %s to %s', (value, mode) => {
    expect(fieldsOf(restore({ cleanupBeforeRestore: value })).request.cleanup).toBe(mode);
  });

  it('leaves the CleanupAll confirmation undefined without the annotation (the CLI flag supplies it)', () => {
    const fields = fieldsOf(restore({ cleanupBeforeRestore: 'CleanupAll' }));
    expect(fields.request.cleanup).toBe('all');
    expect(fields.request.cleanupAllConfirmed).toBeUndefined();
  });

  it('maps the operator’s CleanupAll confirmation annotation', () => {
    const annotated = (value: unknown) =>
      restore(
        { cleanupBeforeRestore: 'CleanupAll' },
        { metadata: { ...README_RESTORE.metadata, annotations: { [CLEANUP_ALL_CONFIRMED_ANNOTATION]: value } } },
      );
    expect(CLEANUP_ALL_CONFIRMED_ANNOTATION).toBe('cluster.open-cluster-management.io/restore-cleanup-all-confirmed');
    expect(fieldsOf(annotated('true')).request.cleanupAllConfirmed).toBe(true);
    expect(fieldsOf(annotated('false')).request.cleanupAllConfirmed).toBe(false);
  });

  it('ignores other annotations, labels and what a cluster adds (status, uid, resourceVersion)', () => {
    const exported = restore(
      {},
      {
        metadata: {
          name: 'restore-acm',
          namespace: 'open-cluster-management-backup',
          uid: '6f1c1c53-4b8e-4a55-9d4e-0c2f7b3e8a10',
          resourceVersion: '123456',
          labels: { team: 'platform' },
          annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
        },
        status: { phase: 'Finished', lastMessage: 'All Velero restores have run successfully' },
      },
    );
    const fields = fieldsOf(exported);
    expect(fields.request.cleanupAllConfirmed).toBeUndefined();
    expect(fields.name).toBe('restore-acm');
  });

  it('needs no metadata', () => {
    const { metadata: _metadata, ...bare } = README_RESTORE;
    const fields = fieldsOf(bare);
    expect(fields.name).toBeUndefined();
    expect(fields.namespace).toBeUndefined();
  });
});

describe('acmRestoreFields: sync mode', () => {
  const passive = { veleroManagedClustersBackupName: 'skip', syncRestoreWithNewBackups: true };

  it('maps syncRestoreWithNewBackups and restoreSyncInterval', () => {
    const fields = fieldsOf(restore({ ...passive, restoreSyncInterval: '10m' }));
    expect(fields.request.sync).toBe(true);
    expect(fields.syncIntervalMs).toBe(600_000);
  });

  it('leaves the interval to the operator’s default (30m) when the manifest has none', () => {
    const fields = fieldsOf(restore(passive));
    expect(fields.syncIntervalMs).toBeUndefined();
    expect(DEFAULT_RESTORE_SYNC_INTERVAL_MS).toBe(30 * 60_000);
  });

  it('maps false as false', () => {
    expect(fieldsOf(restore({ syncRestoreWithNewBackups: false })).request.sync).toBe(false);
  });

  it('allows managed clusters latest with sync, as the operator does', () => {
    expect(fieldsOf(restore({ syncRestoreWithNewBackups: true })).request).toMatchObject({
      sync: true,
      managedClusters: 'latest',
    });
  });

  it('maps an interval without sync too (the operator accepts it and does not use it)', () => {
    const fields = fieldsOf(restore({ restoreSyncInterval: '1h30m' }));
    expect(fields.syncIntervalMs).toBe(5_400_000);
    expect(fields.request.sync).toBeUndefined();
  });

  it.each([
    ['30m', 1_800_000],
    ['1h30m', 5_400_000],
    ['1h30m0s', 5_400_000],
    ['90s', 90_000],
    ['1.5h', 5_400_000],
    ['2h45m30.5s', 9_930_500],
    ['500ms', 500],
    ['+5m', 300_000],
    [' 15m ', 900_000],
  ])('reads the Go duration %j as %d ms', (text, ms) => {
    expect(fieldsOf(restore({ ...passive, restoreSyncInterval: text })).syncIntervalMs).toBe(ms);
  });

  it('refuses sync when credentials or resources are not latest, and a named managed-clusters backup', () => {
    const issues = issuesOf(
      restore({
        syncRestoreWithNewBackups: true,
        veleroCredentialsBackupName: 'skip',
        veleroResourcesBackupName: 'acm-resources-schedule-20260801120000',
        veleroManagedClustersBackupName: 'acm-managed-clusters-schedule-20260801120000',
      }),
    );
    expect(issues.map((i) => i.path)).toEqual([
      `${AT}: spec.veleroCredentialsBackupName`,
      `${AT}: spec.veleroResourcesBackupName`,
      `${AT}: spec.veleroManagedClustersBackupName`,
    ]);
    expect(issues[0]!.message).toContain('must be latest with syncRestoreWithNewBackups');
    expect(issues[0]!.message).toContain('set syncRestoreWithNewBackups to false');
    expect(issues[1]!.message).toContain('"acm-resources-schedule-20260801120000"');
    expect(issues[2]!.message).toContain('must be skip (activate later) or latest');
  });

  it('does not check the names against sync when sync is off', () => {
    expect(fieldsOf(restore({ syncRestoreWithNewBackups: false, veleroCredentialsBackupName: 'skip' }))).toBeDefined();
  });

  it('refuses a non-boolean syncRestoreWithNewBackups', () => {
    const issue = onlyIssue(restore({ syncRestoreWithNewBackups: 'yes' }));
    expect(issue.path).toBe(`${AT}: spec.syncRestoreWithNewBackups`);
    expect(issue.message).toBe('must be true or false (found "yes")');
  });

  it.each(['', '30', '30 m', '1h 30m', 'm', '.s', '1.5', 'soon', '30M', '1hr', '2562048h'])(
    'refuses the interval %j, which Go does not read',
    (text) => {
      const issue = onlyIssue(restore({ ...passive, restoreSyncInterval: text }));
      expect(issue.path).toBe(`${AT}: spec.restoreSyncInterval`);
      expect(issue.message).toContain('must be a Go duration such as 30m, 1h30m or 90s');
      expect(issue.message).toContain(`(found ${JSON.stringify(text)})`);
      expect(issue.message).not.toContain('Go has no d or w');
    },
  );

  it.each(['1d', '2w', '1d12h'])('refuses %j with the hint that Go has no days or weeks', (text) => {
    const issue = onlyIssue(restore({ ...passive, restoreSyncInterval: text }));
    expect(issue.message).toContain('Go has no d or w: write 24h for a day');
  });

  it.each(['0', '0s', '-30m', '-0'])('refuses the interval %j, which is not longer than zero', (text) => {
    const issue = onlyIssue(restore({ ...passive, restoreSyncInterval: text }));
    expect(issue.message).toBe(`must be longer than zero, such as 30m (found ${JSON.stringify(text)})`);
  });

  it.each([1800, true, { minutes: 30 }])('refuses the interval %j, which is not text', (value) => {
    const issue = onlyIssue(restore({ ...passive, restoreSyncInterval: value }));
    expect(issue.message).toContain('must be a Go duration');
  });
});

describe('parseGoDurationMs', () => {
  it.each([
    ['0', 0],
    ['1h', 3_600_000],
    ['1.h', 3_600_000],
    ['.5h', 1_800_000],
    ['1m0.001s', 60_001],
    ['1500us', 2],
    ['1µs', 1],
    ['1μs', 1],
    ['1ns', 1],
    ['999999ns', 1],
    ['1000001ns', 2],
    ['-1m', -60_000],
    ['2562047h', 2_562_047 * 3_600_000],
  ])('%j is %d ms (whole ms, rounded up)', (text, ms) => {
    expect(parseGoDurationMs(text)).toBe(ms);
  });

  it.each(['', '+', '-', '1', '1d', '1w', 'h', '.h', '1h-30m', '1h30', ' 1h', '1 h', '2562048h', '1e3s'])(
    '%j is not a Go duration',
    (text) => {
      expect(parseGoDurationMs(text)).toBeUndefined();
    },
  );
});

describe('acmRestoreFields: refusals', () => {
  it.each([null, 'restore', 42, [README_RESTORE]])('refuses a document that is not a mapping (%j)', (document) => {
    expect(onlyIssue(document)).toEqual({
      path: AT,
      message: 'must be a Restore manifest (a YAML mapping with apiVersion, kind and spec)',
    });
  });

  it('refuses another apiVersion and kind, both at once', () => {
    const issues = issuesOf(restore({}, { apiVersion: 'velero.io/v1', kind: 'BackupSchedule' }));
    expect(issues).toEqual([
      {
        path: `${AT}: apiVersion`,
        message: 'must be cluster.open-cluster-management.io/v1beta1 (found "velero.io/v1")',
      },
      { path: `${AT}: kind`, message: 'must be Restore (found "BackupSchedule")' },
    ]);
  });

  it('refuses a missing apiVersion and kind', () => {
    const { apiVersion: _a, kind: _k, ...rest } = README_RESTORE;
    expect(issuesOf(rest).map((i) => i.message)).toEqual([
      'must be cluster.open-cluster-management.io/v1beta1 (found undefined)',
      'must be Restore (found undefined)',
    ]);
  });

  it.each([undefined, 'latest', ['veleroCredentialsBackupName']])('needs a spec mapping (%j)', (spec) => {
    const issue = onlyIssue({ ...README_RESTORE, spec });
    expect(issue.path).toBe(`${AT}: spec`);
    expect(issue.message).toBe(
      'is required: a Restore needs spec.veleroCredentialsBackupName, spec.veleroResourcesBackupName, ' +
        'spec.veleroManagedClustersBackupName and spec.cleanupBeforeRestore',
    );
  });

  it.each([
    ['veleroCredentialsBackupName', 'credentials'],
    ['veleroResourcesBackupName', 'resources (and resources-generic)'],
    ['veleroManagedClustersBackupName', 'managed-clusters'],
  ])('needs %s, as the operator does', (field, type) => {
    const issue = onlyIssue(without(field));
    expect(issue.path).toBe(`${AT}: spec.${field}`);
    expect(issue.message).toBe(
      `is required, as by the operator: latest (the newest complete ${type} backup), skip (restore none), or the ` +
        `name of a ${type} backup`,
    );
  });

  it('needs cleanupBeforeRestore, as the operator does, naming the three modes', () => {
    const issue = onlyIssue(without('cleanupBeforeRestore'));
    expect(issue.path).toBe(`${AT}: spec.cleanupBeforeRestore`);
    expect(issue.message).toMatch(/^is required, as by the operator: None .*, CleanupRestored .* or CleanupAll /);
  });

  it.each(['Restored', 'all', 42, true, ''])('refuses the cleanupBeforeRestore %j, listing the three', (value) => {
    const issue = onlyIssue(restore({ cleanupBeforeRestore: value }));
    expect(issue.path).toBe(`${AT}: spec.cleanupBeforeRestore`);
    expect(issue.message).toContain('must be None (delete nothing), CleanupRestored (');
    expect(issue.message).toContain('or CleanupAll (also what was made on this hub)');
    expect(issue.message).toContain(`(found ${JSON.stringify(value)}`);
  });

  it('names the spelling of a mode written in another case', () => {
    const issue = onlyIssue(restore({ cleanupBeforeRestore: 'cleanuprestored' }));
    expect(issue.message).toContain('(found "cleanuprestored"; spelled CleanupRestored)');
  });

  it.each([42, true, '', '   ', null, ['latest']])('refuses the backup name %j', (value) => {
    const issue = onlyIssue(restore({ veleroResourcesBackupName: value }));
    expect(issue.path).toBe(`${AT}: spec.veleroResourcesBackupName`);
    expect(issue.message).toBe(
      `must be latest, skip or a resources (and resources-generic) backup name (found ${JSON.stringify(value)})`,
    );
  });

  it('refuses an unknown spec field, listing the known ones', () => {
    const issue = onlyIssue(restore({ veleroCredentialBackupName: 'latest' }));
    expect(issue.path).toBe(`${AT}: spec.veleroCredentialBackupName`);
    expect(issue.message).toContain('is not a Restore field Lifeboat knows; remove it or fix the spelling (known: ');
    for (const known of [
      'veleroCredentialsBackupName',
      'veleroResourcesBackupName',
      'veleroManagedClustersBackupName',
      'cleanupBeforeRestore',
      'syncRestoreWithNewBackups',
      'restoreSyncInterval',
      'restorePVs',
      'hooks',
    ])
      expect(issue.message).toContain(known);
  });

  it.each([
    ['restorePVs', true, /no volume snapshots/],
    ['restoreStatus', { includedResources: ['*'] }, /--restore-status/],
    ['preserveNodePorts', true, /--preserve-node-ports/],
    ['includedNamespaces', ['open-cluster-management'], /--include-namespaces/],
    ['excludedNamespaces', ['local-cluster'], /--exclude-namespaces/],
    ['includedResources', ['managedclusters'], /--include-resources/],
    ['excludedResources', ['policies'], /--exclude-resources.*never restored/],
    ['labelSelector', { matchLabels: { a: 'b' } }, /--selector/],
    ['orLabelSelectors', [{ matchLabels: { a: 'b' } }], /--or-selector/],
    ['namespaceMapping', { a: 'b' }, /own namespace.*--namespace-mapping/],
    ['hooks', { resources: [] }, /runs no restore hooks.*PR #1697/],
  ])('refuses %s, which Lifeboat does not support, with the reason and the fix', (field, value, reason) => {
    const issue = onlyIssue(restore({ [field]: value }));
    expect(issue.path).toBe(`${AT}: spec.${field}`);
    expect(issue.message).toMatch(/^is not supported: /);
    expect(issue.message).toMatch(reason);
    expect(issue.message).toContain('remove the field');
  });

  it('says why the selection fields are refused: Lifeboat runs the operator’s selection', () => {
    const issue = onlyIssue(restore({ includedNamespaces: ['a'] }));
    expect(issue.message).toContain("Lifeboat runs the operator's own selection for each restore step");
    expect(issue.message).toContain('use lifeboat restore resources --include-namespaces');
  });

  it.each([
    [true, 'true'],
    [1, '1'],
    ['yes', '"yes"'],
    ['True', '"True"'],
  ])('refuses the confirmation annotation %j that is not the string "true" or "false"', (value, found) => {
    const issue = onlyIssue(
      restore(
        { cleanupBeforeRestore: 'CleanupAll' },
        { metadata: { annotations: { [CLEANUP_ALL_CONFIRMED_ANNOTATION]: value } } },
      ),
    );
    expect(issue.path).toBe(`${AT}: metadata.annotations.${CLEANUP_ALL_CONFIRMED_ANNOTATION}`);
    expect(issue.message).toContain('must be the string "true" (quoted, as every annotation) to confirm CleanupAll');
    expect(issue.message).toContain(`(found ${found})`);
  });

  it('refuses metadata of the wrong types', () => {
    expect(onlyIssue(restore({}, { metadata: 'restore-acm' }))).toEqual({
      path: `${AT}: metadata`,
      message: 'must be a mapping (name, namespace, annotations) (found "restore-acm")',
    });
    const issues = issuesOf(restore({}, { metadata: { name: 7, namespace: '', annotations: ['a'] } }));
    expect(issues).toEqual([
      { path: `${AT}: metadata.name`, message: 'must be a non-empty string (found 7)' },
      { path: `${AT}: metadata.namespace`, message: 'must be a non-empty string (found "")' },
      { path: `${AT}: metadata.annotations`, message: 'must be a mapping of strings (found ["a"])' },
    ]);
  });

  it('collects every issue at once, in document order', () => {
    const issues = issuesOf({
      apiVersion: 'cluster.open-cluster-management.io/v1',
      kind: 'Restore',
      metadata: { name: 'restore-acm', annotations: { [CLEANUP_ALL_CONFIRMED_ANNOTATION]: 'yes' } },
      spec: {
        veleroCredentialsBackupName: 'skip',
        veleroResourcesBackupName: 3,
        cleanupBeforeRestore: 'Everything',
        syncRestoreWithNewBackups: true,
        restoreSyncInterval: '1d',
        restorePVs: true,
        hooks: {},
        excludedResources: ['secrets'],
        veleroTtl: '1h',
      },
    });
    expect(issues.map((i) => i.path)).toEqual([
      `${AT}: apiVersion`,
      `${AT}: metadata.annotations.${CLEANUP_ALL_CONFIRMED_ANNOTATION}`,
      `${AT}: spec.restorePVs`,
      `${AT}: spec.hooks`,
      `${AT}: spec.excludedResources`,
      `${AT}: spec.veleroTtl`,
      `${AT}: spec.veleroResourcesBackupName`,
      `${AT}: spec.veleroManagedClustersBackupName`,
      `${AT}: spec.cleanupBeforeRestore`,
      `${AT}: spec.veleroCredentialsBackupName`,
      `${AT}: spec.restoreSyncInterval`,
    ]);
    // Every message says how to fix it.
    for (const issue of issues) expect(issue.message).toMatch(/must|required|remove|fix/);
  });

  it('prefixes every path with `at`', () => {
    const at = 'acm/restore-passive.yaml';
    const result = acmRestoreFields(without('veleroCredentialsBackupName'), at);
    expect(result).toEqual({
      ok: false,
      issues: [expect.objectContaining({ path: `${at}: spec.veleroCredentialsBackupName` })],
    });
    expect(acmRestoreFields(null, at)).toEqual({ ok: false, issues: [expect.objectContaining({ path: at })] });
  });
});
