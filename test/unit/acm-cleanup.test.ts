import { describe, expect, it } from 'vitest';
import {
  cleanupDecision,
  cleanupLists,
  cleanupScope,
  type CleanupScope,
  type CleanupSource,
  type LiveObject,
} from '../../core/acm/cleanup.js';
import { labelValue } from '../../core/resources/restore-object.js';

const SCOPE: CleanupScope = {
  mode: 'restored',
  credentials: { backup: 'hub-credentials-2' },
  resources: {
    backup: 'hub-resources-2',
    resources: ['policies.policy.open-cluster-management.io', 'placements.cluster.open-cluster-management.io'],
  },
  generic: {
    backup: 'hub-resources-generic-2',
    excludedResources: ['secrets', 'configmaps', 'namespaces', 'managedclusters.cluster.open-cluster-management.io'],
  },
  managedClusters: {
    backup: 'hub-managed-clusters-2',
    resources: ['managedclusters.cluster.open-cluster-management.io', 'clusterdeployments.hive.openshift.io'],
  },
  protectedNamespaces: ['local-cluster', 'open-cluster-management'],
};

const FROM = 'lifeboat.dev/restored-from';

function object(
  groupResource: string,
  labels: Record<string, string>,
  namespace: string | undefined = 'team-a',
): LiveObject {
  return { groupResource, name: 'x', labels, ...(namespace !== undefined ? { namespace } : {}) };
}

const secret = (labels: Record<string, string>, namespace?: string) => object('secrets', labels, namespace);
const policy = (labels: Record<string, string>) => object('policies.policy.open-cluster-management.io', labels);
const managedCluster = (labels: Record<string, string>) =>
  object('managedclusters.cluster.open-cluster-management.io', labels, undefined);
const app = (labels: Record<string, string>) => object('applications.argoproj.io', labels);

describe('cleanup restored: what an earlier restore brought that the current backups no longer hold', () => {
  it.each([
    [
      'a credential from an older backup',
      secret({ 'cluster.open-cluster-management.io/type': 'aws', [FROM]: 'hub-credentials-1' }),
      'credentials',
    ],
    [
      'a credential the ACM operator restored (Velero label)',
      secret({ 'hive.openshift.io/secret-type': 'kubeconfig', 'velero.io/backup-name': 'acm-credentials-schedule-1' }),
      'credentials',
    ],
    ['a resource from an older backup', policy({ [FROM]: 'hub-resources-1' }), 'resources'],
    [
      'a generic object from an older backup',
      app({ 'cluster.open-cluster-management.io/backup': 'argo', [FROM]: 'hub-resources-generic-1' }),
      'generic',
    ],
    [
      'a managed cluster from an older backup (detached from this hub)',
      managedCluster({ [FROM]: 'hub-managed-clusters-1' }),
      'managed-clusters',
    ],
  ])('deletes %s', (_what, live, part) => {
    expect(cleanupDecision(live, SCOPE)).toMatchObject({ delete: true, part, reason: expect.any(String) as string });
  });

  it.each([
    ['what this restore brought', policy({ [FROM]: 'hub-resources-2' })],
    ['what no restore brought', policy({})],
    ['a secret without a credential label', secret({ [FROM]: 'hub-credentials-1' })],
    ['a kind outside the backups', object('deployments.apps', { [FROM]: 'hub-resources-1' })],
    ['the local-cluster', managedCluster({ 'local-cluster': 'true', [FROM]: 'hub-managed-clusters-1' })],
    ['anything in a protected namespace', { ...policy({ [FROM]: 'hub-resources-1' }), namespace: 'local-cluster' }],
    ['an object excluded from backups', policy({ 'velero.io/exclude-from-backup': 'true', [FROM]: 'hub-resources-1' })],
    ['what the MultiClusterHub installed', policy({ 'installer.name': 'multiclusterhub', [FROM]: 'hub-resources-1' })],
    [
      'ClusterImageSets, shared by every cluster',
      object('clusterimagesets.hive.openshift.io', { [FROM]: 'hub-managed-clusters-1' }, undefined),
    ],
    [
      'a generic object of a kind the generic backup excludes',
      managedCluster({ 'cluster.open-cluster-management.io/backup': '', [FROM]: 'x' }),
    ],
  ])('keeps %s', (_what, live) => {
    expect(cleanupDecision(live, SCOPE)).toEqual({ delete: false });
  });

  it('knows a long backup name by its label value (cut to 63 characters with a hash), as the restore wrote it', () => {
    const long = `hub-resources-${'x'.repeat(80)}`;
    const scope = { ...SCOPE, resources: { ...SCOPE.resources!, backup: long } };
    expect(cleanupDecision(policy({ [FROM]: labelValue(long) }), scope)).toEqual({ delete: false });
    expect(cleanupDecision(policy({ [FROM]: labelValue(`${long}y`) }), scope).delete).toBe(true);
  });
});

describe('without managed clusters restored, activation data stays', () => {
  const passive: CleanupScope = { ...SCOPE, managedClusters: undefined };
  it('a credential labelled cluster-activation is kept; another credential is not', () => {
    expect(
      cleanupDecision(
        secret({ 'cluster.open-cluster-management.io/backup': 'cluster-activation', [FROM]: 'hub-credentials-1' }),
        passive,
      ),
    ).toEqual({ delete: false });
    expect(
      cleanupDecision(
        secret({ 'cluster.open-cluster-management.io/backup': 'other', [FROM]: 'hub-credentials-1' }),
        passive,
      ).delete,
    ).toBe(true);
  });
  it('a generic activation object is kept', () => {
    expect(
      cleanupDecision(
        app({ 'cluster.open-cluster-management.io/backup': 'cluster-activation', [FROM]: 'hub-resources-generic-1' }),
        passive,
      ),
    ).toEqual({ delete: false });
  });
  it('and the managed clusters themselves are not looked at', () => {
    expect(cleanupDecision(managedCluster({ [FROM]: 'hub-managed-clusters-1' }), passive)).toEqual({ delete: false });
  });
});

describe('cleanup all: also what nobody restored', () => {
  const all: CleanupScope = { ...SCOPE, mode: 'all' };
  it('deletes a user-made object of a backed-up kind, keeps what the current backup brought', () => {
    expect(cleanupDecision(policy({}), all)).toEqual({
      delete: true,
      part: 'resources',
      reason: 'not in hub-resources-2 (cleanup all)',
    });
    expect(cleanupDecision(policy({ [FROM]: 'hub-resources-2' }), all)).toEqual({ delete: false });
  });
  it('still keeps protected objects and kinds outside the backups', () => {
    expect(cleanupDecision(managedCluster({ 'local-cluster': 'true' }), all)).toEqual({ delete: false });
    expect(cleanupDecision(object('deployments.apps', {}), all)).toEqual({ delete: false });
  });
});

describe('a type this restore skipped is not cleaned up', () => {
  it('no resources backup: an older resource stays', () => {
    expect(cleanupDecision(policy({ [FROM]: 'hub-resources-1' }), { ...SCOPE, resources: undefined })).toEqual({
      delete: false,
    });
  });
  it('no credentials backup: an older credential stays', () => {
    expect(
      cleanupDecision(secret({ 'cluster.open-cluster-management.io/type': 'aws', [FROM]: 'hub-credentials-1' }), {
        ...SCOPE,
        credentials: undefined,
      }),
    ).toEqual({ delete: false });
  });
});

describe("the scope from the used backups' manifests", () => {
  const source = (backup: string, filters: Partial<CleanupSource['filters']>): CleanupSource => ({
    backup,
    filters: { includedResources: [], excludedResources: [], excludedNamespaces: [], ...filters },
  });
  it("takes each part's kinds from its backup and protects the namespaces the backups left out", () => {
    const scope = cleanupScope('restored', {
      credentials: source('c', { includedResources: ['configmaps', 'secrets'] }),
      resources: source('r', {
        includedResources: ['placements.cluster.open-cluster-management.io'],
        excludedNamespaces: ['open-cluster-management-backup', 'local-cluster'],
      }),
      generic: source('g', { includedResources: ['*'], excludedResources: ['secrets', 'configmaps'] }),
      managedClusters: source('m', {
        includedResources: ['managedclusters.cluster.open-cluster-management.io'],
        excludedNamespaces: ['local-cluster', 'openshift-machine-api'],
      }),
    });
    expect(scope).toEqual({
      mode: 'restored',
      credentials: { backup: 'c' },
      resources: { backup: 'r', resources: ['placements.cluster.open-cluster-management.io'] },
      generic: { backup: 'g', excludedResources: ['secrets', 'configmaps'] },
      managedClusters: { backup: 'm', resources: ['managedclusters.cluster.open-cluster-management.io'] },
      protectedNamespaces: ['local-cluster', 'open-cluster-management-backup', 'openshift-machine-api'],
    });
  });
  it('leaves a skipped type out', () => {
    expect(cleanupScope('all', { resources: source('r', {}) })).toEqual({
      mode: 'all',
      resources: { backup: 'r', resources: [] },
      protectedNamespaces: [],
    });
  });
});

describe('the lists that find every object the cleanup could delete', () => {
  const served = [
    'secrets',
    'configmaps',
    'namespaces',
    'policies.policy.open-cluster-management.io',
    'placements.cluster.open-cluster-management.io',
    'managedclusters.cluster.open-cluster-management.io',
    'clusterimagesets.hive.openshift.io',
    'applications.argoproj.io',
  ];
  it('credentials by each label, the typed kinds whole, every other kind by the backup label', () => {
    expect(cleanupLists(SCOPE, served)).toEqual([
      { groupResource: 'applications.argoproj.io', labelSelector: 'cluster.open-cluster-management.io/backup' },
      { groupResource: 'configmaps', labelSelector: 'cluster.open-cluster-management.io/backup' },
      { groupResource: 'configmaps', labelSelector: 'cluster.open-cluster-management.io/type' },
      { groupResource: 'configmaps', labelSelector: 'hive.openshift.io/secret-type' },
      { groupResource: 'managedclusters.cluster.open-cluster-management.io' },
      { groupResource: 'placements.cluster.open-cluster-management.io' },
      { groupResource: 'policies.policy.open-cluster-management.io' },
      { groupResource: 'secrets', labelSelector: 'cluster.open-cluster-management.io/backup' },
      { groupResource: 'secrets', labelSelector: 'cluster.open-cluster-management.io/type' },
      { groupResource: 'secrets', labelSelector: 'hive.openshift.io/secret-type' },
    ]);
  });
  it('never lists the kinds never deleted, nor what the hub does not serve', () => {
    const lists = cleanupLists(
      { ...SCOPE, resources: { backup: 'r', resources: ['clusterimagesets.hive.openshift.io', 'gone.example.com'] } },
      served,
    );
    expect(lists.map((l) => l.groupResource)).not.toContain('clusterimagesets.hive.openshift.io');
    expect(lists.map((l) => l.groupResource)).not.toContain('gone.example.com');
  });
  it('lists nothing for a scope without parts', () => {
    expect(cleanupLists({ mode: 'restored', protectedNamespaces: [] }, served)).toEqual([]);
  });
  it('every object a decision deletes is in some list', () => {
    const lists = cleanupLists(SCOPE, served);
    const objects: LiveObject[] = [
      secret({ 'cluster.open-cluster-management.io/type': 'aws', [FROM]: 'hub-credentials-1' }),
      policy({ [FROM]: 'hub-resources-1' }),
      app({ 'cluster.open-cluster-management.io/backup': 'argo', [FROM]: 'hub-resources-generic-1' }),
      managedCluster({ [FROM]: 'hub-managed-clusters-1' }),
    ];
    for (const o of objects) {
      expect(cleanupDecision(o, SCOPE).delete).toBe(true);
      const listed = lists.some(
        (l) => l.groupResource === o.groupResource && (!l.labelSelector || o.labels[l.labelSelector] !== undefined),
      );
      expect(listed, o.groupResource).toBe(true);
    }
  });
});
