import { isCustomResource } from './items.js';
import type { RestoreStep } from './restore-model.js';
import { CUSTOM_RESOURCE_DEFINITIONS } from './selection.js';

/**
 * The order of a resource restore, as data a person can read (the README and the dry-run print it): CRDs first and
 * waited for, then Velero v1.18's default high priorities, then every other resource of the backup alphabetically,
 * then Velero's low priorities and Lifeboat's few additions (../shared/research/velero-resources-notes.md, section 4
 * "Default priorities", "CRDs first"). Pure.
 */

export interface RestorePriority {
  groupResource: string;
  reason: string;
}

/**
 * Velero's defaultRestorePriorities (pkg/cmd/server/config/config.go), high list, as the archive names the resources
 * (Velero resolves its short entries through discovery: `storageclasses` is storageclasses.storage.k8s.io, and its
 * `volumesnapshotclass` is the plural). The CRDs, its first entry, are RESTORE_CRD_STEP.
 */
export const RESTORE_PRIORITIES: readonly RestorePriority[] = [
  { groupResource: 'namespaces', reason: 'every namespaced object needs its namespace' },
  {
    groupResource: 'storageclasses.storage.k8s.io',
    reason: 'PersistentVolumes and claims name their StorageClass, which provisions and binds them',
  },
  {
    groupResource: 'volumesnapshotclasses.snapshot.storage.k8s.io',
    reason: 'volume snapshots name their class, which says which driver provisions volumes from them',
  },
  {
    groupResource: 'volumesnapshotcontents.snapshot.storage.k8s.io',
    reason: "a VolumeSnapshotContent holds the storage provider's handle of the snapshot its VolumeSnapshot binds to",
  },
  {
    groupResource: 'volumesnapshots.snapshot.storage.k8s.io',
    reason: 'claims restored from a snapshot name the VolumeSnapshot as their data source',
  },
  {
    groupResource: 'datauploads.velero.io',
    reason: "Velero's data mover: a claim's DataDownload needs the DataUpload results",
  },
  { groupResource: 'persistentvolumes', reason: 'a bound claim names its PersistentVolume' },
  { groupResource: 'persistentvolumeclaims', reason: 'Pods and workloads mount their claims' },
  { groupResource: 'clusterroles.rbac.authorization.k8s.io', reason: 'ClusterRoleBindings and RoleBindings name them' },
  { groupResource: 'roles.rbac.authorization.k8s.io', reason: 'RoleBindings name them' },
  {
    groupResource: 'serviceaccounts',
    reason: 'workloads run as them, and a token Secret is filled in only once its ServiceAccount exists',
  },
  {
    groupResource: 'clusterrolebindings.rbac.authorization.k8s.io',
    reason: 'grant their ServiceAccounts before the workloads that run as them start',
  },
  {
    groupResource: 'rolebindings.rbac.authorization.k8s.io',
    reason: 'grant their ServiceAccounts before the workloads that run as them start',
  },
  { groupResource: 'secrets', reason: 'Pods mount them and read them as environment variables' },
  { groupResource: 'configmaps', reason: 'Pods mount them and read them as environment variables' },
  { groupResource: 'limitranges', reason: 'they set the defaults and limits of the Pods created after them' },
  { groupResource: 'priorityclasses.scheduling.k8s.io', reason: 'Pods name their PriorityClass' },
  {
    groupResource: 'pods',
    reason:
      'standalone Pods before the controllers, as Velero orders them (Lifeboat skips the Pods a controller recreates)',
  },
  {
    groupResource: 'replicasets.apps',
    reason:
      'ReplicaSets without a Deployment before the other controllers, as Velero orders them (Lifeboat skips those a Deployment recreates)',
  },
  {
    groupResource: 'clusterclasses.cluster.x-k8s.io',
    reason: 'Cluster API: Clusters name their ClusterClass',
  },
  {
    groupResource: 'endpoints',
    reason: "hand-written Endpoints before their Service, so the Service's controller creates no others",
  },
  {
    groupResource: 'services',
    reason: 'after their Endpoints; before the Cluster API Clusters that adopt them (Velero: AKO operator)',
  },
];

/** Velero's low priorities, restored last, in this order: they reference anything else of the backup. */
export const RESTORE_LOW_PRIORITIES: readonly RestorePriority[] = [
  {
    groupResource: 'clusterbootstraps.run.tanzu.vmware.com',
    reason: 'Tanzu: may reference any other resource; before the Clusters, or a default one is created for them',
  },
  {
    groupResource: 'clusters.cluster.x-k8s.io',
    reason: "Cluster API: before ClusterResourceSets, which otherwise make Cluster API's controller panic",
  },
  {
    groupResource: 'clusterresourcesets.addons.cluster.x-k8s.io',
    reason: 'Cluster API: after the Clusters they apply to',
  },
  {
    groupResource: 'apps.kappctrl.k14s.io',
    reason: 'Carvel kapp-controller: after the workloads it deploys, or it creates them anew first',
  },
  {
    groupResource: 'packageinstalls.packaging.carvel.dev',
    reason: 'Carvel: after the workloads it installs, or it creates them anew first',
  },
];

/**
 * Lifeboat's additions after everything (Velero restores these alphabetically, in the middle): objects that make the
 * API server call a backend the restore brings back. An admission webhook restored before its Service and Deployment
 * would refuse (failurePolicy Fail) or let through unmutated every object restored after it; an APIService before
 * its backend leaves its group unavailable, so discovery reports it failed.
 */
export const RESTORE_LAST: readonly RestorePriority[] = [
  {
    groupResource: 'apiservices.apiregistration.k8s.io',
    reason: 'after the Services and workloads that serve them, or their API group is unavailable meanwhile',
  },
  {
    groupResource: 'mutatingwebhookconfigurations.admissionregistration.k8s.io',
    reason: 'after everything: a webhook whose backend is not restored yet would refuse or skew the objects after it',
  },
  {
    groupResource: 'validatingwebhookconfigurations.admissionregistration.k8s.io',
    reason: 'after everything: a webhook whose backend is not restored yet would refuse the objects after it',
  },
];

/** The first step: CRDs, each waited for (Established and NamesAccepted) before anything else, then discovery again. */
export const RESTORE_CRD_STEP: Readonly<RestoreStep> = {
  groupResource: CUSTOM_RESOURCE_DEFINITIONS,
  reason:
    'first, and each waited for until Established with its names accepted, then discovery is read again: a custom resource needs its CRD served (Velero issue #3844)',
  waitForEstablished: true,
};

/**
 * Why the resources outside the lists go alphabetically: it is Velero's order (getOrderedResources), so a restore
 * does what its users expect and results compare with theirs, and it is deterministic. Their visible dependencies
 * are already met: a custom resource's CRD came first, a workload's ServiceAccount, ConfigMaps, Secrets and claims
 * came with the priorities; what remains (a Deployment and its HorizontalPodAutoscaler, one custom resource naming
 * another) is reconciled by the controllers, which wait for what they reference.
 */
const MIDDLE_REASON = 'not in the priority lists: alphabetical by resource after them, as Velero orders them';
const CUSTOM_REASON = `${MIDDLE_REASON}; after its CRD, which the first step restored`;

function groupOf(groupResource: string): string {
  const dot = groupResource.indexOf('.');
  return dot < 0 ? '' : groupResource.slice(dot + 1);
}

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The restore order of the given resources (the backup's groupResources; duplicates and order of the input do not
 * matter): one step for each, priorities first in their order, the rest alphabetically, the low lists last.
 */
export function restoreOrder(groupResources: readonly string[]): RestoreStep[] {
  const present = new Set(groupResources);
  const fixed = new Set(
    [RESTORE_CRD_STEP, ...RESTORE_PRIORITIES, ...RESTORE_LOW_PRIORITIES, ...RESTORE_LAST].map((p) => p.groupResource),
  );
  const listed = (list: readonly RestorePriority[]): RestoreStep[] =>
    list.filter((p) => present.has(p.groupResource)).map((p) => ({ groupResource: p.groupResource, reason: p.reason }));
  const middle = [...present]
    .filter((gr) => !fixed.has(gr))
    .sort(byCodePoint)
    .map((gr) => ({
      groupResource: gr,
      reason: isCustomResource({ group: groupOf(gr) }) ? CUSTOM_REASON : MIDDLE_REASON,
    }));
  return [
    ...(present.has(RESTORE_CRD_STEP.groupResource) ? [{ ...RESTORE_CRD_STEP }] : []),
    ...listed(RESTORE_PRIORITIES),
    ...middle,
    ...listed(RESTORE_LOW_PRIORITIES),
    ...listed(RESTORE_LAST),
  ];
}

/** The whole documented order, for the README and `--dry-run`: every fixed entry, with where the others go. */
export function documentedOrder(): RestorePriority[] {
  return [
    { groupResource: RESTORE_CRD_STEP.groupResource, reason: RESTORE_CRD_STEP.reason },
    ...RESTORE_PRIORITIES,
    { groupResource: '*', reason: MIDDLE_REASON },
    ...RESTORE_LOW_PRIORITIES,
    ...RESTORE_LAST,
  ];
}
