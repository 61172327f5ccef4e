import { describe, expect, it } from 'vitest';
import { configOf, issuesOf, onlyIssue } from './config-results.js';
import { readFileSync } from 'node:fs';
import { missingEtcdMessage, requireEtcd, resourceApi } from '../../core/config/clusters.js';
import { resourceAccess } from '../../activities/kube/cluster-api.js';
import {
  formatSelector,
  labelKeyIssue,
  labelValueIssue,
  namespacePatternIssue,
  parseSelector,
  resourceNameIssue,
  selectorIssues,
  selectorRequirements,
} from '../../core/config/filters.js';
import { parseConfig, validateConfig } from '../../core/config/parse.js';
import { rulesFromPolicy } from '../../core/retention.js';
import { desiredSchedules } from '../../core/schedules.js';

// Resource backup policies (issue 13, configuration): clusters' own API, optional etcd, names unique across kinds,
// Velero's filters. The etcd policy's own rules are in config.test.ts.

type Obj = Record<string, unknown>;

const RECIPIENT = `age1${'q'.repeat(58)}`;

/** A valid document with an ACM hub (no etcd) and a tenant (etcd and api); `policy` overrides resourceBackups[0]. */
function doc(parts: { policy?: Obj; hub?: Obj; tenant?: Obj; top?: Obj } = {}): Obj {
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
      { name: 'hub', kubernetes: { kubeconfig: '/etc/hub.kubeconfig' }, ...parts.hub },
      {
        name: 'tenant',
        kubernetes: { kubeconfig: '/etc/mgmt.kubeconfig' },
        api: { kubeconfig: '/etc/tenant.kubeconfig', context: 'tenant' },
        etcd: { statefulSet: { namespace: 'tenant', name: 'etcd' } },
        ...parts.tenant,
      },
    ],
    etcdBackups: [{ name: 'hourly', cluster: 'tenant', location: 'primary' }],
    resourceBackups: [{ name: 'objects', cluster: 'hub', location: 'primary', ...parts.policy }],
    ...parts.top,
  };
}

const policyIssue = (policy: Obj) => onlyIssue(validateConfig(doc({ policy })));

// ---------------------------------------------------------------------------------------------------------------------

describe('clusters: api and optional etcd', () => {
  it('parses a cluster without etcd and a cluster with its own api', () => {
    const config = configOf(validateConfig(doc()));
    expect(config.clusters[0]).toMatchObject({ name: 'hub', kubernetes: { kubeconfig: '/etc/hub.kubeconfig' } });
    expect(config.clusters[0]!.etcd).toBeUndefined();
    expect(config.clusters[0]!.api).toBeUndefined();
    expect(config.clusters[1]!.api).toEqual({ kubeconfig: '/etc/tenant.kubeconfig', context: 'tenant' });
    expect(config.clusters[1]!.kubernetes).toEqual({ kubeconfig: '/etc/mgmt.kubeconfig' });
  });

  it('leaves api absent when it is not set (kubernetes keeps its meaning and default)', () => {
    const config = configOf(
      validateConfig(doc({ tenant: { api: undefined, kubernetes: undefined }, top: { resourceBackups: [] } })),
    );
    expect(config.clusters[1]!.api).toBeUndefined();
    expect(config.clusters[1]!.kubernetes).toEqual({});
  });

  it('rejects unknown fields in api', () => {
    expect(onlyIssue(validateConfig(doc({ tenant: { api: { kubeconfig: '/x', server: 'https://x' } } })))).toEqual({
      path: 'clusters[1].api',
      message: 'unknown field(s) "server"; remove or fix the spelling',
    });
  });

  it('rejects an empty api.context', () => {
    expect(onlyIssue(validateConfig(doc({ tenant: { api: { context: '' } } }))).path).toBe('clusters[1].api.context');
  });

  describe('restoreApi: the identity resource restores write with', () => {
    it('is parsed like api, and restores use it while backups keep reading with api', () => {
      const config = configOf(
        validateConfig(doc({ tenant: { restoreApi: { kubeconfig: '/etc/restorer.kubeconfig' } } })),
      );
      const tenant = config.clusters[1]!;
      expect(tenant.restoreApi).toEqual({ kubeconfig: '/etc/restorer.kubeconfig' });
      expect(resourceAccess(tenant, 'restore')).toEqual({
        access: { kubeconfig: '/etc/restorer.kubeconfig' },
        field: 'restoreApi',
      });
      expect(resourceAccess(tenant, 'read')).toEqual({ access: tenant.api, field: 'api' });
    });

    it('defaults to the cluster api (or kubernetes for a cluster without etcd)', () => {
      const config = configOf(validateConfig(doc()));
      expect(resourceAccess(config.clusters[1]!, 'restore').field).toBe('api');
      expect(resourceAccess(config.clusters[0]!, 'restore')).toEqual({
        access: { kubeconfig: '/etc/hub.kubeconfig' },
        field: 'kubernetes',
      });
    });

    it('rejects unknown fields in restoreApi, naming the path', () => {
      expect(onlyIssue(validateConfig(doc({ tenant: { restoreApi: { kubeconfg: '/x' } } }))).path).toBe(
        'clusters[1].restoreApi',
      );
    });
  });

  describe('labelApi: the identity an ACM hub backup labels credentials with', () => {
    it('is parsed like api and used only for labelling; without it labelling uses the api', () => {
      const config = configOf(
        validateConfig(doc({ tenant: { labelApi: { kubeconfig: '/etc/labeller.kubeconfig' } } })),
      );
      const tenant = config.clusters[1]!;
      expect(resourceAccess(tenant, 'label')).toEqual({
        access: { kubeconfig: '/etc/labeller.kubeconfig' },
        field: 'labelApi',
      });
      expect(resourceAccess(tenant, 'read').field).toBe('api');
      expect(resourceAccess(tenant, 'restore').field).toBe('api');
      expect(resourceAccess(configOf(validateConfig(doc())).clusters[1]!, 'label').field).toBe('api');
    });

    it('rejects unknown fields in labelApi, naming the path', () => {
      expect(onlyIssue(validateConfig(doc({ tenant: { labelApi: { kubeconfg: '/x' } } }))).path).toBe(
        'clusters[1].labelApi',
      );
    });
  });

  describe('resourceApi', () => {
    it('is api when set', () => {
      expect(resourceApi({ kubernetes: { kubeconfig: 'm' }, api: { kubeconfig: 't' }, etcd: undefined })).toEqual({
        kubeconfig: 't',
      });
      expect(
        resourceApi({ kubernetes: {}, api: {}, etcd: { endpoints: ['https://e:2379'], clientPort: 2379 } }),
      ).toEqual({});
    });

    it('is kubernetes for a cluster without etcd and without api (a hub or an application cluster)', () => {
      expect(resourceApi({ kubernetes: { kubeconfig: 'hub' }, api: undefined, etcd: undefined })).toEqual({
        kubeconfig: 'hub',
      });
    });

    it('is undefined for a cluster with etcd and no api (kubernetes hosts its etcd, not its objects)', () => {
      expect(
        resourceApi({
          kubernetes: { kubeconfig: 'm' },
          api: undefined,
          etcd: { statefulSet: { namespace: 'n', name: 'etcd' }, clientPort: 2379 },
        }),
      ).toBeUndefined();
    });
  });

  describe('requireEtcd', () => {
    const etcd = { endpoints: ['https://e:2379'], clientPort: 2379 };
    it('returns the etcd of a cluster that has one', () => {
      expect(requireEtcd({ name: 'a', etcd })).toBe(etcd);
    });

    it('throws the message naming the cluster and the fix, as an Error by default', () => {
      expect(() => requireEtcd({ name: 'hub', etcd: undefined })).toThrow(
        new Error(
          'cluster hub has no etcd configured, so it has no etcd backups or restores; add clusters[hub].etcd ' +
            '(statefulSet or endpoints), or use a cluster that has one',
        ),
      );
      expect(missingEtcdMessage({ name: 'hub' })).toContain('clusters[hub].etcd');
    });

    it('throws what the caller makes of the message', () => {
      class Custom extends Error {}
      expect(() => requireEtcd({ name: 'hub', etcd: undefined }, (m) => new Custom(`x: ${m}`))).toThrow(Custom);
    });
  });
});

describe('policy names across kinds', () => {
  it('reports a resource policy named like an etcd policy of the same cluster, naming both paths', () => {
    expect(onlyIssue(validateConfig(doc({ policy: { name: 'hourly', cluster: 'tenant' } })))).toEqual({
      path: 'resourceBackups[0].name',
      message:
        'duplicate policy "tenant/hourly", already defined at etcdBackups[0].name; policy names are unique per ' +
        'cluster across etcdBackups, resourceBackups and acmBackups (backup now, workflow and retention ids use them): rename one',
    });
  });

  it('reports two resource policies of the same name on one cluster', () => {
    const config = doc();
    const [policy] = config.resourceBackups as Obj[];
    config.resourceBackups = [policy, { ...policy, keep: 2 }];
    const issue = onlyIssue(validateConfig(config));
    expect(issue.path).toBe('resourceBackups[1].name');
    expect(issue.message).toContain('duplicate policy "hub/objects", already defined at resourceBackups[0].name');
  });

  it('accepts the same name on different clusters and kinds', () => {
    expect(validateConfig(doc({ policy: { name: 'hourly' } })).ok).toBe(true);
  });
});

describe('resource backup policies: a valid policy', () => {
  it('parses with the retention defaults and no filters (Velero: everything)', () => {
    expect(configOf(validateConfig(doc())).resourceBackups).toEqual([
      {
        name: 'objects',
        cluster: 'hub',
        location: 'primary',
        keep: 7,
        keepOneOff: true,
        incompleteGracePeriod: '24h',
      },
    ]);
  });

  it('parses every field from YAML', () => {
    const yaml = `
apiVersion: lifeboat.dev/v1alpha1
kind: LifeboatConfig
storageLocations:
  - name: primary
    endpoint: https://s3.example.com
    bucket: backups
    credentials: { accessKeyIdEnv: A, secretAccessKeyEnv: B }
clusters:
  - name: hub
resourceBackups:
  - name: apps
    cluster: hub
    location: primary
    schedule: { cron: '0 3 * * *', timezone: Europe/Berlin, jitter: 5m }
    includedNamespaces: ['team-*', 'prod-?', 'ns[0-9]']
    excludedNamespaces: [kube-system]
    includedResources: ['*']
    excludedResources: [events, events.events.k8s.io, secrets]
    includeClusterResources: false
    labelSelector: 'app in (web,api),!legacy'
    keep: 3
    ttl: 30d
    tiers: { daily: 7, weekly: 4 }
    keepOneOff: false
    encryption:
      recipients: [${RECIPIENT}]
`;
    expect(configOf(parseConfig(yaml)).resourceBackups[0]).toEqual({
      name: 'apps',
      cluster: 'hub',
      location: 'primary',
      schedule: { cron: '0 3 * * *', timezone: 'Europe/Berlin', jitter: '5m', catchupWindow: '1h' },
      includedNamespaces: ['team-*', 'prod-?', 'ns[0-9]'],
      excludedNamespaces: ['kube-system'],
      includedResources: ['*'],
      excludedResources: ['events', 'events.events.k8s.io', 'secrets'],
      includeClusterResources: false,
      labelSelector: 'app in (web,api),!legacy',
      keep: 3,
      ttl: '30d',
      tiers: { daily: 7, weekly: 4 },
      keepOneOff: false,
      incompleteGracePeriod: '24h',
      encryption: { recipients: [RECIPIENT] },
    });
  });

  it.each([true, false])('keeps includeClusterResources: %j', (value) => {
    expect(
      configOf(validateConfig(doc({ policy: { includeClusterResources: value } }))).resourceBackups[0]!
        .includeClusterResources,
    ).toBe(value);
  });

  it('leaves includeClusterResources unset when it is not given (the third state)', () => {
    expect('includeClusterResources' in configOf(validateConfig(doc())).resourceBackups[0]!).toBe(false);
  });

  it('accepts orLabelSelectors of strings and objects', () => {
    const orLabelSelectors = [
      'app=web',
      { matchLabels: { tier: 'db' } },
      {
        matchExpressions: [
          { key: 'env', operator: 'In', values: ['prod', 'stage'] },
          { key: 'x', operator: 'Exists' },
        ],
      },
    ];
    expect(
      configOf(validateConfig(doc({ policy: { orLabelSelectors } }))).resourceBackups[0]!.orLabelSelectors,
    ).toEqual(orLabelSelectors);
  });

  it('accepts a tenant through its api, and the management cluster itself through api: {}', () => {
    expect(validateConfig(doc({ policy: { cluster: 'tenant' } })).ok).toBe(true);
    expect(validateConfig(doc({ policy: { cluster: 'tenant' }, tenant: { api: {} } })).ok).toBe(true);
  });

  it('gives rulesFromPolicy the same retention fields as an etcd policy', () => {
    const policy = configOf(
      validateConfig(doc({ policy: { keep: 2, ttl: '1d', tiers: { hourly: 3 }, keepOneOff: false } })),
    ).resourceBackups[0]!;
    expect(rulesFromPolicy(policy)).toEqual({
      keep: 2,
      keepOneOff: false,
      incompleteGraceMs: 24 * 3600_000,
      ttlMs: 24 * 3600_000,
      tiers: { hourly: 3 },
    });
  });

  it('defaults resourceBackups to an empty list, and leaves etcdBackups untouched', () => {
    const config = configOf(validateConfig(doc({ top: { resourceBackups: undefined } })));
    expect(config.resourceBackups).toEqual([]);
    expect(config.etcdBackups).toHaveLength(1);
  });
});

describe('resource backup policies: references', () => {
  it('reports an unknown cluster with the known ones', () => {
    expect(policyIssue({ cluster: 'nope' })).toEqual({
      path: 'resourceBackups[0].cluster',
      message: 'unknown cluster "nope"; define it under clusters (known: hub, tenant)',
    });
  });

  it('reports an unknown storage location with the known ones', () => {
    expect(policyIssue({ location: 'nope' })).toEqual({
      path: 'resourceBackups[0].location',
      message: 'unknown storage location "nope"; define it under storageLocations (known: primary)',
    });
  });

  it('reports a cluster with etcd and no api: it has no API for resource backups', () => {
    expect(onlyIssue(validateConfig(doc({ policy: { cluster: 'tenant' }, tenant: { api: undefined } })))).toEqual({
      path: 'resourceBackups[0].cluster',
      message:
        'cluster "tenant" has no API for resource backups: its kubernetes is the API that hosts its etcd, not ' +
        'necessarily its own; set clusters[1].api (kubeconfig and context of the cluster whose objects are backed ' +
        'up; api: {} when that is the management cluster itself)',
    });
  });

  it('reports references even when a type error elsewhere stops the schema', () => {
    expect(issuesOf(validateConfig(doc({ policy: { cluster: 'nope', keep: 'x' } }))).map((i) => i.path)).toEqual([
      'resourceBackups[0].keep',
      'resourceBackups[0].cluster',
    ]);
  });
});

describe('resource backup policies: bad input, each with its path and fix', () => {
  it('requires name, cluster and location', () => {
    expect(issuesOf(validateConfig(doc({ top: { resourceBackups: [{}] } })))).toEqual(
      ['resourceBackups[0].name', 'resourceBackups[0].cluster', 'resourceBackups[0].location'].map((path) => ({
        path,
        message: 'is required',
      })),
    );
  });

  it('rejects unknown fields (e.g. a misspelt filter, or an etcd-only field)', () => {
    expect(policyIssue({ includeNamespaces: ['a'], compression: 'gzip' })).toEqual({
      path: 'resourceBackups[0]',
      message: 'unknown field(s) "includeNamespaces", "compression"; remove or fix the spelling',
    });
  });

  it('validates the schedule as for etcd', () => {
    expect(policyIssue({ schedule: { cron: '0 0 * *' } })).toEqual({
      path: 'resourceBackups[0].schedule.cron',
      message:
        'is not a valid cron expression (it has 4 fields); use 5 fields "min hour day month weekday", e.g. "0 */6 * * *", or @hourly/@daily',
    });
  });

  it('validates retention as for etcd', () => {
    expect(policyIssue({ keep: 0 })).toEqual({
      path: 'resourceBackups[0].keep',
      message: 'must be at least 1: the newest backup is always kept',
    });
    expect(policyIssue({ tiers: { daily: -1 } }).path).toBe('resourceBackups[0].tiers.daily');
    expect(policyIssue({ ttl: 'soon' }).path).toBe('resourceBackups[0].ttl');
  });

  it('validates encryption recipients as for etcd', () => {
    expect(policyIssue({ encryption: { recipients: ['age1short'] } })).toEqual({
      path: 'resourceBackups[0].encryption.recipients[0]',
      message: 'must be an age X25519 public key (age1 followed by 58 characters), as printed by age-keygen',
    });
    expect(policyIssue({ encryption: { recipients: [] } })).toEqual({
      path: 'resourceBackups[0].encryption.recipients',
      message: 'list at least one recipient public key',
    });
  });

  it.each(['yes', 'true', 1, null])('rejects includeClusterResources %j: not a boolean', (value) => {
    expect(policyIssue({ includeClusterResources: value })).toEqual({
      path: 'resourceBackups[0].includeClusterResources',
      message:
        "must be true, false, or left out (Velero's default: cluster-scoped resources only when every namespace is backed up)",
    });
  });

  it('rejects labelSelector together with orLabelSelectors', () => {
    expect(policyIssue({ labelSelector: 'app=web', orLabelSelectors: ['tier=db'] })).toEqual({
      path: 'resourceBackups[0].orLabelSelectors',
      message:
        'labelSelector and orLabelSelectors cannot both be set (as in Velero); keep labelSelector for one selector, or move it into orLabelSelectors',
    });
  });

  it('rejects an empty orLabelSelectors', () => {
    expect(policyIssue({ orLabelSelectors: [] })).toEqual({
      path: 'resourceBackups[0].orLabelSelectors',
      message: 'list at least one selector, or remove orLabelSelectors',
    });
  });

  it('reports an invalid label selector string at its path', () => {
    expect(policyIssue({ labelSelector: 'app in web' })).toEqual({
      path: 'resourceBackups[0].labelSelector',
      message:
        '"app in web" is not a valid label selector: expected "(" after "app in"; write requirements such as "app=web", "tier in (a,b)", "!legacy", joined by commas',
    });
  });

  it('reports an invalid selector in orLabelSelectors at its index', () => {
    expect(policyIssue({ orLabelSelectors: ['app=web', 'a b'] }).path).toBe('resourceBackups[0].orLabelSelectors[1]');
  });

  it('reports a selector object problem at its path inside the selector', () => {
    expect(policyIssue({ labelSelector: { matchExpressions: [{ key: 'env', operator: 'In' }] } })).toEqual({
      path: 'resourceBackups[0].labelSelector.matchExpressions[0].values',
      message: 'In needs at least one value',
    });
    expect(policyIssue({ labelSelector: { matchLabels: { 'bad key!': 'x' } } }).path).toBe(
      'resourceBackups[0].labelSelector.matchLabels.bad key!',
    );
  });

  it('reports a selector that is neither a string nor a selector object', () => {
    expect(policyIssue({ labelSelector: 42 })).toEqual({
      path: 'resourceBackups[0].labelSelector',
      message:
        'must be a label selector: a string such as "app=web,tier in (a,b)" or an object with matchLabels and/or matchExpressions',
    });
    // A misspelt field leaves a selector that would select everything: both are said.
    expect(issuesOf(validateConfig(doc({ policy: { labelSelector: { matchLabel: { a: 'b' } } } })))).toEqual([
      {
        path: 'resourceBackups[0].labelSelector',
        message: 'unknown field(s) "matchLabel"; remove or fix the spelling',
      },
      {
        path: 'resourceBackups[0].labelSelector',
        message: 'selects everything (no matchLabels or matchExpressions); remove it, or give at least one requirement',
      },
    ]);
  });

  it('reports an invalid namespace glob at its index', () => {
    expect(policyIssue({ includedNamespaces: ['ok', 'team-{a,b}'] })).toEqual({
      path: 'resourceBackups[0].includedNamespaces[1]',
      message: `"team-{a,b}" uses one of |(){}!, which Velero's globs do not support; use *, ? or [...]`,
    });
    expect(policyIssue({ excludedNamespaces: ['Kube_System'] }).path).toBe('resourceBackups[0].excludedNamespaces[0]');
  });

  it('reports an invalid resource name at its index', () => {
    expect(policyIssue({ excludedResources: ['config maps'] })).toEqual({
      path: 'resourceBackups[0].excludedResources[0]',
      message:
        '"config maps" is not a resource name: use a name as kubectl knows it, e.g. configmaps, deployments.apps, cm or "*"',
    });
  });

  it('rejects "*" with other included items, as Velero does', () => {
    expect(policyIssue({ includedNamespaces: ['*', 'a'] })).toEqual({
      path: 'resourceBackups[0].includedNamespaces',
      message: 'lists "*" with other items; use "*" alone (everything) or only the items to include',
    });
    expect(policyIssue({ includedResources: ['pods', '*'] }).path).toBe('resourceBackups[0].includedResources');
  });

  it('rejects "*" in an exclude list, as Velero does', () => {
    expect(policyIssue({ excludedResources: ['*'] })).toEqual({
      path: 'resourceBackups[0].excludedResources[0]',
      message: 'cannot be "*" (that would exclude everything); list what to exclude, or remove the policy',
    });
  });

  it('rejects an item both included and excluded, as Velero does', () => {
    expect(policyIssue({ includedNamespaces: ['a', 'b'], excludedNamespaces: ['b'] })).toEqual({
      path: 'resourceBackups[0].excludedNamespaces[0]',
      message: '"b" is also in includedNamespaces; remove it from one of the two',
    });
  });

  it('reports every problem of every policy at once', () => {
    const issues = issuesOf(
      validateConfig(
        doc({
          policy: {
            cluster: 'nope',
            location: 'gone',
            includedNamespaces: ['a|b'],
            excludedResources: ['*'],
            includeClusterResources: 'no',
            labelSelector: 'x=',
            orLabelSelectors: ['=y'],
            keep: 0,
          },
        }),
      ),
    );
    // Schema issues first, then the checks between fields and sections.
    expect(issues.map((i) => i.path)).toEqual([
      'resourceBackups[0].includedNamespaces[0]',
      'resourceBackups[0].includeClusterResources',
      'resourceBackups[0].orLabelSelectors[0]',
      'resourceBackups[0].keep',
      'resourceBackups[0].cluster',
      'resourceBackups[0].location',
      'resourceBackups[0].excludedResources[0]',
      'resourceBackups[0].orLabelSelectors',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// The pure filter checks

describe('namespacePatternIssue', () => {
  it.each(['default', 'kube-system', '*', 'team-*', 'prod-?', 'ns[0-9]', 'a[bc]d*', 'x'.repeat(63)])(
    'accepts %j',
    (p) => {
      expect(namespacePatternIssue(p)).toBeUndefined();
    },
  );

  it.each([
    ['', 'is empty; give a namespace name or a glob such as "team-*"'],
    ['a**', `"a**" uses "**", which Velero's globs do not support; use a single "*"`],
    ['a|b', `"a|b" uses one of |(){}!, which Velero's globs do not support; use *, ? or [...]`],
    ['(a)', `"(a)" uses one of |(){}!, which Velero's globs do not support; use *, ? or [...]`],
    ['!a', `"!a" uses one of |(){}!, which Velero's globs do not support; use *, ? or [...]`],
    ['a,b', `"a,b" uses one of |(){}!, which Velero's globs do not support; use *, ? or [...]`],
    ['ns[0-9', `"ns[0-9" has a "[" that is never closed; close it with "]"`],
    ['ns]', `"ns]" has a "]" without a "["`],
    ['a[[b]]', `"a[[b]]" nests "[" inside "[...]"; close the first class with "]"`],
    [
      'Prod',
      `"Prod" is not a namespace name or glob: use lowercase letters, digits and "-" (at most 63), with *, ? or [...]`,
    ],
    [
      'a_b',
      `"a_b" is not a namespace name or glob: use lowercase letters, digits and "-" (at most 63), with *, ? or [...]`,
    ],
    [
      'a.b',
      `"a.b" is not a namespace name or glob: use lowercase letters, digits and "-" (at most 63), with *, ? or [...]`,
    ],
    [
      'x'.repeat(64),
      `"${'x'.repeat(64)}" is not a namespace name or glob: use lowercase letters, digits and "-" (at most 63), with *, ? or [...]`,
    ],
  ])('rejects %j', (p, message) => {
    expect(namespacePatternIssue(p)).toBe(message);
  });
});

describe('resourceNameIssue', () => {
  it.each([
    'configmaps',
    'deployments.apps',
    'cm',
    'deploy',
    'Deployment',
    '*',
    '*.apps',
    'widgets.example.com',
    'v1-things',
  ])('accepts %j', (r) => {
    expect(resourceNameIssue(r)).toBeUndefined();
  });

  it.each(['', 'config maps', 'pods/log', '.apps', 'pods.', 'a..b', 'a**', 'a{b}', 'x_y'])('rejects %j', (r) => {
    expect(resourceNameIssue(r)).toBeTypeOf('string');
  });
});

describe('label keys and values', () => {
  it.each(['app', 'app.kubernetes.io/name', 'lifeboat.dev/exclude-from-backup', 'A_b.c-9', 'x'.repeat(63)])(
    'accepts the key %j',
    (key) => {
      expect(labelKeyIssue(key)).toBeUndefined();
    },
  );

  it.each(['', '-a', 'a-', 'a b', 'x'.repeat(64), '/a', 'Example.com/a', 'a/', 'a/b/c', `${'a'.repeat(254)}/x`])(
    'rejects the key %j',
    (key) => {
      expect(labelKeyIssue(key)).toBeTypeOf('string');
    },
  );

  it.each(['', 'v', 'v1.2_3-x', 'x'.repeat(63)])('accepts the value %j', (value) => {
    expect(labelValueIssue(value)).toBeUndefined();
  });

  it.each(['-v', 'v-', 'a b', 'a/b', 'x'.repeat(64)])('rejects the value %j', (value) => {
    expect(labelValueIssue(value)).toBeTypeOf('string');
  });
});

describe('parseSelector (kubectl syntax)', () => {
  it.each([
    ['app=web', [{ key: 'app', operator: 'In', values: ['web'] }]],
    ['app==web', [{ key: 'app', operator: 'In', values: ['web'] }]],
    ['app!=web', [{ key: 'app', operator: 'NotIn', values: ['web'] }]],
    ['app=', [{ key: 'app', operator: 'In', values: [''] }]],
    ['app', [{ key: 'app', operator: 'Exists', values: [] }]],
    ['!app', [{ key: 'app', operator: 'DoesNotExist', values: [] }]],
    ['app in (web,api)', [{ key: 'app', operator: 'In', values: ['web', 'api'] }]],
    ['app notin (web)', [{ key: 'app', operator: 'NotIn', values: ['web'] }]],
    [
      ' app.kubernetes.io/name = web , tier in ( a , b ) , ! legacy ,x ',
      [
        { key: 'app.kubernetes.io/name', operator: 'In', values: ['web'] },
        { key: 'tier', operator: 'In', values: ['a', 'b'] },
        { key: 'legacy', operator: 'DoesNotExist', values: [] },
        { key: 'x', operator: 'Exists', values: [] },
      ],
    ],
    [
      'a=1,a!=2',
      [
        { key: 'a', operator: 'In', values: ['1'] },
        { key: 'a', operator: 'NotIn', values: ['2'] },
      ],
    ],
  ])('parses %j', (text, requirements) => {
    expect(parseSelector(text)).toEqual({ ok: true, requirements });
  });

  const hint = '; write requirements such as "app=web", "tier in (a,b)", "!legacy", joined by commas';
  it.each([
    ['', 'is empty; remove it to select every object, or write e.g. "app=web"'],
    ['   ', 'is empty; remove it to select every object, or write e.g. "app=web"'],
    ['app=web,', `"app=web," is not a valid label selector: it ends with ","${hint}`],
    [',app', `",app" is not a valid label selector: expected a label key, found ","${hint}`],
    [
      'app web',
      `"app web" is not a valid label selector: expected =, ==, !=, in, notin or "," after "app", found "web"${hint}`,
    ],
    ['app in web', `"app in web" is not a valid label selector: expected "(" after "app in"${hint}`],
    [
      'app in (web',
      `"app in (web" is not a valid label selector: expected "," or ")" in the value list of "app"${hint}`,
    ],
    ['app in (', `"app in (" is not a valid label selector: the value list of "app" is not closed with ")"${hint}`],
    ['app in ()', `"app in ()" is not a valid label selector: "app in ()" needs at least one value${hint}`],
    ['app in (a,=)', `"app in (a,=)" is not a valid label selector: unexpected "=" in the value list of "app"${hint}`],
    ['app=(x)', `"app=(x)" is not a valid label selector: expected a value after "app=", found "("${hint}`],
    ['a=b c=d', `"a=b c=d" is not a valid label selector: expected "," between requirements, found "c"${hint}`],
    ['!', `"!" is not a valid label selector: it ends where a label key should be${hint}`],
    ['!a=b', `"!a=b" is not a valid label selector: expected "," between requirements, found "="${hint}`],
    [
      'replicas>2',
      `"replicas>2" is not a valid label selector: ">" is not supported (a metav1.LabelSelector, which Velero stores, has no Gt/Lt); use =, !=, in or notin${hint}`,
    ],
    [
      '-bad=x',
      'label key "-bad" is invalid: its name must be 1-63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
    ],
    [
      'a=-bad',
      'label value "-bad" is invalid: it must be at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
    ],
    [
      'a in (ok,-bad)',
      'label value "-bad" is invalid: it must be at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
    ],
  ])('rejects %j', (text, error) => {
    expect(parseSelector(text)).toEqual({ ok: false, error });
  });
});

describe('selector objects', () => {
  it('accepts matchLabels and matchExpressions', () => {
    expect(
      selectorIssues({
        matchLabels: { app: 'web' },
        matchExpressions: [
          { key: 'tier', operator: 'NotIn', values: ['db'] },
          { key: 'legacy', operator: 'DoesNotExist' },
          { key: 'x', operator: 'Exists', values: [] },
        ],
      }),
    ).toEqual([]);
  });

  it('reports each problem at its path inside the selector', () => {
    expect(
      selectorIssues({
        matchLabels: { 'a b': 'x', ok: '-v' },
        matchExpressions: [
          { key: '', operator: 'Exists', values: ['x'] },
          { key: 'k', operator: 'NotIn' },
          { key: 'k', operator: 'In', values: ['ok', 'bad value'] },
        ],
      }).map((i) => [i.path, i.message]),
    ).toEqual([
      [['matchLabels', 'a b'], expect.stringContaining('label key "a b" is invalid')],
      [['matchLabels', 'ok'], expect.stringContaining('label value "-v" is invalid')],
      [['matchExpressions', 0, 'key'], expect.stringContaining('label key "" is invalid')],
      [['matchExpressions', 0, 'values'], 'Exists takes no values; remove values, or use In/NotIn'],
      [['matchExpressions', 1, 'values'], 'NotIn needs at least one value'],
      [['matchExpressions', 2, 'values', 1], expect.stringContaining('label value "bad value" is invalid')],
    ]);
  });

  it('reports an empty selector object (it would select everything)', () => {
    expect(selectorIssues({})).toEqual([
      {
        path: [],
        message: 'selects everything (no matchLabels or matchExpressions); remove it, or give at least one requirement',
      },
    ]);
  });

  it('reports a string selector at the selector itself', () => {
    const [issue, ...rest] = selectorIssues('a b');
    expect(rest).toEqual([]);
    expect(issue!.path).toEqual([]);
    expect(issue!.message).toContain('"a b" is not a valid');
    expect(selectorIssues('a=b')).toEqual([]);
  });
});

describe('selectorRequirements and formatSelector', () => {
  it('turns an object into requirements, matchLabels first in key order', () => {
    expect(
      selectorRequirements({
        matchLabels: { tier: 'db', app: 'web' },
        matchExpressions: [{ key: 'x', operator: 'Exists' }],
      }),
    ).toEqual([
      { key: 'app', operator: 'In', values: ['web'] },
      { key: 'tier', operator: 'In', values: ['db'] },
      { key: 'x', operator: 'Exists', values: [] },
    ]);
  });

  it('throws on a string the schema would have refused', () => {
    expect(() => selectorRequirements('a in')).toThrow('is not a valid label selector');
  });

  it.each([
    ['app=web', 'app=web'],
    ['app==web', 'app=web'],
    ['app != web', 'app!=web'],
    ['tier in (a, b),!legacy, x', 'tier in (a,b),!legacy,x'],
    ['k notin (a,b)', 'k notin (a,b)'],
    ['a=', 'a='],
  ])('formats %j as %j, which parses back to the same requirements', (text, formatted) => {
    const requirements = selectorRequirements(text);
    expect(formatSelector(requirements)).toBe(formatted);
    expect(parseSelector(formatted)).toEqual({ ok: true, requirements });
  });

  it('formats an object selector for a LIST', () => {
    expect(
      formatSelector(
        selectorRequirements({
          matchLabels: { app: 'web' },
          matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['dev', 'test'] }],
        }),
      ),
    ).toBe('app=web,env notin (dev,test)');
  });
});

// ---------------------------------------------------------------------------------------------------------------------

describe('deploy/examples/lifeboat.yaml', () => {
  const text = readFileSync(new URL('../../deploy/examples/lifeboat.yaml', import.meta.url), 'utf8');

  it('parses', () => {
    configOf(parseConfig(text));
  });

  it('gives lifeboat apply the schedules of its scheduled policies of both kinds', () => {
    const config = configOf(parseConfig(text));
    expect(config.resourceBackups.some((p) => p.schedule !== undefined)).toBe(true);
    expect(desiredSchedules(config).map((s) => s.id)).toEqual([
      ...config.etcdBackups.filter((p) => p.schedule).map((p) => `etcd-backup/${p.cluster}/${p.name}`),
      ...config.resourceBackups.filter((p) => p.schedule).map((p) => `resource-backup/${p.cluster}/${p.name}`),
    ]);
  });

  it("has a cluster with its own api and a resource backup policy, and keeps the dev stack's first cluster", () => {
    const config = configOf(parseConfig(text));
    expect(config.clusters[0]!.etcd).toBeDefined();
    expect(config.clusters.some((c) => c.api !== undefined)).toBe(true);
    expect(config.resourceBackups.length).toBeGreaterThan(0);
    for (const policy of config.resourceBackups) {
      const cluster = config.clusters.find((c) => c.name === policy.cluster)!;
      expect(resourceApi(cluster)).toBeDefined();
    }
  });
});
