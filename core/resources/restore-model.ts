/**
 * The vocabulary of a resource restore, shared by the pure decisions (core/resources/restore-plan.ts: what is
 * restored and in which order; core/resources/restore-object.ts: what each object becomes and how it compares with
 * the one in the cluster) and the adapters that read the archive and write to the target API. Plain data only:
 * everything here travels through Temporal as JSON.
 */

/** What to do with an object that already exists in the target (Velero's existingResourcePolicy). */
export type ExistingResourcePolicy = 'none' | 'update';

/** Original namespace → namespace in the target. Namespaces not named keep their name. */
export type NamespaceMapping = Record<string, string>;

/** The filters of a restore, with Velero's semantics, evaluated on the backed-up (original) names. */
export interface RestoreFilters {
  /** Namespace globs; empty or ['*'] means every namespace. */
  includedNamespaces: string[];
  excludedNamespaces: string[];
  /** Resource names as kubectl knows them, resolved against the backup's resources; empty or ['*'] means all. */
  includedResources: string[];
  excludedResources: string[];
  /** Velero's tri-state (see core/resources/selection.ts for the backup's): undefined, true or false. */
  includeClusterResources?: boolean;
  /** Kubernetes selector syntax, ANDed; or OR-ed selectors. At most one of the two. */
  labelSelector?: string;
  orLabelSelectors?: string[];
}

export interface RestoreOptions {
  filters: RestoreFilters;
  namespaceMapping: NamespaceMapping;
  existingResourcePolicy: ExistingResourcePolicy;
  /** groupResources whose saved status is written back (Velero's restoreStatus.includedResources); '*' for all. */
  restoreStatus: string[];
  /** Keep Services' node ports as backed up, instead of letting the API allocate new ones. */
  preserveNodePorts: boolean;
}

/** One object of the backup, as the archive names it (core/velero/archive-paths.ts parseItemPath). */
export interface BackupItemRef {
  /** Velero's name: `configmaps`, `deployments.apps`. */
  groupResource: string;
  /** Undefined for a cluster-scoped object. The namespace in the backup, before any mapping. */
  namespace?: string;
  name: string;
}

/** Why a whole resource, or one item, is not restored. Stable codes for tables and tests; `reason` for people. */
export type SkipCode =
  /** Velero's nonRestorableResources (nodes, events, ...): never restored, by any filter. */
  | 'never-restored'
  /** A controller makes it again from its owner (an owned Pod or ReplicaSet, a token Secret, ...). */
  | 'recreated-by-controller'
  /** A finished Pod or Job: restoring it would run it again. */
  | 'completed'
  /** Left out by the restore's filters. */
  | 'filtered'
  /** The target serves no version of its kind. */
  | 'not-served';

export interface Skip {
  code: SkipCode;
  reason: string;
}

/** One entry of the restore order: a resource, where it stands and why, with the items it restores. */
export interface RestoreStep {
  groupResource: string;
  /** Why the resource is restored at this point of the order (a priority's reason, "after its CRD", ...). */
  reason: string;
  /** Wait for every restored CRD of this step to be Established with its names accepted, then refresh discovery. */
  waitForEstablished?: boolean;
}

/** What became of one item: the results a person reads, and the restore's outcome counts. */
export type ItemOutcome = 'created' | 'unchanged' | 'updated' | 'skipped' | 'failed';

export interface ItemResult extends BackupItemRef {
  outcome: ItemOutcome;
  /** The namespace it was restored into, when mapped. */
  targetNamespace?: string;
  /** For skipped, failed, and updated or different items: why, in the API's or the plan's words. */
  reason?: string;
}
