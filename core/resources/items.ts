import { parseSelector, type SelectorRequirement } from '../config/filters.js';
import { EXCLUDE_FROM_BACKUP_LABELS, EXCLUDE_FROM_BACKUP_VALUE } from '../kube-metadata.js';
import type { ApiResource, ListingPlan } from './model.js';
import { EXCLUSION_SELECTOR, namespaceSelected, PERSISTENT_VOLUMES } from './selection.js';

/**
 * Per-item decisions while a backup lists (the listing plan is selection.ts): Velero's item inclusion checks
 * (item_backupper.go, in its order: exclude label, namespace, deletion), the OR selectors' duplicates, and the
 * cluster-scoped objects a backed-up object brings along. Pure; runs for every listed object, so it stays cheap.
 */

export type ItemVerdict = 'keep' | 'excluded-by-label' | 'being-deleted' | 'namespace-filtered' | 'duplicate';

/** The parts of a listed object the decisions read. */
export interface ListedObject {
  /** Read to recognise Namespace objects: LIST items of built-in types carry no kind, so set it (as archived) first. */
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    deletionTimestamp?: string;
  };
}

function isNamespaceObject(obj: ListedObject): boolean {
  return obj.kind === 'Namespace' && (obj.apiVersion === undefined || obj.apiVersion === 'v1');
}

/**
 * Whether a listed object goes into the archive. `seen` dedupes objects listed by several OR selectors (by uid); only
 * kept objects are added to it. The labels are checked even though every LIST excludes them server-side: a server
 * that ignored the selector must not leak an excluded object into the backup.
 */
export function itemVerdict(obj: ListedObject, plan: ListingPlan, seen?: Set<string>): ItemVerdict {
  const meta = obj.metadata ?? {};
  const labels = meta.labels ?? {};
  if (EXCLUDE_FROM_BACKUP_LABELS.some((key) => labels[key] === EXCLUDE_FROM_BACKUP_VALUE)) return 'excluded-by-label';
  // A Namespace object is filtered by its own name: it is the namespace. One the policy's selectors match is kept even
  // when the namespace filter leaves it out, as in Velero v1.18.3: nsTracker.init tracks the namespaces a selector
  // matches before it asks the namespace filter, and itemInclusionChecks applies that filter to namespaced items only.
  const namespaceObject = isNamespaceObject(obj);
  const namespace = namespaceObject ? meta.name : meta.namespace;
  if (
    namespace &&
    !namespaceSelected(plan.namespaces, namespace) &&
    !(namespaceObject && policySelectorsMatch(plan, labels))
  )
    return 'namespace-filtered';
  if (meta.deletionTimestamp) return 'being-deleted';
  if (seen && meta.uid) {
    if (seen.has(meta.uid)) return 'duplicate';
    seen.add(meta.uid);
  }
  return 'keep';
}

// ---------------------------------------------------------------------------------------------------------------------
// Namespace objects (Velero's nsTracker)

const parsedSelectors = new Map<string, SelectorRequirement[]>();

function requirementsOf(selector: string): SelectorRequirement[] {
  let requirements = parsedSelectors.get(selector);
  if (!requirements) {
    const parsed = parseSelector(selector);
    if (!parsed.ok) throw new Error(`the listing plan holds an invalid selector: ${parsed.error}`);
    requirements = parsed.requirements;
    parsedSelectors.set(selector, requirements);
  }
  return requirements;
}

function satisfies(labels: Record<string, string>, r: SelectorRequirement): boolean {
  const has = Object.hasOwn(labels, r.key);
  switch (r.operator) {
    case 'In':
      return has && r.values.includes(labels[r.key]!);
    case 'NotIn':
      return !has || !r.values.includes(labels[r.key]!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
  }
}

/** Whether the policy gave selectors and one matches (a plan's lone EXCLUSION_SELECTOR is not the policy's). */
function policySelectorsMatch(plan: ListingPlan, labels: Record<string, string>): boolean {
  return plan.selectors.some((s) => s !== EXCLUSION_SELECTOR) && matchesSelectors(plan.selectors, labels);
}

/** Whether labels match any of the plan's selectors, as the API server would match them. */
export function matchesSelectors(selectors: string[], labels: Record<string, string> | undefined): boolean {
  return selectors.some((s) => requirementsOf(s).every((r) => satisfies(labels ?? {}, r)));
}

/**
 * Whether a Namespace object that itemVerdict kept stays in the backup. With plan.namespacesOnlyWithItems (a selector
 * and the default namespace filter), only if the selector matches it or it holds a backed-up item; otherwise every
 * namespace the filter selects is kept, holding items or not, matched by the selector or not, and so is one outside
 * the filter that the selector matches (itemVerdict): the union Velero v1.18.3's nsTracker.init tracks. So the
 * `namespaces` resource is best listed with EXCLUSION_SELECTOR (selection.ts), not the policy's selectors.
 */
export function namespaceKept(obj: ListedObject, plan: ListingPlan, namespacesWithItems: ReadonlySet<string>): boolean {
  if (!plan.namespacesOnlyWithItems) return true;
  const name = obj.metadata?.name ?? '';
  return namespacesWithItems.has(name) || matchesSelectors(plan.selectors, obj.metadata?.labels);
}

// ---------------------------------------------------------------------------------------------------------------------
// Related cluster-scoped objects

function field(obj: unknown, ...path: string[]): unknown {
  let at: unknown = obj;
  for (const key of path) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

/**
 * The cluster-scoped object a backed-up object needs (when plan.relatedClusterItems): a bound PVC's PV, as Velero's
 * PVC backup action adds it (notes: includeClusterResources tri-state). Check resourceFilterAllows(..., PVs) first:
 * Velero leaves it out when the resource filters do.
 */
export function relatedClusterItem(
  resource: string,
  obj: unknown,
): { resource: typeof PERSISTENT_VOLUMES; name: string } | undefined {
  if (!mayBringRelated(resource)) return undefined;
  const volume = field(obj, 'spec', 'volumeName');
  if (field(obj, 'status', 'phase') !== 'Bound' || typeof volume !== 'string' || volume === '') return undefined;
  return { resource: PERSISTENT_VOLUMES, name: volume };
}

/** Whether objects of `resource` can bring a related cluster-scoped object along: only these are read whole. */
export const mayBringRelated = (resource: string) => resource === 'persistentvolumeclaims';

/**
 * The groups kube-apiserver serves itself, and the well-known aggregated ones (metrics): no CRD stands behind them.
 * Any other group is taken to be a CRD's; an aggregated API of another name is taken for one too, and its CRD is then
 * not found, which Velero's backupCRD skips silently, and so should the backup.
 */
const BUILT_IN_GROUPS = new Set([
  '',
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'apiregistration.k8s.io',
  'apps',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'autoscaling',
  'batch',
  'certificates.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
  'events.k8s.io',
  'extensions',
  'flowcontrol.apiserver.k8s.io',
  'internal.apiserver.k8s.io',
  'networking.k8s.io',
  'node.k8s.io',
  'policy',
  'rbac.authorization.k8s.io',
  'resource.k8s.io',
  'scheduling.k8s.io',
  'storage.k8s.io',
  'storagemigration.k8s.io',
  'metrics.k8s.io',
  'custom.metrics.k8s.io',
  'external.metrics.k8s.io',
]);

/**
 * Whether a resource is served by a CRD, whose CRD Velero adds at the end:
 * `customresourcedefinitions.apiextensions.k8s.io/<groupResource>` (the CRD's name is the groupResource).
 */
export function isCustomResource(resource: Pick<ApiResource, 'group'>): boolean {
  return !BUILT_IN_GROUPS.has(resource.group);
}
