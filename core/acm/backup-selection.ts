import { groupResource, type ApiResource } from '../resources/model.js';
import type { ResourceFilters } from '../resources/selection.js';

/**
 * What each of an ACM hub backup's typed backups selects, as the cluster-backup-operator does it
 * (../shared/research/acm-backup-notes.md, sections 1.1 and 1.2, and the preset of section 6): a pure function of the
 * hub's discovery and three namespaces, giving resource-backup filters the resource engine runs as they are.
 * Not wired into a workflow yet (issue 15): the hub backup workflow calls this on every run, so a CRD installed in an
 * ACM group joins the next backup, as with the operator.
 */

/** The typed backups of one hub backup set, in the order the operator creates them. */
export const ACM_BACKUP_TYPES = ['credentials', 'managed-clusters', 'resources-generic', 'resources'] as const;
export type AcmBackupType = (typeof ACM_BACKUP_TYPES)[number];

/** The operator's `backup-schedule-type` label value of each type, which its restore and tools read. */
export const OPERATOR_TYPE_VALUES: Record<AcmBackupType, string> = {
  credentials: 'credentials',
  'managed-clusters': 'managedClusters',
  'resources-generic': 'resourcesGeneric',
  resources: 'resources',
};
/** The labels the operator's backups carry: the type, and the hub that wrote it. */
export const SCHEDULE_TYPE_LABEL = 'cluster.open-cluster-management.io/backup-schedule-type';
export const BACKUP_CLUSTER_LABEL = 'cluster.open-cluster-management.io/backup-cluster';

/** The hub's namespaces that some types leave out. */
export interface HubNamespaces {
  /** Where the hub backup schedule lives (the operator's BackupSchedule namespace); resources leaves it out. */
  schedule?: string;
  /** The namespace of the ManagedCluster labelled local-cluster=true (`local-cluster` when there is none). */
  localCluster: string;
  /** The MultiClusterHub's namespace (that of the Channel `charts-v1`), when found. */
  multiClusterHub?: string;
}

/** What a type selects: the resource engine's filters, and objects to drop that a filter cannot name. */
export interface AcmSelection {
  type: AcmBackupType;
  filters: ResourceFilters;
  /** Items of `resource` matching `labelSelector` are left out (the local-cluster ManagedCluster). */
  excludedItems: { resource: string; labelSelector: string }[];
}

/** Groups the operator never backs up, though their names end in its suffixes. */
const EXCLUDED_GROUPS = new Set([
  'internal.open-cluster-management.io',
  'operator.open-cluster-management.io',
  'work.open-cluster-management.io',
  'search.open-cluster-management.io',
  'proxy.open-cluster-management.io',
  'action.open-cluster-management.io',
  'view.open-cluster-management.io',
  'clusterview.open-cluster-management.io',
  'admission.hive.openshift.io',
  'velero.io',
]);
/** Groups taken by name; `hive.openshift.io` itself is not one of them (the suffix test needs the leading dot). */
const NAMED_GROUPS = new Set(['argoproj.io', 'app.k8s.io', 'core.observatorium.io']);
const ACTIVATION_GROUP = 'agent-install.openshift.io';
const GROUP_SUFFIXES = ['.open-cluster-management.io', '.hive.openshift.io'];

/** Kinds dropped even inside included groups (lowercased Kind and group, the operator's names). */
const EXCLUDED_KINDS = new Set([
  'clustermanagementaddon.addon.open-cluster-management.io',
  'backupschedule.cluster.open-cluster-management.io',
  'restore.cluster.open-cluster-management.io',
  'clusterclaim.cluster.open-cluster-management.io',
  'discoveredcluster.discovery.open-cluster-management.io',
]);

/** The static activation list: what makes a hub manage its clusters, restored last. */
const ACTIVATION_KINDS = new Set([
  'clusterdeployment.hive.openshift.io',
  'machinepool.hive.openshift.io',
  'clusterpool.hive.openshift.io',
  'clusterclaim.hive.openshift.io',
  'clusterimageset.hive.openshift.io',
  'managedcluster.cluster.open-cluster-management.io',
  'klusterletaddonconfig.agent.open-cluster-management.io',
  'managedclusteraddon.addon.open-cluster-management.io',
  'clustercurator.cluster.open-cluster-management.io',
  'bmceventsubscription.metal3.io',
  'hostfirmwaresettings.metal3.io',
  'clustersync.hiveinternal.openshift.io',
  'multiclusterobservability.observability.open-cluster-management.io',
]);

/** The labels that put a Secret or ConfigMap into the credentials backup (any one of them, any value). */
export const CREDENTIAL_LABELS = [
  'hive.openshift.io/secret-type',
  'cluster.open-cluster-management.io/type',
  'cluster.open-cluster-management.io/backup',
] as const;
/** The label that puts any object into the generic backup; its value `cluster-activation` matters on restore. */
export const BACKUP_LABEL = 'cluster.open-cluster-management.io/backup';
const ROOT_POLICY_LABEL = 'policy.open-cluster-management.io/root-policy';
const MACHINE_API_NAMESPACE = 'openshift-machine-api';
const MANAGED_CLUSTERS = 'managedclusters.cluster.open-cluster-management.io';

/** The operator's name for a kind: its lowercased Kind, a dot, its group (`managedcluster.cluster.open-cluster-management.io`). */
export function operatorKindName(r: Pick<ApiResource, 'kind' | 'group'>): string {
  return r.group === '' ? r.kind.toLowerCase() : `${r.kind.toLowerCase()}.${r.group}`;
}

/** Whether the operator backs up the group at all (notes 1.1, "Which groups count"). */
export function acmGroupIncluded(group: string): boolean {
  if (EXCLUDED_GROUPS.has(group)) return false;
  return NAMED_GROUPS.has(group) || group === ACTIVATION_GROUP || GROUP_SUFFIXES.some((s) => group.endsWith(s));
}

function isHiveKind(r: ApiResource): boolean {
  return operatorKindName(r).endsWith('.hive.openshift.io');
}

/**
 * Activation kinds the hub serves: the static list, every agent-install kind, and every Hive kind the operator's
 * discovery finds, which is those of included groups (`extensions.hive.openshift.io`): the group `hive.openshift.io`
 * itself is not one, so its kinds come only through the static list (ClusterDeployment, yes; DNSZone, no).
 */
export function activationResources(discovery: ApiResource[]): ApiResource[] {
  return discovery.filter(
    (r) =>
      ACTIVATION_KINDS.has(operatorKindName(r)) ||
      r.group === ACTIVATION_GROUP ||
      (acmGroupIncluded(r.group) && isHiveKind(r)),
  );
}

/** The "resources" list: every kind of an included group that is neither excluded nor an activation or Hive kind. */
export function hubResources(discovery: ApiResource[]): ApiResource[] {
  const activation = new Set(activationResources(discovery));
  return discovery.filter(
    (r) => acmGroupIncluded(r.group) && !EXCLUDED_KINDS.has(operatorKindName(r)) && !activation.has(r),
  );
}

const names = (resources: ApiResource[]) => [...new Set(resources.map(groupResource))].sort();

const NONE: Pick<ResourceFilters, 'excludedNamespaces' | 'excludedResources'> = {
  excludedNamespaces: [],
  excludedResources: [],
};

/**
 * The filters of one type. A type whose kinds the hub does not serve at all selects nothing: its `includedResources`
 * is empty and the caller skips it (an empty include list would mean "everything" to the resource engine).
 */
export function acmSelection(type: AcmBackupType, discovery: ApiResource[], hub: HubNamespaces): AcmSelection {
  switch (type) {
    case 'credentials':
      return {
        type,
        filters: {
          ...NONE,
          includedResources: ['configmaps', 'secrets'],
          includeClusterResources: false,
          orLabelSelectors: [...CREDENTIAL_LABELS],
        },
        excludedItems: [],
      };
    case 'managed-clusters':
      return {
        type,
        filters: {
          ...NONE,
          includedResources: names(activationResources(discovery)),
          excludedNamespaces: [hub.localCluster, MACHINE_API_NAMESPACE],
          includeClusterResources: true,
        },
        // The operator's README says the local-cluster is not backed up, but no rule of its code leaves it out.
        excludedItems: [{ resource: MANAGED_CLUSTERS, labelSelector: 'local-cluster=true' }],
      };
    case 'resources-generic': {
      // Every Hive kind, of any group: not only the activation list's.
      const left = new Set([
        'configmaps',
        'secrets',
        'namespaces',
        ...names(activationResources(discovery)),
        ...names(discovery.filter(isHiveKind)),
      ]);
      return {
        type,
        filters: {
          ...NONE,
          includedResources: ['*'],
          excludedResources: [...left].sort(),
          includeClusterResources: true,
          labelSelector: BACKUP_LABEL,
        },
        excludedItems: [],
      };
    }
    case 'resources':
      return {
        type,
        filters: {
          ...NONE,
          includedResources: names(hubResources(discovery).filter((r) => !isHiveKind(r))),
          excludedNamespaces: [
            ...new Set([hub.schedule, hub.localCluster, hub.multiClusterHub].filter((ns) => ns !== undefined)),
          ],
          includeClusterResources: true,
          labelSelector: `!${ROOT_POLICY_LABEL},!${BACKUP_LABEL}`,
        },
        excludedItems: [],
      };
  }
}
