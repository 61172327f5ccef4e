import { describe, expect, it } from 'vitest';
import {
  ACM_BACKUP_TYPES,
  acmGroupIncluded,
  acmSelection,
  activationResources,
  hubResources,
  operatorKindName,
} from '../../core/acm/backup-selection.js';
import { groupResource, type ApiResource } from '../../core/resources/model.js';

function served(group: string, kind: string, resource: string, namespaced = true): ApiResource {
  return { group, version: 'v1', kind, resource, namespaced, shortNames: [], singularName: '', verbs: ['list'] };
}

/** A hub's discovery: core kinds, ACM and Hive groups, the excluded ones, and groups the operator ignores. */
const HUB: ApiResource[] = [
  served('', 'Secret', 'secrets'),
  served('', 'ConfigMap', 'configmaps'),
  served('', 'Namespace', 'namespaces', false),
  served('apps', 'Deployment', 'deployments'),
  served('cluster.open-cluster-management.io', 'ManagedCluster', 'managedclusters', false),
  served('cluster.open-cluster-management.io', 'ManagedClusterSet', 'managedclustersets', false),
  served('cluster.open-cluster-management.io', 'Placement', 'placements'),
  served('cluster.open-cluster-management.io', 'PlacementDecision', 'placementdecisions'),
  served('cluster.open-cluster-management.io', 'BackupSchedule', 'backupschedules'),
  served('cluster.open-cluster-management.io', 'Restore', 'restores'),
  served('cluster.open-cluster-management.io', 'ClusterClaim', 'clusterclaims', false),
  served('cluster.open-cluster-management.io', 'ClusterCurator', 'clustercurators'),
  served('addon.open-cluster-management.io', 'ManagedClusterAddOn', 'managedclusteraddons'),
  served('addon.open-cluster-management.io', 'ClusterManagementAddOn', 'clustermanagementaddons', false),
  served('agent.open-cluster-management.io', 'KlusterletAddonConfig', 'klusterletaddonconfigs'),
  served('policy.open-cluster-management.io', 'Policy', 'policies'),
  served('apps.open-cluster-management.io', 'Channel', 'channels'),
  served('apps.open-cluster-management.io', 'Subscription', 'subscriptions'),
  served('work.open-cluster-management.io', 'ManifestWork', 'manifestworks'),
  served('discovery.open-cluster-management.io', 'DiscoveredCluster', 'discoveredclusters'),
  served('authentication.open-cluster-management.io', 'ManagedServiceAccount', 'managedserviceaccounts'),
  served('hive.openshift.io', 'ClusterDeployment', 'clusterdeployments'),
  served('hive.openshift.io', 'ClusterPool', 'clusterpools'),
  served('hive.openshift.io', 'ClusterClaim', 'clusterclaims'),
  served('hive.openshift.io', 'ClusterImageSet', 'clusterimagesets', false),
  served('hive.openshift.io', 'DNSZone', 'dnszones'),
  served('extensions.hive.openshift.io', 'AgentClusterInstall', 'agentclusterinstalls'),
  served('admission.hive.openshift.io', 'ClusterDeploymentValidator', 'clusterdeploymentvalidators'),
  served('agent-install.openshift.io', 'InfraEnv', 'infraenvs'),
  served('argoproj.io', 'Application', 'applications'),
  served('velero.io', 'Backup', 'backups'),
  served('metal3.io', 'BMCEventSubscription', 'bmceventsubscriptions'),
  served('metal3.io', 'BareMetalHost', 'baremetalhosts'),
];
const HUB_NS = {
  schedule: 'open-cluster-management-backup',
  localCluster: 'local-cluster',
  multiClusterHub: 'open-cluster-management',
};

const grs = (resources: ApiResource[]) => resources.map(groupResource).sort();

describe('which groups the operator backs up', () => {
  it.each([
    ['cluster.open-cluster-management.io', true],
    ['extensions.hive.openshift.io', true],
    ['argoproj.io', true],
    ['app.k8s.io', true],
    ['core.observatorium.io', true],
    ['agent-install.openshift.io', true],
    // the suffix test needs the leading dot
    ['hive.openshift.io', false],
    ['open-cluster-management.io', false],
    ['work.open-cluster-management.io', false],
    ['clusterview.open-cluster-management.io', false],
    ['admission.hive.openshift.io', false],
    ['velero.io', false],
    ['apps', false],
    ['', false],
  ])('%s: %s', (group, included) => {
    expect(acmGroupIncluded(group)).toBe(included);
  });

  it('names kinds the operator’s way', () => {
    expect(operatorKindName(served('cluster.open-cluster-management.io', 'ManagedCluster', 'managedclusters'))).toBe(
      'managedcluster.cluster.open-cluster-management.io',
    );
    expect(operatorKindName(served('', 'Secret', 'secrets'))).toBe('secret');
  });
});

describe('activation and resources kinds', () => {
  it('activation: the static list the hub serves, every agent-install kind and the Hive kinds of included groups', () => {
    expect(grs(activationResources(HUB))).toEqual([
      'agentclusterinstalls.extensions.hive.openshift.io',
      'bmceventsubscriptions.metal3.io',
      'clusterclaims.hive.openshift.io',
      'clustercurators.cluster.open-cluster-management.io',
      'clusterdeployments.hive.openshift.io',
      'clusterimagesets.hive.openshift.io',
      'clusterpools.hive.openshift.io',
      'infraenvs.agent-install.openshift.io',
      'klusterletaddonconfigs.agent.open-cluster-management.io',
      'managedclusteraddons.addon.open-cluster-management.io',
      'managedclusters.cluster.open-cluster-management.io',
    ]);
  });

  it('resources: the included groups minus excluded and activation kinds (PlacementDecisions are in again)', () => {
    expect(grs(hubResources(HUB))).toEqual([
      'applications.argoproj.io',
      'channels.apps.open-cluster-management.io',
      'managedclustersets.cluster.open-cluster-management.io',
      'managedserviceaccounts.authentication.open-cluster-management.io',
      'placementdecisions.cluster.open-cluster-management.io',
      'placements.cluster.open-cluster-management.io',
      'policies.policy.open-cluster-management.io',
      'subscriptions.apps.open-cluster-management.io',
    ]);
  });
});

describe('the filters of each type', () => {
  it('credentials: Secrets and ConfigMaps with any of the three labels, namespaced only, every namespace', () => {
    expect(acmSelection('credentials', HUB, HUB_NS)).toEqual({
      type: 'credentials',
      filters: {
        includedResources: ['configmaps', 'secrets'],
        excludedResources: [],
        excludedNamespaces: [],
        includeClusterResources: false,
        orLabelSelectors: [
          'hive.openshift.io/secret-type',
          'cluster.open-cluster-management.io/type',
          'cluster.open-cluster-management.io/backup',
        ],
      },
      excludedItems: [],
    });
  });

  it('managed-clusters: the activation kinds outside local-cluster and openshift-machine-api, not the local-cluster', () => {
    const selection = acmSelection('managed-clusters', HUB, HUB_NS);
    expect(selection.filters.includedResources).toEqual(grs(activationResources(HUB)));
    expect(selection.filters).toMatchObject({
      excludedNamespaces: ['local-cluster', 'openshift-machine-api'],
      includeClusterResources: true,
    });
    expect(selection.filters.labelSelector).toBeUndefined();
    expect(selection.excludedItems).toEqual([
      { resource: 'managedclusters.cluster.open-cluster-management.io', labelSelector: 'local-cluster=true' },
    ]);
  });

  it('resources-generic: everything labelled for backup but credentials, namespaces, activation and Hive kinds', () => {
    const { filters } = acmSelection('resources-generic', HUB, HUB_NS);
    expect(filters.includedResources).toEqual(['*']);
    expect(filters.excludedResources).toEqual(
      [
        'configmaps',
        'namespaces',
        'secrets',
        ...grs(activationResources(HUB)),
        // Hive kinds outside the activation list and outside the backed-up groups
        'dnszones.hive.openshift.io',
        'clusterdeploymentvalidators.admission.hive.openshift.io',
      ].sort(),
    );
    expect(filters).toMatchObject({
      excludedNamespaces: [],
      includeClusterResources: true,
      labelSelector: 'cluster.open-cluster-management.io/backup',
    });
  });

  it('resources: the resources kinds without Hive ones, outside the schedule, local-cluster and hub namespaces', () => {
    const { filters } = acmSelection('resources', HUB, HUB_NS);
    expect(filters.includedResources).toEqual(grs(hubResources(HUB)));
    expect(filters).toMatchObject({
      excludedNamespaces: ['open-cluster-management-backup', 'local-cluster', 'open-cluster-management'],
      includeClusterResources: true,
      labelSelector: '!policy.open-cluster-management.io/root-policy,!cluster.open-cluster-management.io/backup',
    });
  });

  it('leaves out a namespace the hub does not name, and names a shared one once', () => {
    expect(acmSelection('resources', HUB, { localCluster: 'local-cluster' }).filters.excludedNamespaces).toEqual([
      'local-cluster',
    ]);
    expect(
      acmSelection('resources', HUB, { schedule: 'acm', localCluster: 'acm', multiClusterHub: 'acm' }).filters
        .excludedNamespaces,
    ).toEqual(['acm']);
  });

  it('a hub without ACM or Hive kinds: activation and resources select nothing, credentials and generic still run', () => {
    const plain = HUB.filter((r) => r.group === '' || r.group === 'apps');
    expect(acmSelection('managed-clusters', plain, HUB_NS).filters.includedResources).toEqual([]);
    expect(acmSelection('resources', plain, HUB_NS).filters.includedResources).toEqual([]);
    expect(acmSelection('credentials', plain, HUB_NS).filters.includedResources).toEqual(['configmaps', 'secrets']);
    expect(acmSelection('resources-generic', plain, HUB_NS).filters.excludedResources).toEqual([
      'configmaps',
      'namespaces',
      'secrets',
    ]);
  });

  it('no kind is in two types that back up the same objects', () => {
    const activation = new Set(acmSelection('managed-clusters', HUB, HUB_NS).filters.includedResources);
    const resources = acmSelection('resources', HUB, HUB_NS).filters.includedResources ?? [];
    expect(resources.filter((r) => activation.has(r))).toEqual([]);
    expect(ACM_BACKUP_TYPES).toEqual(['credentials', 'managed-clusters', 'resources-generic', 'resources']);
  });
});
