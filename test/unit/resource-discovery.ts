import type { ApiResource, Discovery } from '../../core/resources/model.js';
import type { LiveNamespace } from '../../core/resources/selection.js';

/**
 * A realistic discovery for the selection and item tests: what a Kubernetes 1.3x kube-apiserver serves at its
 * preferred versions, in its order, with the snapshot CRDs and one CRD group of ours (`widgets`, short name `wd`,
 * and a cluster-scoped `gizmos`), non-listable resources and subresources.
 */

const ALL = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function res(
  groupVersion: string,
  resource: string,
  kind: string,
  namespaced: boolean,
  extra: { shortNames?: string[]; verbs?: string[]; singularName?: string } = {},
): ApiResource {
  const slash = groupVersion.indexOf('/');
  return {
    group: slash < 0 ? '' : groupVersion.slice(0, slash),
    version: slash < 0 ? groupVersion : groupVersion.slice(slash + 1),
    resource,
    kind,
    namespaced,
    shortNames: extra.shortNames ?? [],
    singularName: extra.singularName ?? kind.toLowerCase(),
    verbs: extra.verbs ?? ALL,
  };
}

export const coreResources: ApiResource[] = [
  res('v1', 'bindings', 'Binding', true, { verbs: ['create'] }),
  res('v1', 'componentstatuses', 'ComponentStatus', false, { verbs: ['get', 'list'], shortNames: ['cs'] }),
  res('v1', 'configmaps', 'ConfigMap', true, { shortNames: ['cm'] }),
  res('v1', 'endpoints', 'Endpoints', true, { shortNames: ['ep'], singularName: '' }),
  res('v1', 'events', 'Event', true, { shortNames: ['ev'] }),
  res('v1', 'limitranges', 'LimitRange', true, { shortNames: ['limits'] }),
  res('v1', 'namespaces', 'Namespace', false, { shortNames: ['ns'], verbs: ['create', 'delete', 'get', 'list'] }),
  res('v1', 'namespaces/status', 'Namespace', false, { verbs: ['get', 'patch', 'update'] }),
  res('v1', 'nodes', 'Node', false, { shortNames: ['no'] }),
  res('v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', true, { shortNames: ['pvc'] }),
  res('v1', 'persistentvolumes', 'PersistentVolume', false, { shortNames: ['pv'] }),
  res('v1', 'pods', 'Pod', true, { shortNames: ['po'] }),
  res('v1', 'pods/log', 'Pod', true, { verbs: ['get'] }),
  res('v1', 'podtemplates', 'PodTemplate', true),
  res('v1', 'replicationcontrollers', 'ReplicationController', true, { shortNames: ['rc'] }),
  res('v1', 'resourcequotas', 'ResourceQuota', true, { shortNames: ['quota'] }),
  res('v1', 'secrets', 'Secret', true),
  res('v1', 'serviceaccounts', 'ServiceAccount', true, { shortNames: ['sa'] }),
  res('v1', 'services', 'Service', true, { shortNames: ['svc'] }),
];

export const groupResources: ApiResource[] = [
  res('apps/v1', 'controllerrevisions', 'ControllerRevision', true),
  res('apps/v1', 'daemonsets', 'DaemonSet', true, { shortNames: ['ds'] }),
  res('apps/v1', 'deployments', 'Deployment', true, { shortNames: ['deploy'] }),
  res('apps/v1', 'deployments/scale', 'Scale', true, { verbs: ['get', 'patch', 'update'] }),
  res('apps/v1', 'replicasets', 'ReplicaSet', true, { shortNames: ['rs'] }),
  res('apps/v1', 'statefulsets', 'StatefulSet', true, { shortNames: ['sts'] }),
  res('events.k8s.io/v1', 'events', 'Event', true, { shortNames: ['ev'] }),
  res('authorization.k8s.io/v1', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview', false, {
    verbs: ['create'],
  }),
  res('batch/v1', 'cronjobs', 'CronJob', true, { shortNames: ['cj'] }),
  res('batch/v1', 'jobs', 'Job', true),
  res('networking.k8s.io/v1', 'ingresses', 'Ingress', true, { shortNames: ['ing'] }),
  res('networking.k8s.io/v1', 'networkpolicies', 'NetworkPolicy', true, { shortNames: ['netpol'] }),
  res('rbac.authorization.k8s.io/v1', 'clusterrolebindings', 'ClusterRoleBinding', false),
  res('rbac.authorization.k8s.io/v1', 'clusterroles', 'ClusterRole', false),
  res('rbac.authorization.k8s.io/v1', 'rolebindings', 'RoleBinding', true),
  res('rbac.authorization.k8s.io/v1', 'roles', 'Role', true),
  res('storage.k8s.io/v1', 'csidrivers', 'CSIDriver', false),
  res('storage.k8s.io/v1', 'storageclasses', 'StorageClass', false, { shortNames: ['sc'] }),
  res('storage.k8s.io/v1', 'volumeattachments', 'VolumeAttachment', false),
  res('apiextensions.k8s.io/v1', 'customresourcedefinitions', 'CustomResourceDefinition', false, {
    shortNames: ['crd', 'crds'],
  }),
  res('snapshot.storage.k8s.io/v1', 'volumesnapshotclasses', 'VolumeSnapshotClass', false, {
    shortNames: ['vsclass'],
  }),
  res('snapshot.storage.k8s.io/v1', 'volumesnapshotcontents', 'VolumeSnapshotContent', false, {
    shortNames: ['vsc'],
  }),
  res('snapshot.storage.k8s.io/v1', 'volumesnapshots', 'VolumeSnapshot', true, { shortNames: ['vs'] }),
  res('example.lifeboat.dev/v1', 'widgets', 'Widget', true, { shortNames: ['wd'] }),
  res('example.lifeboat.dev/v1', 'widgets/status', 'Widget', true, { verbs: ['get', 'patch', 'update'] }),
  res('example.lifeboat.dev/v1', 'gizmos', 'Gizmo', false),
];

export const discovery: Discovery = {
  resources: [...coreResources, ...groupResources],
  failedGroups: [
    { groupVersion: 'metrics.k8s.io/v1beta1', error: 'the server is currently unable to handle the request' },
  ],
  server: { gitVersion: 'v1.34.1', major: '1', minor: '34' },
};

/** An older cluster that still serves `extensions` (listed first here, to show it goes last). */
export const legacyDiscovery: Discovery = {
  ...discovery,
  resources: [
    ...coreResources,
    res('extensions/v1beta1', 'daemonsets', 'DaemonSet', true, { shortNames: ['ds'] }),
    res('extensions/v1beta1', 'deployments', 'Deployment', true, { shortNames: ['deploy'] }),
    res('extensions/v1beta1', 'networkpolicies', 'NetworkPolicy', true, { shortNames: ['netpol'] }),
    res('extensions/v1beta1', 'podsecuritypolicies', 'PodSecurityPolicy', false, { shortNames: ['psp'] }),
    res('extensions/v1beta1', 'replicasets', 'ReplicaSet', true, { shortNames: ['rs'] }),
    ...groupResources,
  ],
};

/** The same cluster before the widgets CRD is installed. */
export const discoveryWithoutCrd: Discovery = {
  ...discovery,
  resources: discovery.resources.filter((r) => r.group !== 'example.lifeboat.dev'),
};

export function ns(name: string, labels: Record<string, string> = {}, active = true): LiveNamespace {
  return { name, labels, active };
}

export const liveNamespaces: LiveNamespace[] = [
  ns('default'),
  ns('kube-system'),
  ns('kube-public'),
  ns('team-a'),
  ns('team-b'),
  ns('team-ab'),
  ns('team-c', {}, false),
  ns('app1'),
  ns('app2'),
  ns('app3'),
];

/** The groupResources of the fixture's backupable resources, in Velero's order, `namespaces` last. */
export const FULL_ORDER = [
  'pods',
  'persistentvolumeclaims',
  'persistentvolumes',
  'configmaps',
  'endpoints',
  'events',
  'limitranges',
  'nodes',
  'podtemplates',
  'replicationcontrollers',
  'resourcequotas',
  'secrets',
  'serviceaccounts',
  'services',
  'controllerrevisions.apps',
  'daemonsets.apps',
  'deployments.apps',
  'replicasets.apps',
  'statefulsets.apps',
  'cronjobs.batch',
  'jobs.batch',
  'ingresses.networking.k8s.io',
  'networkpolicies.networking.k8s.io',
  'clusterrolebindings.rbac.authorization.k8s.io',
  'clusterroles.rbac.authorization.k8s.io',
  'rolebindings.rbac.authorization.k8s.io',
  'roles.rbac.authorization.k8s.io',
  'csidrivers.storage.k8s.io',
  'storageclasses.storage.k8s.io',
  'volumeattachments.storage.k8s.io',
  'customresourcedefinitions.apiextensions.k8s.io',
  'volumesnapshotclasses.snapshot.storage.k8s.io',
  'widgets.example.lifeboat.dev',
  'gizmos.example.lifeboat.dev',
  'namespaces',
];

export const CLUSTER_SCOPED = [
  'persistentvolumes',
  'nodes',
  'clusterrolebindings.rbac.authorization.k8s.io',
  'clusterroles.rbac.authorization.k8s.io',
  'csidrivers.storage.k8s.io',
  'storageclasses.storage.k8s.io',
  'volumeattachments.storage.k8s.io',
  'customresourcedefinitions.apiextensions.k8s.io',
  'volumesnapshotclasses.snapshot.storage.k8s.io',
  'gizmos.example.lifeboat.dev',
];

export const NAMESPACED = FULL_ORDER.filter((n) => n !== 'namespaces' && !CLUSTER_SCOPED.includes(n));
