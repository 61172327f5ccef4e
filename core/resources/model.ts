/**
 * The vocabulary of a resource backup, shared by the pure decisions (core/resources/selection.ts, core/velero/) and
 * the adapters that talk to the API and the bucket (activities/kube/discovery.ts, activities/resource-backup.ts).
 * Plain data only: everything here travels through Temporal as JSON.
 */

/** One resource the API serves, at its group's preferred version (what Velero's discovery helper keeps). */
export interface ApiResource {
  /** "" for the core group. */
  group: string;
  version: string;
  /** The plural name: `configmaps`, `deployments`. */
  resource: string;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
  singularName: string;
  verbs: string[];
}

/** What discovery found: the preferred version of every group that answered, and the groups that did not. */
export interface Discovery {
  resources: ApiResource[];
  /** Unavailable groups (an aggregated API whose backend is down): a warning, never a failure. */
  failedGroups: { groupVersion: string; error: string }[];
  server: KubernetesVersion;
}

export interface KubernetesVersion {
  gitVersion: string;
  major: string;
  minor: string;
}

/**
 * Velero's name for a resource: the plural, plus `.group` unless the group is core (`configmaps`, `deployments.apps`).
 * The archive's directory names, the manifest's counts and the filters' resolved names all use it.
 */
export function groupResource(r: Pick<ApiResource, 'group' | 'resource'>): string {
  return r.group === '' ? r.resource : `${r.resource}.${r.group}`;
}

/** `apiVersion` as objects carry it: `v1`, `apps/v1`. */
export function apiVersionOf(r: Pick<ApiResource, 'group' | 'version'>): string {
  return r.group === '' ? r.version : `${r.group}/${r.version}`;
}

/** Which namespaces a namespaced resource is listed in. */
export type NamespaceScope =
  /** One cluster-wide LIST; items in namespaces the filter drops are skipped as they arrive. */
  | { all: true }
  /** One LIST per namespace: the filter names namespaces (after globs were expanded against the live list). */
  | { all: false; namespaces: string[] };

/** One resource to list, and how. */
export interface ResourceToList {
  resource: ApiResource;
  /** groupResource(resource), precomputed: the archive directory. */
  name: string;
  /** Undefined for a cluster-scoped resource. */
  scope?: NamespaceScope;
}

/** What the backup will list, decided before anything is listed (a pure function of discovery, filters, namespaces). */
export interface ListingPlan {
  resources: ResourceToList[];
  /**
   * Label selectors in wire syntax, each already ANDed with the exclude-from-backup rules: one LIST per selector
   * (OR semantics, duplicates dropped by uid). Never empty: without a selector in the policy, one selector that
   * only excludes.
   */
  selectors: string[];
  /** Included and excluded namespace globs, for items of a cluster-wide LIST and for Namespace objects. */
  namespaces: { included: string[]; excluded: string[] };
  /**
   * Cluster-scoped objects Velero backs up because a backed-up object needs them, when cluster-scoped resources are
   * not listed wholesale (includeClusterResources unset with a namespace filter): the PV of each bound PVC and the
   * CRD of each custom resource type.
   */
  relatedClusterItems: boolean;
  /** A Namespace object is kept only if it matches the selector or holds a backed-up item (Velero's nsTracker). */
  namespacesOnlyWithItems: boolean;
  /** Names in the filters no API serves (a CRD may be installed later): warnings in the results, not errors. */
  warnings: string[];
}

/** Something that could not be backed up, or should be known about: one line of the results. */
export interface ItemProblem {
  level: 'error' | 'warning';
  /** groupResource, or undefined for a problem of the whole backup (a group discovery could not read). */
  resource?: string;
  /** "" for cluster-scoped objects; undefined when the problem is not about one namespace. */
  namespace?: string;
  name?: string;
  /** What Lifeboat was doing, and the API's reason (RBAC denied, not found, conversion error) in its own words. */
  message: string;
}

/** Live counters of a running backup: heartbeat details, the progress signal and the CLI's progress line. */
export interface ResourceBackupCounters {
  resourcesDone: number;
  resourcesTotal: number;
  /** The resource being listed now. */
  current?: string;
  items: number;
  /** Bytes of the archive as stored (after gzip and encryption). */
  bytes: number;
  warnings: number;
  errors: number;
}

/** The counters of a backup that has done nothing yet: where the workflow's progress and each attempt start. */
export function zeroCounters(): ResourceBackupCounters {
  return { resourcesDone: 0, resourcesTotal: 0, items: 0, bytes: 0, warnings: 0, errors: 0 };
}
