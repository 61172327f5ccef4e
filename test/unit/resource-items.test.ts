import { describe, expect, it } from 'vitest';
import {
  isCustomResource,
  itemVerdict,
  matchesSelectors,
  namespaceKept,
  relatedClusterItem,
  type ListedObject,
} from '../../core/resources/items.js';
import type { ListingPlan } from '../../core/resources/model.js';
import { EXCLUSION_SELECTOR, planListing, type ResourceFilters } from '../../core/resources/selection.js';
import { discovery, liveNamespaces, ns } from './resource-discovery.js';

function plan(filters: ResourceFilters = {}, live = liveNamespaces): ListingPlan {
  return planListing({ discovery, filters, namespaces: live });
}

function cm(namespace: string, extra: Partial<NonNullable<ListedObject['metadata']>> = {}): ListedObject {
  return { metadata: { name: 'settings', namespace, uid: `uid-${namespace}`, ...extra } };
}

function namespaceObject(name: string, labels: Record<string, string> = {}): ListedObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, uid: `ns-${name}`, labels } };
}

describe('itemVerdict', () => {
  const everything = plan();
  const scoped = plan({ excludedNamespaces: ['kube-*', 'team-b'] });

  it('keeps an ordinary object, namespaced or cluster-scoped', () => {
    expect(itemVerdict(cm('default'), everything)).toBe('keep');
    expect(itemVerdict({ metadata: { name: 'admin', uid: 'u1' } }, everything)).toBe('keep');
    expect(itemVerdict({}, everything)).toBe('keep');
  });

  it.each([
    [{ 'lifeboat.dev/exclude-from-backup': 'true' }, 'excluded-by-label'],
    [{ 'velero.io/exclude-from-backup': 'true' }, 'excluded-by-label'],
    [{ 'velero.io/exclude-from-backup': 'false' }, 'keep'],
    [{ 'lifeboat.dev/exclude-from-backup': 'True' }, 'keep'],
    [{ app: 'web' }, 'keep'],
  ])('labels %j: %s', (labels, verdict) => {
    expect(itemVerdict(cm('default', { labels }), everything)).toBe(verdict);
  });

  it('skips objects being deleted', () => {
    expect(itemVerdict(cm('default', { deletionTimestamp: '2026-12-02T07:00:00Z' }), everything)).toBe('being-deleted');
  });

  it('drops the items of a cluster-wide LIST in namespaces the filter excludes, by glob and by name', () => {
    expect(itemVerdict(cm('kube-system'), scoped)).toBe('namespace-filtered');
    expect(itemVerdict(cm('team-b'), scoped)).toBe('namespace-filtered');
    expect(itemVerdict(cm('team-a'), scoped)).toBe('keep');
    expect(itemVerdict(cm('kube-system'), everything)).toBe('keep');
  });

  it('drops the items of a namespace labelled exclude-from-backup', () => {
    const p = plan({}, [...liveNamespaces, ns('scratch', { 'lifeboat.dev/exclude-from-backup': 'true' })]);
    expect(itemVerdict(cm('scratch'), p)).toBe('namespace-filtered');
  });

  it('keeps only included namespaces when includes are given', () => {
    const p = plan({ includedNamespaces: ['team-?'] });
    expect(itemVerdict(cm('team-a'), p)).toBe('keep');
    expect(itemVerdict(cm('team-ab'), p)).toBe('namespace-filtered');
  });

  it('filters a Namespace object by its own name', () => {
    const p = plan({ includedNamespaces: ['team-*'], excludedNamespaces: ['team-b'] });
    expect(itemVerdict(namespaceObject('team-a'), p)).toBe('keep');
    expect(itemVerdict(namespaceObject('team-b'), p)).toBe('namespace-filtered');
    expect(itemVerdict(namespaceObject('default'), p)).toBe('namespace-filtered');
    expect(itemVerdict(namespaceObject('default', { 'velero.io/exclude-from-backup': 'true' }), p)).toBe(
      'excluded-by-label',
    );
    // A kind of the same name in another group is not a namespace.
    expect(itemVerdict({ apiVersion: 'example.dev/v1', kind: 'Namespace', metadata: { name: 'x' } }, p)).toBe('keep');
  });

  it("keeps a Namespace object the namespace filter leaves out when the policy's selector matches it", () => {
    const p = plan({ includedNamespaces: ['team-a'], excludedNamespaces: ['team-b'], labelSelector: 'app=web' });
    expect(itemVerdict(namespaceObject('team-b', { app: 'web' }), p)).toBe('keep');
    expect(itemVerdict(namespaceObject('default', { app: 'web' }), p)).toBe('keep');
    expect(itemVerdict(namespaceObject('default', { app: 'db' }), p)).toBe('namespace-filtered');
    expect(itemVerdict(namespaceObject('default', { app: 'web', 'velero.io/exclude-from-backup': 'true' }), p)).toBe(
      'excluded-by-label',
    );
    // Only Namespace objects: a matching item of a left-out namespace stays out.
    expect(itemVerdict(cm('default', { labels: { app: 'web' } }), p)).toBe('namespace-filtered');
    const or = plan({ includedNamespaces: ['team-a'], orLabelSelectors: ['app=a', 'app=b'] });
    expect(itemVerdict(namespaceObject('default', { app: 'b' }), or)).toBe('keep');
    // Without a selector of the policy, the plan's exclusion-only selector matches nothing in this sense.
    expect(itemVerdict(namespaceObject('default'), plan({ includedNamespaces: ['team-a'] }))).toBe(
      'namespace-filtered',
    );
  });

  it('checks in Velero order: the label, then the namespace, then the deletion', () => {
    const all = cm('kube-system', {
      labels: { 'velero.io/exclude-from-backup': 'true' },
      deletionTimestamp: '2026-12-02T07:00:00Z',
    });
    expect(itemVerdict(all, scoped)).toBe('excluded-by-label');
    expect(itemVerdict({ ...all, metadata: { ...all.metadata, labels: {} } }, scoped)).toBe('namespace-filtered');
  });

  it('drops an object a second OR selector listed again, by uid; only kept objects count as seen', () => {
    const seen = new Set<string>();
    expect(itemVerdict(cm('default'), everything, seen)).toBe('keep');
    expect(itemVerdict(cm('default'), everything, seen)).toBe('duplicate');
    expect(itemVerdict(cm('kube-system'), scoped, seen)).toBe('namespace-filtered');
    expect(seen).toEqual(new Set(['uid-default']));
    expect(itemVerdict(cm('kube-system'), everything, seen)).toBe('keep');
    expect(itemVerdict({ metadata: { name: 'no-uid' } }, everything, seen)).toBe('keep');
    expect(itemVerdict({ metadata: { name: 'no-uid' } }, everything, seen)).toBe('keep');
    expect(itemVerdict(cm('default'), everything)).toBe('keep');
  });
});

describe('matchesSelectors', () => {
  it.each([
    ['app=web', { app: 'web' }, true],
    ['app=web', { app: 'db' }, false],
    ['app=web', {}, false],
    ['app!=web', {}, true],
    ['app!=web', { app: 'web' }, false],
    ['tier in (a,b)', { tier: 'b' }, true],
    ['tier in (a,b)', { tier: 'c' }, false],
    ['tier notin (a,b)', { tier: 'c' }, true],
    ['tier notin (a,b)', {}, true],
    ['legacy', { legacy: '' }, true],
    ['legacy', {}, false],
    ['!legacy', {}, true],
    ['!legacy', { legacy: 'x' }, false],
    ['app=web,tier=db', { app: 'web' }, false],
    ['app=web,tier=db', { app: 'web', tier: 'db' }, true],
    [EXCLUSION_SELECTOR, { 'velero.io/exclude-from-backup': 'true' }, false],
    [EXCLUSION_SELECTOR, { 'lifeboat.dev/exclude-from-backup': 'true' }, false],
    [EXCLUSION_SELECTOR, { 'velero.io/exclude-from-backup': 'false' }, true],
    [EXCLUSION_SELECTOR, undefined, true],
  ])('%s against %j: %s', (selector, labels, expected) => {
    expect(matchesSelectors([selector], labels)).toBe(expected);
  });

  it('any one of several selectors is enough; none is never', () => {
    expect(matchesSelectors(['app=a', 'app=b'], { app: 'b' })).toBe(true);
    expect(matchesSelectors(['app=a', 'app=b'], { app: 'c' })).toBe(false);
    expect(matchesSelectors([], { app: 'c' })).toBe(false);
  });

  it("matches the plan's own selectors, exclude rules included", () => {
    const p = plan({ orLabelSelectors: ['app=a', 'app=b'] });
    expect(matchesSelectors(p.selectors, { app: 'a' })).toBe(true);
    expect(matchesSelectors(p.selectors, { app: 'a', 'velero.io/exclude-from-backup': 'true' })).toBe(false);
  });
});

describe('namespaceKept (Velero nsTracker)', () => {
  it('with a selector and the default namespace filter, keeps a namespace it matches or that holds items', () => {
    const p = plan({ labelSelector: 'app=web' });
    const withItems = new Set(['team-a']);
    expect(namespaceKept(namespaceObject('team-a'), p, withItems)).toBe(true);
    expect(namespaceKept(namespaceObject('team-b', { app: 'web' }), p, withItems)).toBe(true);
    expect(namespaceKept(namespaceObject('team-c'), p, withItems)).toBe(false);
  });

  it('with a namespace filter, keeps the namespaces it selects, items or not, and those the selector matches', () => {
    const none = new Set<string>();
    const backedUp = (p: ListingPlan, obj: ListedObject) =>
      itemVerdict(obj, p) === 'keep' && namespaceKept(obj, p, none);
    const unfiltered = plan({ includedNamespaces: ['team-a', 'team-b'] });
    expect(backedUp(unfiltered, namespaceObject('team-a'))).toBe(true);
    expect(backedUp(unfiltered, namespaceObject('default', { app: 'web' }))).toBe(false);
    const selected = plan({ includedNamespaces: ['team-a', 'team-b'], labelSelector: 'app=web' });
    expect(backedUp(selected, namespaceObject('team-a'))).toBe(true);
    expect(backedUp(selected, namespaceObject('team-b', { app: 'db' }))).toBe(true);
    expect(backedUp(selected, namespaceObject('default', { app: 'web' }))).toBe(true);
    expect(backedUp(selected, namespaceObject('kube-system'))).toBe(false);
  });

  it('otherwise keeps every namespace the filter selected', () => {
    const none = new Set<string>();
    expect(namespaceKept(namespaceObject('team-c'), plan(), none)).toBe(true);
    expect(
      namespaceKept(
        namespaceObject('team-c'),
        plan({ labelSelector: 'app=web', includedNamespaces: ['team-*'] }),
        none,
      ),
    ).toBe(true);
  });
});

describe('relatedClusterItem', () => {
  const pvc = (phase: string, volumeName?: string) => ({
    metadata: { name: 'data', namespace: 'team-a' },
    spec: volumeName === undefined ? {} : { volumeName },
    status: { phase },
  });

  it("brings a bound PVC's volume", () => {
    expect(relatedClusterItem('persistentvolumeclaims', pvc('Bound', 'pv-1'))).toEqual({
      resource: 'persistentvolumes',
      name: 'pv-1',
    });
  });

  it.each([
    ['a pending PVC', 'persistentvolumeclaims', pvc('Pending')],
    ['a pending PVC that names a volume', 'persistentvolumeclaims', pvc('Pending', 'pv-1')],
    ['a bound PVC without a volume name', 'persistentvolumeclaims', pvc('Bound', '')],
    ['another resource', 'pods', pvc('Bound', 'pv-1')],
    ['null', 'persistentvolumeclaims', null],
    ['a string', 'persistentvolumeclaims', 'Bound'],
    [
      'a volume name that is not a string',
      'persistentvolumeclaims',
      { spec: { volumeName: 7 }, status: { phase: 'Bound' } },
    ],
  ])('brings nothing for %s', (_what, resource, obj) => {
    expect(relatedClusterItem(resource, obj)).toBeUndefined();
  });
});

describe('isCustomResource', () => {
  it.each(discovery.resources.map((r) => [`${r.resource}.${r.group || 'core'}`, r] as const))('%s', (_name, r) => {
    const expected = r.group === 'example.lifeboat.dev' || r.group === 'snapshot.storage.k8s.io';
    expect(isCustomResource(r)).toBe(expected);
  });

  it('takes the metrics APIs, aggregated not CRDs, for built-in', () => {
    expect(isCustomResource({ group: 'metrics.k8s.io' })).toBe(false);
    expect(isCustomResource({ group: 'cert-manager.io' })).toBe(true);
  });
});
