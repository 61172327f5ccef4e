import { EXCLUDE_FROM_BACKUP_LABELS, EXCLUDE_FROM_BACKUP_VALUE, RESTORED_FROM_LABEL } from '../kube-metadata.js';
import { labelValue } from '../resources/restore-object.js';
import { BACKUP_LABEL, CREDENTIAL_LABELS } from './backup-selection.js';

/**
 * Which objects the cleanup after an ACM hub restore deletes (`--cleanup-before-restore restored|all`; the operator's
 * cleanupBeforeRestore, which despite its name runs after the restore: ../shared/research/acm-backup-notes.md 3.4).
 * A pure decision per live object; the activity lists and deletes. Not wired into a workflow yet (issue 15).
 *
 * "Restored by an earlier restore" is Lifeboat's `lifeboat.dev/restored-from` label, or Velero's
 * `velero.io/backup-name` on a hub an ACM operator restored before, so moving from the operator to Lifeboat cleans up
 * what the operator brought too.
 */

export type CleanupPart = 'credentials' | 'resources' | 'generic' | 'managed-clusters';

/** The backups this restore used, each with what its part of the cleanup looks at; a skipped type is absent. */
export interface CleanupScope {
  mode: 'restored' | 'all';
  credentials?: { backup: string };
  /** `resources`: the resources backup's included resources (group-resource names). */
  resources?: { backup: string; resources: string[] };
  /** `excludedResources`: the generic backup's excluded resources; every other resource is looked at. */
  generic?: { backup: string; excludedResources: string[] };
  managedClusters?: { backup: string; resources: string[] };
  /** Namespaces some backup left out (local-cluster, the hub's own): nothing in them is deleted. */
  protectedNamespaces: string[];
}

export interface LiveObject {
  groupResource: string;
  namespace?: string;
  name: string;
  labels: Record<string, string>;
}

export type CleanupDecision = { delete: true; part: CleanupPart; reason: string } | { delete: false };

const VELERO_BACKUP_NAME = 'velero.io/backup-name';
const ACTIVATION_VALUE = 'cluster-activation';
/** Kinds never deleted: shared by every cluster the hub manages, whichever backup brought them. */
const NEVER_DELETED = new Set(['clusterimagesets.hive.openshift.io', 'hiveconfigs.hive.openshift.io']);
const MANAGED_CLUSTERS = 'managedclusters.cluster.open-cluster-management.io';
const CREDENTIAL_RESOURCES = new Set(['secrets', 'configmaps']);

const KEEP: CleanupDecision = { delete: false };

/** The backup an earlier restore brought the object from, as its label says; undefined when none did. */
function restoredFrom(labels: Record<string, string>): string | undefined {
  return labels[RESTORED_FROM_LABEL] ?? labels[VELERO_BACKUP_NAME];
}

function fromCurrent(labels: Record<string, string>, backup: string): boolean {
  // Label values are cut to 63 characters (labelValue); Velero's label holds the name itself.
  const from = restoredFrom(labels);
  return from === labelValue(backup) || from === backup;
}

function protectedObject(object: LiveObject, scope: CleanupScope): boolean {
  const { labels } = object;
  if (NEVER_DELETED.has(object.groupResource)) return true;
  if (object.groupResource === MANAGED_CLUSTERS && labels['local-cluster'] === 'true') return true;
  if (object.namespace !== undefined && scope.protectedNamespaces.includes(object.namespace)) return true;
  if (EXCLUDE_FROM_BACKUP_LABELS.some((l) => labels[l] === EXCLUDE_FROM_BACKUP_VALUE)) return true;
  return labels['installer.name'] === 'multiclusterhub';
}

/**
 * Whether `object` is stale for `backup`: under `restored`, an earlier restore brought it from another backup; under
 * `all`, it did not come from this one, whoever made it.
 */
function stale(object: LiveObject, backup: string, mode: CleanupScope['mode']): string | undefined {
  if (fromCurrent(object.labels, backup)) return undefined;
  const from = restoredFrom(object.labels);
  if (from !== undefined) return `restored from ${from}, which is not ${backup}`;
  return mode === 'all' ? `not in ${backup} (cleanup all)` : undefined;
}

export function cleanupDecision(object: LiveObject, scope: CleanupScope): CleanupDecision {
  if (protectedObject(object, scope)) return KEEP;
  const { labels } = object;
  const backupLabel = labels[BACKUP_LABEL];
  // Without managed clusters restored, activation data stays: it belongs to the clusters this hub does not manage.
  const activationKept = scope.managedClusters === undefined && backupLabel === ACTIVATION_VALUE;

  if (scope.credentials && CREDENTIAL_RESOURCES.has(object.groupResource) && object.namespace !== undefined) {
    const credential = CREDENTIAL_LABELS.some((l) => labels[l] !== undefined);
    if (credential && !activationKept) {
      const why = stale(object, scope.credentials.backup, scope.mode);
      if (why) return { delete: true, part: 'credentials', reason: why };
    }
    return KEEP;
  }
  if (backupLabel !== undefined) {
    if (scope.generic && !scope.generic.excludedResources.includes(object.groupResource) && !activationKept) {
      const why = stale(object, scope.generic.backup, scope.mode);
      if (why) return { delete: true, part: 'generic', reason: why };
    }
    return KEEP;
  }
  for (const [part, of] of [
    ['managed-clusters', scope.managedClusters],
    ['resources', scope.resources],
  ] as const) {
    if (of && of.resources.includes(object.groupResource)) {
      const why = stale(object, of.backup, scope.mode);
      return why ? { delete: true, part, reason: why } : KEEP;
    }
  }
  return KEEP;
}

/** A typed backup's filters, as its manifest records them: what the cleanup's part for that type looks at. */
export interface CleanupSource {
  backup: string;
  filters: { includedResources: string[]; excludedResources: string[]; excludedNamespaces: string[] };
}

/** The cleanup's scope from the backups the restore used (each type's, when it was not skipped). */
export function cleanupScope(
  mode: CleanupScope['mode'],
  used: Partial<Record<'credentials' | 'resources' | 'generic' | 'managedClusters', CleanupSource>>,
): CleanupScope {
  const { credentials, resources, generic, managedClusters } = used;
  const protectedNamespaces = [
    ...new Set([resources, managedClusters].flatMap((s) => s?.filters.excludedNamespaces ?? [])),
  ].sort();
  return {
    mode,
    ...(credentials ? { credentials: { backup: credentials.backup } } : {}),
    ...(resources ? { resources: { backup: resources.backup, resources: resources.filters.includedResources } } : {}),
    ...(generic ? { generic: { backup: generic.backup, excludedResources: generic.filters.excludedResources } } : {}),
    ...(managedClusters
      ? { managedClusters: { backup: managedClusters.backup, resources: managedClusters.filters.includedResources } }
      : {}),
    protectedNamespaces,
  };
}

/** One LIST the cleanup makes: a resource, whole or only the objects a label selector picks. */
export interface CleanupList {
  groupResource: string;
  labelSelector?: string;
}

/**
 * The LISTs that find every object `cleanupDecision` could delete, over the resources the hub serves (those it can
 * list and delete): credentials by each credential label, the resources and managed-clusters kinds whole, and for
 * generic every other kind by the backup label. A resource listed whole is listed once.
 */
export function cleanupLists(scope: CleanupScope, served: readonly string[]): CleanupList[] {
  const selectors = new Map<string, Set<string | undefined>>();
  const add = (groupResource: string, labelSelector?: string) => {
    if (!served.includes(groupResource) || NEVER_DELETED.has(groupResource)) return;
    const set = selectors.get(groupResource) ?? new Set<string | undefined>();
    set.add(labelSelector);
    selectors.set(groupResource, set);
  };
  if (scope.credentials)
    for (const resource of CREDENTIAL_RESOURCES) for (const label of CREDENTIAL_LABELS) add(resource, label);
  for (const part of [scope.resources, scope.managedClusters]) for (const r of part?.resources ?? []) add(r);
  if (scope.generic) {
    for (const r of served)
      if (!scope.generic.excludedResources.includes(r) && !CREDENTIAL_RESOURCES.has(r)) add(r, BACKUP_LABEL);
  }
  return [...selectors.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([groupResource, set]) =>
      set.has(undefined)
        ? [{ groupResource }]
        : [...set].sort().map((labelSelector) => ({ groupResource, labelSelector: labelSelector! })),
    );
}
