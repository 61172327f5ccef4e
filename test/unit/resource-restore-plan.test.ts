import { describe, expect, it } from 'vitest';
import type { RestoreFilters, RestoreOptions } from '../../core/resources/restore-model.js';
import {
  documentedOrder,
  restoreOrder,
  RESTORE_CRD_STEP,
  RESTORE_LAST,
  RESTORE_LOW_PRIORITIES,
  RESTORE_PRIORITIES,
} from '../../core/resources/restore-order.js';
import {
  guessPlural,
  itemFilterSkip,
  itemSelected,
  resolveRestoreResource,
  restoreSelection,
} from '../../core/resources/restore-filters.js';
import { backupContents, planRestore, type RestorePlan } from '../../core/resources/restore-plan.js';
import { discovery } from './resource-discovery.js';
import { restoreOptions } from './restore-options-fixture.js';

const CRDS = 'customresourcedefinitions.apiextensions.k8s.io';

/** A backup of a small cluster, as its resource list names it (`<apiVersion>/<Kind>` to `ns/name` or `name`). */
const RESOURCE_LIST: Record<string, string[]> = {
  'apiextensions.k8s.io/v1/CustomResourceDefinition': ['gizmos.example.lifeboat.dev', 'widgets.example.lifeboat.dev'],
  'example.lifeboat.dev/v1/Widget': ['shop/w1', 'team-a/w2'],
  'example.lifeboat.dev/v1/Gizmo': ['g1'],
  'v1/Namespace': ['default', 'shop', 'team-a', 'team-b'],
  'v1/ConfigMap': ['shop/app', 'shop/kube-root-ca.crt', 'team-a/cfg', 'team-b/cfg'],
  'v1/Secret': ['shop/db'],
  'v1/Pod': ['shop/web-0'],
  'v1/PersistentVolume': ['pv-1', 'pv-2'],
  'v1/PersistentVolumeClaim': ['shop/data'],
  'v1/Service': ['default/kubernetes', 'shop/web'],
  'v1/Endpoints': ['default/kubernetes', 'shop/web'],
  'v1/Event': ['shop/e1', 'shop/e2'],
  'v1/Node': ['node-1'],
  'apps/v1/Deployment': ['shop/web', 'team-a/api'],
  'apps/v1/ReplicaSet': ['shop/web-abc'],
  'storage.k8s.io/v1/StorageClass': ['fast'],
  'rbac.authorization.k8s.io/v1/ClusterRole': ['reader'],
  'batch/v1/Job': ['team-a/once'],
  'networking.k8s.io/v1/Ingress': ['shop/web'],
  'admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration': ['policy'],
  'coordination.k8s.io/v1/Lease': ['kube-node-lease/node-1'],
};
const BACKED_UP = Object.values(RESOURCE_LIST).reduce((n, l) => n + l.length, 0);

const CLUSTER_SCOPED_TYPES = [
  CRDS,
  'gizmos.example.lifeboat.dev',
  'persistentvolumes',
  'storageclasses.storage.k8s.io',
  'clusterroles.rbac.authorization.k8s.io',
  'validatingwebhookconfigurations.admissionregistration.k8s.io',
];

const options = restoreOptions;

function plan(filters: Partial<RestoreFilters> = {}, rest: Partial<RestoreOptions> = {}): RestorePlan {
  return planRestore({ resourceList: RESOURCE_LIST, options: options(filters, rest) });
}

const stepNames = (p: RestorePlan) => p.steps.map((s) => s.groupResource);
const itemsOf = (p: RestorePlan, gr: string) =>
  p.steps.find((s) => s.groupResource === gr)?.items.map((i) => (i.namespace ? `${i.namespace}/${i.name}` : i.name));
const relatedOf = (p: RestorePlan, gr: string) =>
  p.steps.find((s) => s.groupResource === gr)?.related.map((i) => i.name) ?? [];
const skipOf = (p: RestorePlan, gr: string, namespace?: string, name?: string) =>
  p.skipped.find((s) => s.groupResource === gr && s.namespace === namespace && s.name === name);

function shuffled<T>(list: readonly T[], seed: number): T[] {
  const out = [...list];
  let x = seed;
  for (let i = out.length - 1; i > 0; i--) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------------

describe('restoreOrder', () => {
  const fixed = [RESTORE_CRD_STEP, ...RESTORE_PRIORITIES, ...RESTORE_LOW_PRIORITIES, ...RESTORE_LAST].map(
    (p) => p.groupResource,
  );
  const others = [
    'widgets.example.lifeboat.dev',
    'deployments.apps',
    'statefulsets.apps',
    'ingresses.networking.k8s.io',
    'cronjobs.batch',
    'alpha.zzz.io',
  ];

  it("has Velero v1.18's default high priorities, in its order, as the archive names them", () => {
    expect(RESTORE_CRD_STEP.groupResource).toBe(CRDS);
    expect(RESTORE_PRIORITIES.map((p) => p.groupResource)).toEqual([
      'namespaces',
      'storageclasses.storage.k8s.io',
      'volumesnapshotclasses.snapshot.storage.k8s.io',
      'volumesnapshotcontents.snapshot.storage.k8s.io',
      'volumesnapshots.snapshot.storage.k8s.io',
      'datauploads.velero.io',
      'persistentvolumes',
      'persistentvolumeclaims',
      'clusterroles.rbac.authorization.k8s.io',
      'roles.rbac.authorization.k8s.io',
      'serviceaccounts',
      'clusterrolebindings.rbac.authorization.k8s.io',
      'rolebindings.rbac.authorization.k8s.io',
      'secrets',
      'configmaps',
      'limitranges',
      'priorityclasses.scheduling.k8s.io',
      'pods',
      'replicasets.apps',
      'clusterclasses.cluster.x-k8s.io',
      'endpoints',
      'services',
    ]);
    expect(RESTORE_LOW_PRIORITIES.map((p) => p.groupResource)).toEqual([
      'clusterbootstraps.run.tanzu.vmware.com',
      'clusters.cluster.x-k8s.io',
      'clusterresourcesets.addons.cluster.x-k8s.io',
      'apps.kappctrl.k14s.io',
      'packageinstalls.packaging.carvel.dev',
    ]);
  });

  it('orders every fixed entry and the rest: CRDs, high priorities, the rest alphabetically, low, webhooks last', () => {
    const order = restoreOrder(shuffled([...fixed, ...others], 7)).map((s) => s.groupResource);
    expect(order).toEqual([
      ...fixed.slice(0, 1 + RESTORE_PRIORITIES.length),
      'alpha.zzz.io',
      'cronjobs.batch',
      'deployments.apps',
      'ingresses.networking.k8s.io',
      'statefulsets.apps',
      'widgets.example.lifeboat.dev',
      ...RESTORE_LOW_PRIORITIES.map((p) => p.groupResource),
      ...RESTORE_LAST.map((p) => p.groupResource),
    ]);
  });

  it('is deterministic: the same steps whatever the input order, each resource once', () => {
    const first = restoreOrder([...fixed, ...others]);
    for (const seed of [1, 2, 3, 99]) {
      expect(restoreOrder(shuffled([...fixed, ...others, ...others], seed))).toEqual(first);
    }
    expect(new Set(first.map((s) => s.groupResource)).size).toBe(first.length);
  });

  it('flags only the CRD step to wait for Established, and gives every step a reason', () => {
    const steps = restoreOrder([...fixed, ...others]);
    expect(steps[0]).toMatchObject({ groupResource: CRDS, waitForEstablished: true });
    expect(steps.slice(1).every((s) => s.waitForEstablished === undefined)).toBe(true);
    for (const s of steps) expect(s.reason.length).toBeGreaterThan(10);
    expect(steps.find((s) => s.groupResource === 'widgets.example.lifeboat.dev')!.reason).toMatch(/after its CRD/);
    expect(steps.find((s) => s.groupResource === 'deployments.apps')!.reason).toMatch(/alphabetical/);
    expect(steps.find((s) => s.groupResource === 'deployments.apps')!.reason).not.toMatch(/CRD/);
  });

  it('leaves out what the backup does not hold, the CRD step too', () => {
    expect(restoreOrder(['services', 'configmaps', 'deployments.apps']).map((s) => s.groupResource)).toEqual([
      'configmaps',
      'services',
      'deployments.apps',
    ]);
    expect(restoreOrder([])).toEqual([]);
  });

  it('documents the whole order for the README and the dry-run, with where the others go', () => {
    const doc = documentedOrder();
    expect(doc[0]!.groupResource).toBe(CRDS);
    expect(doc.map((d) => d.groupResource)).toContain('*');
    expect(doc.map((d) => d.groupResource).indexOf('*')).toBe(1 + RESTORE_PRIORITIES.length);
    expect(doc.at(-1)!.groupResource).toBe('validatingwebhookconfigurations.admissionregistration.k8s.io');
  });
});

// ---------------------------------------------------------------------------------------------------------------------

describe('the resource list by groupResource', () => {
  it("resolves kinds by kubectl's plural, confirmed by the backup's CRDs", () => {
    const { contents, guessed } = backupContents(RESOURCE_LIST);
    expect(Object.keys(contents).sort()).toContain('gizmos.example.lifeboat.dev');
    expect(contents['ingresses.networking.k8s.io']).toEqual(['shop/web']);
    expect(contents['endpoints']).toEqual(['default/kubernetes', 'shop/web']);
    expect(contents['validatingwebhookconfigurations.admissionregistration.k8s.io']).toEqual(['policy']);
    // Built-in kinds' plurals follow the rule; custom ones are confirmed by their CRD in the backup.
    expect(guessed).toEqual([]);
    expect(backupContents({ 'example.com/v1/Fish': ['a/nemo'] }).guessed).toEqual([
      { key: 'example.com/v1/Fish', groupResource: 'fishes.example.com' },
    ]);
  });

  it('takes the discovery or the known groupResources over the guess, and says when it guessed', () => {
    const list = { 'example.com/v1/Fish': ['a/nemo'], 'example.com/v1/Octopus': ['a/paul'] };
    expect(backupContents(list).guessed.map((g) => g.groupResource)).toEqual([
      'fishes.example.com',
      'octopuses.example.com',
    ]);
    const hinted = backupContents(list, { groupResources: ['fish.example.com', 'octopi.example.com'] });
    // "octopi" does not start with the kind, so it stays a guess; "fish" is the one resource of the group it starts.
    expect(hinted.contents['fish.example.com']).toEqual(['a/nemo']);
    expect(hinted.guessed.map((g) => g.key)).toEqual(['example.com/v1/Octopus']);
    const served = backupContents({ 'apps/v1/Deployment': ['a/web'] }, { discovery: discovery.resources });
    expect(served).toEqual({ contents: { 'deployments.apps': ['a/web'] }, guessed: [] });
  });

  it('merges the items of one resource listed under two versions', () => {
    const { contents } = backupContents({
      'autoscaling/v1/HorizontalPodAutoscaler': ['a/x'],
      'autoscaling/v2/HorizontalPodAutoscaler': ['a/x', 'a/y'],
    });
    expect(contents).toEqual({ 'horizontalpodautoscalers.autoscaling': ['a/x', 'a/y'] });
  });

  it('guesses plurals as kubectl does, without its mistakes on vowels before y', () => {
    expect(
      ['Pod', 'Ingress', 'Endpoints', 'NetworkPolicy', 'Gateway', 'StorageClass', 'IPAddress', 'Box'].map(guessPlural),
    ).toEqual([
      'pods',
      'ingresses',
      'endpoints',
      'networkpolicies',
      'gateways',
      'storageclasses',
      'ipaddresses',
      'boxes',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------------------

describe('a full restore (no filters)', () => {
  const full = plan();

  it('restores every resource of the backup in restore order, CRDs first, the webhook last', () => {
    expect(stepNames(full)).toEqual([
      CRDS,
      'namespaces',
      'storageclasses.storage.k8s.io',
      'persistentvolumes',
      'persistentvolumeclaims',
      'clusterroles.rbac.authorization.k8s.io',
      'secrets',
      'configmaps',
      'pods',
      'replicasets.apps',
      'endpoints',
      'services',
      'deployments.apps',
      'gizmos.example.lifeboat.dev',
      'ingresses.networking.k8s.io',
      'jobs.batch',
      'widgets.example.lifeboat.dev',
      'validatingwebhookconfigurations.admissionregistration.k8s.io',
    ]);
    expect(full.steps[0]!.waitForEstablished).toBe(true);
    expect(full.refusal).toBeUndefined();
  });

  it('orders items cluster-scoped first, then by namespace and name', () => {
    expect(itemsOf(full, 'deployments.apps')).toEqual(['shop/web', 'team-a/api']);
    expect(itemsOf(full, 'namespaces')).toEqual(['default', 'shop', 'team-a', 'team-b']);
    expect(itemsOf(full, 'persistentvolumes')).toEqual(['pv-1', 'pv-2']);
    expect(relatedOf(full, 'persistentvolumes')).toEqual([]);
  });

  it('skips never-restored resources whole, with the reason, and what the control plane makes by name', () => {
    expect(skipOf(full, 'events')).toMatchObject({ items: 2, skip: { code: 'never-restored' } });
    expect(skipOf(full, 'nodes')).toMatchObject({ items: 1, skip: { code: 'never-restored' } });
    expect(skipOf(full, 'leases.coordination.k8s.io')!.skip.reason).toMatch(/leader election/);
    expect(skipOf(full, 'configmaps', 'shop', 'kube-root-ca.crt')).toMatchObject({
      items: 1,
      skip: { code: 'recreated-by-controller' },
    });
    expect(skipOf(full, 'services', 'default', 'kubernetes')?.skip.code).toBe('recreated-by-controller');
    expect(skipOf(full, 'endpoints', 'default', 'kubernetes')?.skip.code).toBe('recreated-by-controller');
    expect(itemsOf(full, 'services')).toEqual(['shop/web']);
  });

  it('counts every backed-up item once: planned, related or skipped', () => {
    expect(full.counts.backedUp).toBe(BACKED_UP);
    expect(full.counts.planned + full.counts.related + full.counts.skipped).toBe(BACKED_UP);
    expect(full.counts.skipped).toBe(2 + 1 + 1 + 1 + 2); // events, node, lease, kube-root-ca, default/kubernetes x2
  });

  it('lists the namespaces to ensure, each into itself without a mapping', () => {
    // kube-node-lease holds only a Lease, which is never restored.
    expect(full.namespaces).toEqual([
      { source: 'default', target: 'default' },
      { source: 'shop', target: 'shop' },
      { source: 'team-a', target: 'team-a' },
      { source: 'team-b', target: 'team-b' },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------------------

describe('includeClusterResources × the namespace filter', () => {
  const clusterPlanned = (p: RestorePlan) => CLUSTER_SCOPED_TYPES.filter((gr) => (itemsOf(p, gr) ?? []).length > 0);

  it('unset, every namespace: cluster-scoped resources are restored like any other', () => {
    const p = plan();
    expect(clusterPlanned(p)).toEqual(CLUSTER_SCOPED_TYPES);
    expect(p.selection.clusterScoped).toBe('all');
  });

  it('unset, some namespaces: none, but the CRDs of restored custom resources and the PVs of restored claims (related)', () => {
    const p = plan({ includedNamespaces: ['shop'] });
    expect(p.selection.clusterScoped).toBe('related');
    expect(itemsOf(p, CRDS)).toEqual(['widgets.example.lifeboat.dev']);
    expect(clusterPlanned(p)).toEqual([CRDS]);
    expect(relatedOf(p, 'persistentvolumes')).toEqual(['pv-1', 'pv-2']);
    expect(itemsOf(p, 'persistentvolumes')).toEqual([]);
    expect(skipOf(p, 'storageclasses.storage.k8s.io')!.skip.reason).toMatch(/includeClusterResources/);
    expect(skipOf(p, CRDS)).toMatchObject({ items: 1, skip: { code: 'filtered' } }); // gizmos: none restored
    expect(itemsOf(p, 'namespaces')).toEqual(['shop']);
    expect(p.counts.planned + p.counts.related + p.counts.skipped).toBe(BACKED_UP);
  });

  it('unset, an excluded namespace: not "everything" either, so the same related rule', () => {
    const p = plan({ excludedNamespaces: ['team-b'] });
    expect(p.selection.clusterScoped).toBe('related');
    expect(clusterPlanned(p)).toEqual([CRDS]);
    expect(itemsOf(p, CRDS)).toEqual(['widgets.example.lifeboat.dev']);
    expect(itemsOf(p, 'configmaps')).toEqual(['shop/app', 'team-a/cfg']);
    expect(skipOf(p, 'configmaps', 'team-b')).toMatchObject({ items: 1, skip: { code: 'filtered' } });
  });

  it("unset with includedNamespaces ['*']: still everything", () => {
    expect(plan({ includedNamespaces: ['*'] }).selection.clusterScoped).toBe('all');
  });

  it('unset, some namespaces, PVCs excluded: no related PVs', () => {
    const p = plan({ includedNamespaces: ['shop'], excludedResources: ['persistentvolumeclaims'] });
    expect(relatedOf(p, 'persistentvolumes')).toEqual([]);
  });

  it('true, every namespace: every cluster-scoped resource', () => {
    const p = plan({ includeClusterResources: true });
    expect(clusterPlanned(p)).toEqual(CLUSTER_SCOPED_TYPES);
  });

  it('true, some namespaces: every cluster-scoped resource, PVs as items, namespaced ones of those namespaces', () => {
    const p = plan({ includeClusterResources: true, includedNamespaces: ['shop'] });
    expect(clusterPlanned(p)).toEqual(CLUSTER_SCOPED_TYPES);
    expect(itemsOf(p, 'persistentvolumes')).toEqual(['pv-1', 'pv-2']);
    expect(itemsOf(p, CRDS)).toEqual(['gizmos.example.lifeboat.dev', 'widgets.example.lifeboat.dev']);
    expect(itemsOf(p, 'deployments.apps')).toEqual(['shop/web']);
    expect(itemsOf(p, 'namespaces')).toEqual(['shop']);
  });

  it('false, every namespace: no cluster-scoped object, not even CRDs; Namespace objects still follow the filter', () => {
    const p = plan({ includeClusterResources: false });
    expect(p.selection.clusterScoped).toBe('none');
    expect(clusterPlanned(p)).toEqual([]);
    expect(relatedOf(p, 'persistentvolumes')).toEqual([]);
    expect(skipOf(p, 'persistentvolumes')).toEqual({
      groupResource: 'persistentvolumes',
      items: 2,
      skip: { code: 'filtered', reason: 'cluster-scoped, and includeClusterResources is false' },
    });
    expect(itemsOf(p, 'namespaces')).toEqual(['default', 'shop', 'team-a', 'team-b']);
    expect(itemsOf(p, 'widgets.example.lifeboat.dev')).toEqual(['shop/w1', 'team-a/w2']);
  });

  it('false, some namespaces: nothing cluster-scoped, the namespaces of the filter', () => {
    const p = plan({ includeClusterResources: false, includedNamespaces: ['team-a'] });
    expect(clusterPlanned(p)).toEqual([]);
    expect(itemsOf(p, 'namespaces')).toEqual(['team-a']);
    expect(stepNames(p)).toEqual([
      'namespaces',
      'configmaps',
      'deployments.apps',
      'jobs.batch',
      'widgets.example.lifeboat.dev',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------------------

describe('namespace filters', () => {
  it('match globs on the original namespace; excludes win', () => {
    expect(itemsOf(plan({ includedNamespaces: ['team-*'] }), 'configmaps')).toEqual(['team-a/cfg', 'team-b/cfg']);
    expect(itemsOf(plan({ includedNamespaces: ['team-?'], excludedNamespaces: ['*-b'] }), 'configmaps')).toEqual([
      'team-a/cfg',
    ]);
    expect(itemsOf(plan({ includedNamespaces: ['[st]*'] }), 'namespaces')).toEqual(['shop', 'team-a', 'team-b']);
    expect(itemsOf(plan({ excludedNamespaces: ['shop', 'default'] }), 'namespaces')).toEqual(['team-a', 'team-b']);
  });

  it('are evaluated before the mapping: a mapped namespace is selected by its backed-up name', () => {
    const p = plan({ includedNamespaces: ['shop'] }, { namespaceMapping: { shop: 'shop-copy' } });
    expect(itemsOf(p, 'secrets')).toEqual(['shop/db']);
    expect(p.namespaces).toEqual([{ source: 'shop', target: 'shop-copy' }]);
    expect(p.warnings).toEqual([]);
  });

  it('group the items they leave out per resource and namespace, with the reason', () => {
    const p = plan({ includedNamespaces: ['team-a'] });
    expect(skipOf(p, 'configmaps', 'shop')).toEqual({
      groupResource: 'configmaps',
      namespace: 'shop',
      items: 2,
      skip: { code: 'filtered', reason: 'the namespace filter leaves out namespace shop' },
    });
    expect(skipOf(p, 'namespaces', undefined, 'shop')?.skip.code).toBe('filtered');
  });
});

describe('resource filters', () => {
  const backup = Object.keys(backupContents(RESOURCE_LIST).contents);

  it('resolve names against the backup: groupResources, bare plurals, kinds, versions and globs', () => {
    expect(resolveRestoreResource('configmaps', backup)).toEqual(['configmaps']);
    expect(resolveRestoreResource('deployments', backup)).toEqual(['deployments.apps']);
    expect(resolveRestoreResource('Deployment', backup)).toEqual(['deployments.apps']);
    expect(resolveRestoreResource('deployments.v1.apps', backup)).toEqual(['deployments.apps']);
    expect(resolveRestoreResource('deployment.apps', backup)).toEqual(['deployments.apps']);
    expect(resolveRestoreResource('*.apps', backup).sort()).toEqual(['deployments.apps', 'replicasets.apps']);
    expect(resolveRestoreResource('widgets', backup)).toEqual(['widgets.example.lifeboat.dev']);
    expect(resolveRestoreResource('statefulsets', backup)).toEqual([]);
  });

  it("resolve short names through the target's discovery only, except the never-restored ones' aliases", () => {
    expect(resolveRestoreResource('cm', backup)).toEqual([]);
    expect(resolveRestoreResource('cm', backup, discovery.resources)).toEqual(['configmaps']);
    expect(resolveRestoreResource('wd', backup, discovery.resources)).toEqual(['widgets.example.lifeboat.dev']);
    expect(resolveRestoreResource('no', backup)).toEqual(['nodes']);
    expect(resolveRestoreResource('ev', backup)).toEqual(['events']);
    expect(resolveRestoreResource('leases', backup)).toEqual(['leases.coordination.k8s.io']);
    // A bare plural that another group of the backup holds is that group's, not Velero's.
    expect(resolveRestoreResource('backups', ['backups.postgresql.cnpg.io'])).toEqual(['backups.postgresql.cnpg.io']);
    expect(resolveRestoreResource('backups', [])).toEqual(['backups.velero.io']);
  });

  it('restore only the included, never the excluded (excludes win), never the never-restored', () => {
    const p = plan({
      includedResources: ['configmaps', 'deployments.apps', 'secrets'],
      excludedResources: ['secrets'],
    });
    expect(stepNames(p)).toEqual(['configmaps', 'deployments.apps']);
    expect(skipOf(p, 'secrets')).toMatchObject({ items: 1, skip: { code: 'filtered' } });
    expect(plan({ includedResources: ['*'] }).steps).toEqual(plan().steps);
    expect(stepNames(plan({ includedResources: ['*'], excludedResources: ['*.apps', 'widgets'] }))).not.toContain(
      'deployments.apps',
    );
  });

  it('take short names with the discovery', () => {
    const p = planRestore({
      resourceList: RESOURCE_LIST,
      options: options({ includedResources: ['cm', 'deploy'] }),
      discovery: discovery.resources,
    });
    expect(stepNames(p)).toEqual(['configmaps', 'deployments.apps']);
  });

  it('warn about names that mean nothing in the backup', () => {
    const p = plan({ includedResources: ['configmaps', 'statefulsets.apps'], excludedResources: ['cronjobs'] });
    expect(p.warnings).toEqual([
      'includedResources: "statefulsets.apps" names nothing this backup holds; nothing is restored for it',
      'excludedResources: "cronjobs" names nothing this backup holds; nothing is excluded for it',
    ]);
  });
});

describe('label selectors (decided on the backed-up labels while the archive is read)', () => {
  const backup = Object.keys(backupContents(RESOURCE_LIST).contents);
  const cm = { groupResource: 'configmaps', namespace: 'shop', name: 'app' };

  it('select every object without a selector', () => {
    const { selection } = restoreSelection(options().filters, backup);
    expect(selection.selectors).toEqual([]);
    expect(itemSelected(selection, cm, undefined)).toBe(true);
  });

  it('AND the requirements of labelSelector', () => {
    const { selection } = restoreSelection(options({ labelSelector: 'app=web, tier!=db' }).filters, backup);
    expect(selection.selectors).toEqual(['app=web,tier!=db']);
    expect(itemSelected(selection, cm, { app: 'web' })).toBe(true);
    expect(itemSelected(selection, cm, { app: 'web', tier: 'db' })).toBe(false);
    expect(itemFilterSkip(selection, cm, {})).toEqual({
      code: 'filtered',
      reason: 'its labels match no selector (app=web,tier!=db)',
    });
  });

  it('OR the orLabelSelectors', () => {
    const { selection } = restoreSelection(
      options({ orLabelSelectors: ['app=web', 'tier in (db,cache)'] }).filters,
      backup,
    );
    expect(itemSelected(selection, cm, { app: 'web' })).toBe(true);
    expect(itemSelected(selection, cm, { tier: 'cache' })).toBe(true);
    expect(itemSelected(selection, cm, { app: 'api', tier: 'front' })).toBe(false);
  });

  it('do not apply to related objects (the PV of a restored claim), but the other filters do', () => {
    const { selection } = restoreSelection(
      options({ labelSelector: 'app=web', includedNamespaces: ['shop'] }).filters,
      backup,
    );
    const pv = { groupResource: 'persistentvolumes', name: 'pv-1' };
    expect(itemSelected(selection, pv, {})).toBe(false);
    expect(itemSelected(selection, pv, {}, { related: true })).toBe(true);
    expect(
      itemSelected(selection, { groupResource: 'configmaps', namespace: 'team-a', name: 'cfg' }, { app: 'web' }),
    ).toBe(false);
  });

  it('come after the name filters: a never-restored object is never selected, whatever its labels', () => {
    const { selection } = restoreSelection(options().filters, backup);
    expect(itemFilterSkip(selection, { groupResource: 'events', namespace: 'shop', name: 'e1' }, {})?.code).toBe(
      'never-restored',
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------------

describe('a filter that selects nothing', () => {
  it('is refused (exit 2), naming the flags and what the backup holds', () => {
    const p = plan({ includedNamespaces: ['nope'], includeClusterResources: false });
    expect(p.steps).toEqual([]);
    expect(p.refusal).toMatchObject({ field: 'filters', flag: '--include-namespaces, --include-cluster-resources' });
    expect(p.refusal!.message).toMatch(/select nothing/);
    expect(p.refusal!.message).toMatch(/configmaps \(4\)/);
    expect(p.refusal!.message).toMatch(/in namespaces default, kube-node-lease, shop, team-a, team-b/);
  });

  it('and so is a backup with nothing to restore, or nothing restorable', () => {
    expect(planRestore({ resourceList: {}, options: options() }).refusal).toMatchObject({ field: 'backup' });
    const onlyEvents = planRestore({ resourceList: { 'v1/Event': ['a/e'] }, options: options() });
    expect(onlyEvents.refusal).toMatchObject({ field: 'backup', flag: '--backup' });
    expect(onlyEvents.refusal!.message).toMatch(/never restored/);
  });

  it('is not a refusal when only related PVs may come back', () => {
    const p = planRestore({
      resourceList: { 'v1/PersistentVolume': ['pv-1'], 'v1/PersistentVolumeClaim': ['a/c'] },
      options: options({
        includedNamespaces: ['a'],
        includedResources: ['persistentvolumes', 'persistentvolumeclaims'],
      }),
    });
    expect(p.refusal).toBeUndefined();
    expect(p.counts).toMatchObject({ planned: 1, related: 1 });
  });
});

describe('the mapping in the plan', () => {
  it('maps every restored namespace, and warns about entries that map nothing', () => {
    const p = plan({}, { namespaceMapping: { 'team-a': 'team-a2', ghost: 'ghost2' } });
    expect(p.namespaces).toContainEqual({ source: 'team-a', target: 'team-a2' });
    expect(p.namespaces).toContainEqual({ source: 'team-b', target: 'team-b' });
    expect(p.warnings).toContain(
      'namespaceMapping: ghost holds nothing this restore brings back; its entry changes nothing',
    );
  });

  it('leaves the items as backed up (the mapping is applied to each object as it is restored)', () => {
    const p = plan({}, { namespaceMapping: { shop: 'shop2' } });
    expect(itemsOf(p, 'secrets')).toEqual(['shop/db']);
  });
});
