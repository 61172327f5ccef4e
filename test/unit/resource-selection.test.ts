import { describe, expect, it } from 'vitest';
import type { ListingPlan } from '../../core/resources/model.js';
import {
  appliedFilters,
  EXCLUSION_SELECTOR,
  namespaceSelected,
  planListing,
  resolveResourceName,
  resourceFilterAllows,
  type LiveNamespace,
  type ResourceFilters,
} from '../../core/resources/selection.js';
import {
  CLUSTER_SCOPED,
  discovery,
  discoveryWithoutCrd,
  FULL_ORDER,
  legacyDiscovery,
  liveNamespaces,
  NAMESPACED,
  ns,
} from './resource-discovery.js';

const EXCLUDE = 'lifeboat.dev/exclude-from-backup!=true,velero.io/exclude-from-backup!=true';

function plan(filters: ResourceFilters = {}, namespaces: LiveNamespace[] = liveNamespaces, d = discovery): ListingPlan {
  return planListing({ discovery: d, filters, namespaces });
}

const names = (p: ListingPlan) => p.resources.map((r) => r.name);
const scopeOf = (p: ListingPlan, name: string) => p.resources.find((r) => r.name === name)?.scope;
const listedClusterScoped = (p: ListingPlan) => names(p).filter((n) => CLUSTER_SCOPED.includes(n));

describe('a full-cluster backup (no filters)', () => {
  const full = plan();

  it("lists every resource that supports list, create, get and delete, in Velero's order, namespaces last", () => {
    expect(names(full)).toEqual(FULL_ORDER);
  });

  it('never lists subresources, non-listable resources, the snapshot resources or the second copy of events', () => {
    for (const gone of [
      'bindings',
      'componentstatuses',
      'selfsubjectaccessreviews.authorization.k8s.io',
      'pods/log',
      'namespaces/status',
      'deployments/scale.apps',
      'widgets/status.example.lifeboat.dev',
      'volumesnapshots.snapshot.storage.k8s.io',
      'volumesnapshotcontents.snapshot.storage.k8s.io',
      'events.events.k8s.io',
    ]) {
      expect(names(full)).not.toContain(gone);
    }
    expect(full.resources.every((r) => !r.resource.resource.includes('/'))).toBe(true);
  });

  it('lists namespaced resources with one cluster-wide LIST each, cluster-scoped ones without a scope', () => {
    for (const n of NAMESPACED) expect(scopeOf(full, n)).toEqual({ all: true });
    for (const n of [...CLUSTER_SCOPED, 'namespaces']) expect(scopeOf(full, n)).toBeUndefined();
  });

  it('carries the resource as discovered, and its archive name', () => {
    const deployments = full.resources.find((r) => r.name === 'deployments.apps')!;
    expect(deployments.resource).toMatchObject({ group: 'apps', version: 'v1', resource: 'deployments' });
  });

  it('excludes labelled objects server-side, selects every namespace, and needs no related items', () => {
    expect(full).toMatchObject({
      selectors: [EXCLUDE],
      namespaces: { included: ['*'], excluded: [] },
      relatedClusterItems: false,
      namespacesOnlyWithItems: false,
      warnings: [],
    });
    expect(EXCLUSION_SELECTOR).toBe(EXCLUDE);
  });

  it('is deterministic, and ignores groups discovery could not read', () => {
    expect(plan()).toEqual(full);
    expect(plan({}, liveNamespaces, { ...discovery, failedGroups: [] })).toEqual(full);
  });

  it('"*" included is the same as nothing included', () => {
    expect(plan({ includedResources: ['*'], includedNamespaces: ['*'] })).toEqual(full);
  });
});

describe("Velero's order", () => {
  it('puts pods, PVCs and PVs first in the core group whatever order discovery gives, the rest as discovered', () => {
    const shuffled = { ...discovery, resources: [...discovery.resources].reverse() };
    const order = names(plan({}, liveNamespaces, shuffled));
    expect(order.slice(0, 3)).toEqual(['pods', 'persistentvolumeclaims', 'persistentvolumes']);
    expect(order[3]).toBe('services');
    expect(order.at(-1)).toBe('namespaces');
    // The core group first whatever the input order; the other groups keep discovery's (reversed here).
    expect(order.indexOf('services')).toBeLessThan(order.indexOf('gizmos.example.lifeboat.dev'));
    expect(order.indexOf('gizmos.example.lifeboat.dev')).toBeLessThan(order.indexOf('widgets.example.lifeboat.dev'));
    expect(order.indexOf('widgets.example.lifeboat.dev')).toBeLessThan(order.indexOf('statefulsets.apps'));
  });

  it('moves the extensions group last and keeps the apps and networking.k8s.io copies of its cohabitants', () => {
    const legacy = names(plan({}, liveNamespaces, legacyDiscovery));
    expect(legacy.filter((n) => n.endsWith('.extensions'))).toEqual(['podsecuritypolicies.extensions']);
    expect(legacy.at(-2)).toBe('podsecuritypolicies.extensions');
    expect(legacy).toContain('deployments.apps');
    expect(legacy).toContain('daemonsets.apps');
    expect(legacy).toContain('replicasets.apps');
    expect(legacy).toContain('networkpolicies.networking.k8s.io');
  });
});

describe('cohabitating resources: the first copy the filters allow', () => {
  it('takes events.events.k8s.io when only it is included', () => {
    expect(names(plan({ includedResources: ['events.events.k8s.io'] }))).toEqual(['events.events.k8s.io']);
  });

  it('takes the extensions copy when only it is included', () => {
    expect(names(plan({ includedResources: ['deployments.extensions'] }, liveNamespaces, legacyDiscovery))).toEqual([
      'deployments.extensions',
    ]);
  });

  it('takes the core copy of events when both are included, once', () => {
    expect(names(plan({ includedResources: ['events', 'events.events.k8s.io'] }))).toEqual(['events']);
  });

  it('excluding either copy excludes both (the same objects), unlike Velero', () => {
    expect(names(plan({ excludedResources: ['events'] }))).not.toContain('events.events.k8s.io');
    expect(names(plan({ excludedResources: ['events'] }))).not.toContain('events');
    expect(names(plan({ excludedResources: ['events.events.k8s.io'] }))).not.toContain('events');
    const legacy = names(plan({ excludedResources: ['deploy'] }, liveNamespaces, legacyDiscovery));
    expect(legacy.filter((n) => n.startsWith('deployments'))).toEqual([]);
  });
});

describe('resolving a resource name as kubectl and Velero do', () => {
  const served = discovery.resources;
  it.each([
    ['configmaps', ['configmaps']],
    ['CONFIGMAPS', ['configmaps']],
    ['configmap', ['configmaps']],
    ['ConfigMap', ['configmaps']],
    ['cm', ['configmaps']],
    ['endpoints', ['endpoints']],
    ['Endpoints', ['endpoints']],
    ['deployments', ['deployments.apps']],
    ['deployment', ['deployments.apps']],
    ['deploy', ['deployments.apps']],
    ['deployments.apps', ['deployments.apps']],
    ['Deployment.apps', ['deployments.apps']],
    ['deploy.apps', ['deployments.apps']],
    ['deployments.v1.apps', ['deployments.apps']],
    ['deployments.v2.apps', []],
    ['events', ['events']],
    ['ev', ['events']],
    ['events.events.k8s.io', ['events.events.k8s.io']],
    ['widgets', ['widgets.example.lifeboat.dev']],
    ['widget', ['widgets.example.lifeboat.dev']],
    ['Widget', ['widgets.example.lifeboat.dev']],
    ['wd', ['widgets.example.lifeboat.dev']],
    ['widgets.example.lifeboat.dev', ['widgets.example.lifeboat.dev']],
    ['wd.example.lifeboat.dev', ['widgets.example.lifeboat.dev']],
    ['crd', ['customresourcedefinitions.apiextensions.k8s.io']],
    ['ns', ['namespaces']],
    ['pv', ['persistentvolumes']],
    ['clusterroles.rbac.authorization.k8s.io', ['clusterroles.rbac.authorization.k8s.io']],
    ['widgets.apps', []],
    ['nope', []],
    ['pods.nope.example', []],
  ])('%s -> %j', (name, expected) => {
    expect(resolveResourceName(served, name)).toEqual(expected);
  });

  it.each([
    [
      '*.apps',
      ['controllerrevisions.apps', 'daemonsets.apps', 'deployments.apps', 'replicasets.apps', 'statefulsets.apps'],
    ],
    ['config*', ['configmaps']],
    ['secret?', ['secrets']],
    ['[cs]ecrets', ['secrets']],
    ['*roles.rbac.authorization.k8s.io', ['clusterroles.rbac.authorization.k8s.io', 'roles.rbac.authorization.k8s.io']],
    ['*.example.lifeboat.dev', ['widgets.example.lifeboat.dev', 'gizmos.example.lifeboat.dev']],
    ['pods/log', []],
    ['zz*', []],
    ['Config*', []],
  ])('glob %s -> %j (matched against the groupResource, case-sensitively)', (name, expected) => {
    expect(resolveResourceName(served, name)).toEqual(expected);
  });

  it('"*" names every resource once', () => {
    const all = resolveResourceName(served, '*');
    expect(all).toHaveLength(new Set(all).size);
    expect(all).toContain('pods');
    expect(all).toContain('widgets.example.lifeboat.dev');
  });

  it("a bare name served by two groups is the first in Velero's order (extensions last, core first)", () => {
    expect(resolveResourceName(legacyDiscovery.resources, 'deployments')).toEqual(['deployments.apps']);
    expect(resolveResourceName(legacyDiscovery.resources, 'deployments.extensions')).toEqual([
      'deployments.extensions',
    ]);
    const coreLast = [
      ...discovery.resources.filter((r) => r.group !== ''),
      ...discovery.resources.filter((r) => r.group === ''),
    ];
    expect(resolveResourceName(coreLast, 'events')).toEqual(['events']);
  });
});

describe('resource filters', () => {
  it('includes only what is named, by any of its names, and no cluster-scoped resource unless named', () => {
    expect(names(plan({ includedResources: ['cm', 'Deployment', 'secrets'] }))).toEqual([
      'configmaps',
      'secrets',
      'deployments.apps',
    ]);
  });

  it('includes Namespace objects only when the filters allow `namespaces`, as Velero', () => {
    expect(names(plan({ includedResources: ['cm', 'ns'] }))).toEqual(['configmaps', 'namespaces']);
    expect(names(plan({ excludedResources: ['namespaces'] }))).not.toContain('namespaces');
  });

  it('lets excludes win over includes, globs included', () => {
    const p = plan({ includedResources: ['*.rbac.authorization.k8s.io', 'cm'], excludedResources: ['cluster*'] });
    expect(names(p)).toEqual([
      'configmaps',
      'rolebindings.rbac.authorization.k8s.io',
      'roles.rbac.authorization.k8s.io',
    ]);
    const q = plan({ excludedResources: ['secrets', '*.rbac.authorization.k8s.io', 'wd'] });
    expect(names(q)).toEqual(
      FULL_ORDER.filter(
        (n) => n !== 'secrets' && !n.endsWith('.rbac.authorization.k8s.io') && !n.startsWith('widgets'),
      ),
    );
  });

  it('never lists the snapshot resources, even when included by name', () => {
    const p = plan({ includedResources: ['volumesnapshots', 'vsc', 'vsclass'], includeClusterResources: true });
    expect(names(p)).toEqual(['volumesnapshotclasses.snapshot.storage.k8s.io']);
    expect(p.warnings).toEqual([]);
  });

  it('warns about a name no API serves, naming the field, and lists nothing for it', () => {
    const p = plan(
      { includedResources: ['widgets', 'cm'], excludedResources: ['foos.example.com'] },
      liveNamespaces,
      discoveryWithoutCrd,
    );
    expect(names(p)).toEqual(['configmaps']);
    expect(p.warnings).toEqual([
      'includedResources: "widgets" is served by no API of this cluster (a CRD may be installed later); nothing is backed up for it',
      'excludedResources: "foos.example.com" is served by no API of this cluster (a CRD may be installed later); nothing is excluded for it',
    ]);
  });

  it('an include that names nothing backupable lists nothing at all (it is not "everything")', () => {
    const p = plan({ includedResources: ['widgets'] }, liveNamespaces, discoveryWithoutCrd);
    expect(p.resources).toEqual([]);
    expect(plan({ includedResources: ['zz*'] }).warnings).toEqual([
      'includedResources: "zz*" is served by no API of this cluster (a CRD may be installed later); nothing is backed up for it',
    ]);
  });

  it('says when a served resource cannot be backed up', () => {
    const p = plan({ includedResources: ['bindings', 'cs', 'pods/log'] });
    expect(p.resources).toEqual([]);
    expect(p.warnings).toEqual([
      'includedResources: "bindings" cannot be backed up: its API does not support all of list, create, get, delete; nothing is backed up for it',
      'includedResources: "cs" cannot be backed up: its API does not support all of list, create, get, delete; nothing is backed up for it',
      'includedResources: "pods/log" is served by no API of this cluster (a CRD may be installed later); nothing is backed up for it',
    ]);
    expect(plan({ excludedResources: ['bindings'] }).warnings).toEqual([]);
  });

  it('resourceFilterAllows answers for one resource with the same rules', () => {
    const r = discovery.resources;
    expect(resourceFilterAllows(r, {}, 'persistentvolumes')).toBe(true);
    expect(resourceFilterAllows(r, { includedResources: ['pvc'] }, 'persistentvolumes')).toBe(false);
    expect(resourceFilterAllows(r, { includedResources: ['pvc', 'pv'] }, 'persistentvolumes')).toBe(true);
    expect(resourceFilterAllows(r, { excludedResources: ['pv'] }, 'persistentvolumes')).toBe(false);
  });
});

describe('includeClusterResources (tri-state) with and without a namespace filter', () => {
  const labelled = [...liveNamespaces, ns('scratch', { 'velero.io/exclude-from-backup': 'true' })];
  const cases: {
    what: string;
    filters: ResourceFilters;
    live?: LiveNamespace[];
    cluster: string[];
    related: boolean;
  }[] = [
    { what: 'unset, no namespace filter', filters: {}, cluster: CLUSTER_SCOPED, related: false },
    { what: 'unset, "*" included', filters: { includedNamespaces: ['*'] }, cluster: CLUSTER_SCOPED, related: false },
    { what: 'unset, namespaces included', filters: { includedNamespaces: ['team-*'] }, cluster: [], related: true },
    {
      what: 'unset, a namespace excluded',
      filters: { excludedNamespaces: ['kube-system'] },
      cluster: [],
      related: true,
    },
    // As in Velero: an exclude-labelled namespace joins the excludes, so the filter is no longer "everything".
    { what: 'unset, a namespace labelled excluded', filters: {}, live: labelled, cluster: [], related: true },
    {
      what: 'true, no namespace filter',
      filters: { includeClusterResources: true },
      cluster: CLUSTER_SCOPED,
      related: false,
    },
    {
      what: 'true, namespaces included',
      filters: { includeClusterResources: true, includedNamespaces: ['team-a'] },
      cluster: CLUSTER_SCOPED,
      related: false,
    },
    {
      what: 'true, a namespace excluded',
      filters: { includeClusterResources: true, excludedNamespaces: ['kube-*'] },
      cluster: CLUSTER_SCOPED,
      related: false,
    },
    { what: 'false, no namespace filter', filters: { includeClusterResources: false }, cluster: [], related: false },
    {
      what: 'false, namespaces included',
      filters: { includeClusterResources: false, includedNamespaces: ['team-a'] },
      cluster: [],
      related: false,
    },
  ];

  it.each(cases)('$what', ({ filters, live, cluster, related }) => {
    const p = plan(filters, live);
    expect(listedClusterScoped(p)).toEqual(cluster);
    expect(p.relatedClusterItems).toBe(related);
    // Namespace objects follow the namespace filter (per item), listed last, except that false lists none.
    expect(names(p).includes('namespaces')).toBe(filters.includeClusterResources !== false);
    if (filters.includeClusterResources !== false) expect(names(p).at(-1)).toBe('namespaces');
    expect(names(p).filter((n) => NAMESPACED.includes(n))).toEqual(NAMESPACED);
  });

  it('false lists no Namespace objects either, even when named (Velero v1.18.3 refuses them before listing)', () => {
    expect(names(plan({ includeClusterResources: false, includedResources: ['cm', 'ns'] }))).toEqual(['configmaps']);
    expect(
      names(plan({ includeClusterResources: false, includedNamespaces: ['team-a'], labelSelector: 'app=web' })),
    ).not.toContain('namespaces');
  });

  it('true lists only the cluster-scoped resources the resource filters allow', () => {
    const p = plan({ includeClusterResources: true, includedResources: ['cm', 'clusterroles', 'sc'] });
    expect(names(p)).toEqual(['configmaps', 'clusterroles.rbac.authorization.k8s.io', 'storageclasses.storage.k8s.io']);
  });

  it('unset with a namespace filter brings related items only when the filters allow PVs or CRDs', () => {
    const scoped = { includedNamespaces: ['team-a'] };
    expect(plan({ ...scoped, includedResources: ['pvc', 'pods'] }).relatedClusterItems).toBe(false);
    expect(plan({ ...scoped, includedResources: ['pvc', 'pv'] }).relatedClusterItems).toBe(true);
    expect(plan({ ...scoped, includedResources: ['wd', 'crd'] }).relatedClusterItems).toBe(true);
    expect(plan({ ...scoped, excludedResources: ['pv', 'crd'] }).relatedClusterItems).toBe(false);
    expect(plan({ ...scoped, excludedResources: ['pv'] }).relatedClusterItems).toBe(true);
  });
});

describe('namespace filters', () => {
  it('"everything" is one cluster-wide LIST; excluded namespaces are left to the per-item check', () => {
    const p = plan({ excludedNamespaces: ['kube-*', 'default'] });
    expect(scopeOf(p, 'configmaps')).toEqual({ all: true });
    expect(p.namespaces).toEqual({ included: ['*'], excluded: ['kube-*', 'default'] });
  });

  it('expands globs (*, ?, [...]) against the active namespaces, sorted', () => {
    const p = plan({ includedNamespaces: ['team-?', 'app[12]', 'default'] });
    expect(scopeOf(p, 'pods')).toEqual({ all: false, namespaces: ['app1', 'app2', 'default', 'team-a', 'team-b'] });
    expect(p.namespaces).toEqual({ included: ['team-?', 'app[12]', 'default'], excluded: [] });
    expect(p.warnings).toEqual([]);
  });

  it('skips namespaces that are not active (team-c is terminating)', () => {
    expect(scopeOf(plan({ includedNamespaces: ['team-*'] }), 'secrets')).toEqual({
      all: false,
      namespaces: ['team-a', 'team-ab', 'team-b'],
    });
  });

  it('applies the excludes to the expansion, globs too', () => {
    const p = plan({ includedNamespaces: ['team-*', 'app*'], excludedNamespaces: ['team-a?', 'app[3]'] });
    expect(scopeOf(p, 'pods')).toEqual({ all: false, namespaces: ['app1', 'app2', 'team-a', 'team-b'] });
  });

  it('gives every namespaced resource the same scope, and its own copy of it', () => {
    const p = plan({ includedNamespaces: ['team-a'] });
    const scopes = p.resources.filter((r) => r.resource.namespaced).map((r) => r.scope);
    expect(new Set(scopes.map((s) => JSON.stringify(s)))).toEqual(new Set(['{"all":false,"namespaces":["team-a"]}']));
    expect(scopes[0]).not.toBe(scopes[1]);
  });

  it('excludes namespaces labelled with either exclude label (value "true" only)', () => {
    const live = [
      ns('a'),
      ns('b', { 'lifeboat.dev/exclude-from-backup': 'true' }),
      ns('c', { 'velero.io/exclude-from-backup': 'true' }),
      ns('d', { 'velero.io/exclude-from-backup': 'false' }),
      ns('e', { 'lifeboat.dev/exclude-from-backup': 'yes' }),
      ns('f', { 'velero.io/exclude-from-backup': 'true' }, false),
    ];
    const p = plan({ includedNamespaces: ['?'], excludedNamespaces: ['a'] }, live);
    expect(p.namespaces.excluded).toEqual(['a', 'b', 'c', 'f']);
    expect(scopeOf(p, 'pods')).toEqual({ all: false, namespaces: ['d', 'e'] });
    expect(plan({}, live).namespaces.excluded).toEqual(['b', 'c', 'f']);
  });

  it('warns about an included namespace that is not there or not active, but not about a glob matching none', () => {
    const p = plan({ includedNamespaces: ['missing', 'team-c', 'zz-*', 'team-a'] });
    expect(scopeOf(p, 'pods')).toEqual({ all: false, namespaces: ['team-a'] });
    expect(p.warnings).toEqual([
      'includedNamespaces: "missing" is not an active namespace of this cluster; nothing is backed up from it',
      'includedNamespaces: "team-c" is not an active namespace of this cluster; nothing is backed up from it',
    ]);
  });

  it('a filter that selects no namespace still lists nothing namespaced', () => {
    expect(scopeOf(plan({ includedNamespaces: ['zz-*'] }), 'pods')).toEqual({ all: false, namespaces: [] });
  });
});

describe('namespaceSelected', () => {
  it.each([
    [{ included: [], excluded: [] }, 'anything', true],
    [{ included: ['*'], excluded: [] }, 'anything', true],
    [{ included: ['*'], excluded: ['kube-*'] }, 'kube-system', false],
    [{ included: ['*'], excluded: ['kube-*'] }, 'default', true],
    [{ included: ['team-?'], excluded: [] }, 'team-a', true],
    [{ included: ['team-?'], excluded: [] }, 'team-ab', false],
    [{ included: ['app[12]'], excluded: [] }, 'app2', true],
    [{ included: ['app[12]'], excluded: [] }, 'app3', false],
    [{ included: ['app[1-3]'], excluded: [] }, 'app3', true],
    [{ included: ['a.b'], excluded: [] }, 'axb', false],
    [{ included: ['default'], excluded: [] }, 'default', true],
    [{ included: ['default'], excluded: [] }, 'default2', false],
    [{ included: ['team-*'], excluded: ['team-b'] }, 'team-b', false],
  ])('%j selects %s: %s', (namespaces, name, expected) => {
    expect(namespaceSelected(namespaces, name)).toBe(expected);
  });
});

describe('label selectors', () => {
  it('ANDs a string selector with the exclude labels', () => {
    expect(plan({ labelSelector: 'app=web, tier in (a,b),!legacy' }).selectors).toEqual([
      `app=web,tier in (a,b),!legacy,${EXCLUDE}`,
    ]);
  });

  it('writes an object selector in wire syntax, matchLabels first in key order', () => {
    const p = plan({
      labelSelector: {
        matchLabels: { tier: 'db', app: 'x' },
        matchExpressions: [
          { key: 'env', operator: 'In', values: ['a', 'b'] },
          { key: 'old', operator: 'DoesNotExist' },
        ],
      },
    });
    expect(p.selectors).toEqual([`app=x,tier=db,env in (a,b),!old,${EXCLUDE}`]);
  });

  it('gives one selector per OR selector, duplicates once', () => {
    expect(plan({ orLabelSelectors: ['app=a', { matchLabels: { app: 'b' } }, 'app=a'] }).selectors).toEqual([
      `app=a,${EXCLUDE}`,
      `app=b,${EXCLUDE}`,
    ]);
  });

  it('keeps Namespace objects only with items or a match when a selector meets the default namespace filter', () => {
    expect(plan({ labelSelector: 'app=web' }).namespacesOnlyWithItems).toBe(true);
    expect(plan({ orLabelSelectors: ['app=web'] }).namespacesOnlyWithItems).toBe(true);
    expect(plan({ labelSelector: 'app=web', includedNamespaces: ['*'] }).namespacesOnlyWithItems).toBe(true);
    expect(plan({ labelSelector: 'app=web', includedNamespaces: ['team-a'] }).namespacesOnlyWithItems).toBe(false);
    expect(plan({ labelSelector: 'app=web', excludedNamespaces: ['team-a'] }).namespacesOnlyWithItems).toBe(false);
    expect(plan({}).namespacesOnlyWithItems).toBe(false);
  });

  it('does not change what is listed', () => {
    expect(plan({ labelSelector: 'app=web' }).resources).toEqual(plan().resources);
  });
});

describe('appliedFilters: what the manifest records', () => {
  it('records an unfiltered policy as empty lists and a null includeClusterResources', () => {
    expect(appliedFilters({})).toEqual({
      includedNamespaces: [],
      excludedNamespaces: [],
      includedResources: [],
      excludedResources: [],
      includeClusterResources: null,
      labelSelectors: [],
    });
  });

  it('records the filters as given, the selectors in wire syntax without the exclude rules', () => {
    const filters: ResourceFilters = {
      includedNamespaces: ['team-*'],
      excludedNamespaces: ['team-x'],
      includedResources: ['cm', 'deployments.apps'],
      excludedResources: ['secrets'],
      includeClusterResources: false,
      orLabelSelectors: ['app=a', { matchLabels: { app: 'b' } }],
    };
    expect(appliedFilters(filters)).toEqual({
      includedNamespaces: ['team-*'],
      excludedNamespaces: ['team-x'],
      includedResources: ['cm', 'deployments.apps'],
      excludedResources: ['secrets'],
      includeClusterResources: false,
      labelSelectors: ['app=a', 'app=b'],
    });
    expect(appliedFilters({ labelSelector: 'app in (x,y)', includeClusterResources: true })).toMatchObject({
      includeClusterResources: true,
      labelSelectors: ['app in (x,y)'],
    });
  });

  it('copies the lists, so the record cannot change with the policy', () => {
    const filters: ResourceFilters = { includedNamespaces: ['a'] };
    const applied = appliedFilters(filters);
    filters.includedNamespaces!.push('b');
    expect(applied.includedNamespaces).toEqual(['a']);
  });
});
