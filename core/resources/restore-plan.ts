import { isCustomResource } from './items.js';
import { groupResource as groupResourceOf, type ApiResource } from './model.js';
import type { BackupItemRef, RestoreOptions, RestoreStep, Skip } from './restore-model.js';
import { restoreOrder } from './restore-order.js';
import { guessPlural, nameFilterSkip, restoreSelection, type RestoreSelection } from './restore-filters.js';
import { mappedNamespace, type RestoreOptionIssue } from './restore-options.js';
import { nameSkip, neverRestored, neverRestoredSkip } from './restore-skips.js';
import { CUSTOM_RESOURCE_DEFINITIONS, NAMESPACES, PERSISTENT_VOLUMES } from './selection.js';

/**
 * The plan of a resource restore (issue 14, step 1): from the backup's resource list and the request's options to
 * the ordered steps with the items each restores, and what is skipped and why, decided from names alone. What needs
 * an object's JSON (owned Pods, completed Jobs, the PV of a restored claim, the label selectors) is decided while the
 * archive is read, by itemSkip (restore-skips.ts) and itemFilterSkip (restore-filters.ts) with the plan's selection.
 * Pure; the result is plain data.
 */

/** A backup's items by groupResource: `<namespace>/<name>`, or `<name>` for cluster-scoped ones. */
export type BackupContents = Record<string, string[]>;

/** What resolves a resource list's `<apiVersion>/<Kind>` keys to the archive's groupResources. */
export interface KindHints {
  /** Any discovery that knows the kind: the target's, or one built from the backup's CRDs. */
  discovery?: ApiResource[];
  /** groupResources the backup is known to hold: a Lifeboat manifest's counts, or the archive's directories. */
  groupResources?: readonly string[];
}

const CRD_KEY = /^apiextensions\.k8s\.io\/[^/]+\/CustomResourceDefinition$/;

/**
 * A resource list (core/velero/resource-list.ts parseResourceList: `apps/v1/Deployment` to its items) by
 * groupResource. The kind's resource is the discovery's; else the plural kubectl would guess, confirmed by the hints
 * or the backup's own CRDs (a CRD is named `<plural>.<group>`); else the guess alone, which for a custom kind is listed
 * in `guessed` (the archive may name it otherwise: give the hints). Items of one resource under several versions are merged.
 */
export function backupContents(
  resourceList: Record<string, string[]>,
  hints: KindHints = {},
): { contents: BackupContents; guessed: { key: string; groupResource: string }[] } {
  const known = new Set(hints.groupResources ?? []);
  for (const [key, names] of Object.entries(resourceList)) if (CRD_KEY.test(key)) names.forEach((n) => known.add(n));
  const contents: BackupContents = {};
  const guessed: { key: string; groupResource: string }[] = [];
  for (const [key, names] of Object.entries(resourceList)) {
    const slash = key.lastIndexOf('/');
    const apiVersion = key.slice(0, slash);
    const kind = key.slice(slash + 1);
    const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
    const served = hints.discovery?.find((r) => r.group === group && r.kind === kind);
    let gr = served ? groupResourceOf(served) : groupResourceOf({ group, resource: guessPlural(kind) });
    if (!served && !known.has(gr)) {
      const lower = kind.toLowerCase();
      const sameGroup = [...known].filter((k) => {
        const dot = k.indexOf('.');
        return (dot < 0 ? '' : k.slice(dot + 1)) === group && k.startsWith(lower);
      });
      if (sameGroup.length === 1) gr = sameGroup[0]!;
      // The guess holds for every built-in kind (Endpoints aside, which guessPlural knows): only a custom one may differ.
      else if (isCustomResource({ group })) guessed.push({ key, groupResource: gr });
    }
    contents[gr] = [...new Set([...(contents[gr] ?? []), ...names])];
  }
  return { contents, guessed };
}

function itemRef(groupResource: string, entry: string): BackupItemRef {
  const slash = entry.indexOf('/');
  return slash < 0
    ? { groupResource, name: entry }
    : { groupResource, namespace: entry.slice(0, slash), name: entry.slice(slash + 1) };
}

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Cluster-scoped first, then by namespace and name: a deterministic order within a step (Velero's is random). */
function compareItems(a: BackupItemRef, b: BackupItemRef): number {
  if ((a.namespace === undefined) !== (b.namespace === undefined)) return a.namespace === undefined ? -1 : 1;
  return byCodePoint(a.namespace ?? '', b.namespace ?? '') || byCodePoint(a.name, b.name);
}

/** One step of the plan: a resource, why it comes there, and its items. */
export interface PlannedStep extends RestoreStep {
  /** Restored, in this order (each still subject to itemSkip and the label selectors as the archive is read). */
  items: BackupItemRef[];
  /**
   * Restored only if a restored object needs it (selection.clusterScoped `related`): the PersistentVolumes, each
   * restored when a restored claim is bound to it (items.ts relatedClusterItem on the claims of the
   * persistentvolumeclaims step, read before this step; itemFilterSkip with `related: true`, so no selector applies).
   */
  related: BackupItemRef[];
}

/** Items left out by the plan, grouped: a whole resource (no namespace, no name), one namespace of it, or one item. */
export interface PlannedSkip {
  groupResource: string;
  namespace?: string;
  name?: string;
  items: number;
  skip: Skip;
}

export interface RestorePlan {
  steps: PlannedStep[];
  skipped: PlannedSkip[];
  /** The resolved filters, for itemFilterSkip while the archive is read. */
  selection: RestoreSelection;
  /**
   * Every namespace the planned items are restored into, sorted by source. Each is ensured before the first namespaced
   * step (created from the backup's Namespace object, mapped, when it holds one, else blank), even when the filters
   * leave Namespace objects out: Velero ensures the namespace of every restored item so, with a GET per item.
   */
  namespaces: { source: string; target: string }[];
  counts: { backedUp: number; planned: number; related: number; skipped: number };
  /** Kinds resolved by a guess, filter names that mean nothing in the backup, mapped namespaces it does not hold. */
  warnings: string[];
  /**
   * Set when the plan restores nothing: the restore is refused (exit 2), naming what the backup holds. A filter that
   * selects nothing is almost always a typo, and a successful restore of nothing would hide it.
   */
  refusal?: RestoreOptionIssue;
}

export interface PlanRestoreInput {
  /** The backup's resource list, as parseResourceList reads it. */
  resourceList: Record<string, string[]>;
  options: RestoreOptions;
  /** The target's discovery: resolves short names in the filters and the list's kinds. */
  discovery?: ApiResource[];
  /** groupResources the backup holds (manifest counts, archive directories): confirm the list's kinds. */
  groupResources?: readonly string[];
}

class Skips {
  private readonly entries = new Map<string, PlannedSkip>();

  add(ref: Partial<BackupItemRef> & { groupResource: string }, skip: Skip, items = 1): void {
    const key = [ref.groupResource, ref.namespace ?? '', ref.name ?? '', skip.code, skip.reason].join('\0');
    const entry = this.entries.get(key);
    if (entry) entry.items += items;
    else
      this.entries.set(key, {
        groupResource: ref.groupResource,
        ...(ref.namespace !== undefined ? { namespace: ref.namespace } : {}),
        ...(ref.name !== undefined ? { name: ref.name } : {}),
        items,
        skip,
      });
  }

  list(): PlannedSkip[] {
    return [...this.entries.values()];
  }
}

function filterFlags(options: RestoreOptions): string {
  const f = options.filters;
  const set = [
    f.includedNamespaces.length > 0 && '--include-namespaces',
    f.excludedNamespaces.length > 0 && '--exclude-namespaces',
    f.includedResources.length > 0 && '--include-resources',
    f.excludedResources.length > 0 && '--exclude-resources',
    f.includeClusterResources !== undefined && '--include-cluster-resources',
    f.labelSelector !== undefined && '--selector',
    (f.orLabelSelectors ?? []).length > 0 && '--or-selector',
  ].filter((x): x is string => typeof x === 'string');
  return set.join(', ');
}

function describeContents(contents: BackupContents): string {
  const namespaces = new Set<string>();
  const resources = Object.keys(contents)
    .sort(byCodePoint)
    .map((gr) => {
      for (const entry of contents[gr]!) if (entry.includes('/')) namespaces.add(entry.slice(0, entry.indexOf('/')));
      return `${gr} (${contents[gr]!.length})`;
    });
  return `it holds ${resources.join(', ')}${namespaces.size > 0 ? `, in namespaces ${[...namespaces].sort(byCodePoint).join(', ')}` : ''}`;
}

/** The restore's plan: call validateRestoreOptions first (the selection throws on invalid selectors). */
export function planRestore(input: PlanRestoreInput): RestorePlan {
  const { options } = input;
  const { contents, guessed } = backupContents(input.resourceList, {
    ...(input.discovery ? { discovery: input.discovery } : {}),
    ...(input.groupResources ? { groupResources: input.groupResources } : {}),
  });
  const backup = Object.keys(contents).sort(byCodePoint);
  const { selection, warnings } = restoreSelection(options.filters, backup, input.discovery);
  warnings.unshift(
    ...guessed.map(
      (g) =>
        `resource list: the resource of ${g.key} is a guess (${g.groupResource}); its items are not found if the archive names it otherwise`,
    ),
  );
  const skips = new Skips();
  const planned = new Map<string, BackupItemRef[]>();
  const related = new Map<string, BackupItemRef[]>();

  // Everything but the CRDs first: a CRD is related (restored with a namespace filter) when its custom resources are.
  const withItems = new Set<string>();
  const decide = (gr: string, relatedCheck: (ref: BackupItemRef) => boolean) => {
    const entries = contents[gr]!;
    const never = neverRestored(gr);
    if (never || !selection.resources.includes(gr)) {
      const skip = never
        ? neverRestoredSkip(never)
        : { code: 'filtered' as const, reason: `the resource filters leave out ${gr}` };
      skips.add({ groupResource: gr }, skip, entries.length);
      return;
    }
    const items: BackupItemRef[] = [];
    const candidates: BackupItemRef[] = [];
    for (const entry of entries) {
      const ref = itemRef(gr, entry);
      const isRelated = ref.namespace === undefined && gr !== NAMESPACES && relatedCheck(ref);
      const skip = nameFilterSkip(selection, ref, { related: isRelated }) ?? nameSkip(ref);
      if (skip) {
        // Cluster-scoped and namespace-filtered items are grouped per resource and namespace, not listed one by one.
        const grouped = skip.code === 'filtered' && gr !== NAMESPACES;
        skips.add(grouped ? { groupResource: gr, ...(ref.namespace ? { namespace: ref.namespace } : {}) } : ref, skip);
      } else if (isRelated && gr === PERSISTENT_VOLUMES) candidates.push(ref);
      else items.push(ref);
    }
    if (items.length > 0) {
      planned.set(gr, items.sort(compareItems));
      withItems.add(gr);
    }
    if (candidates.length > 0) related.set(gr, candidates.sort(compareItems));
  };
  const relatedOn = selection.clusterScoped === 'related';
  for (const gr of backup) {
    if (gr === CUSTOM_RESOURCE_DEFINITIONS) continue;
    // A PV comes back with the restored claim bound to it, which only the claim's JSON tells.
    decide(gr, () => relatedOn && gr === PERSISTENT_VOLUMES && selection.resources.includes('persistentvolumeclaims'));
  }
  if (contents[CUSTOM_RESOURCE_DEFINITIONS]) {
    decide(
      CUSTOM_RESOURCE_DEFINITIONS,
      (ref) => relatedOn && withItems.has(ref.name) && isCustomResource(groupOf(ref.name)),
    );
  }

  const steps: PlannedStep[] = restoreOrder(backup)
    .filter((s) => planned.has(s.groupResource) || related.has(s.groupResource))
    .map((s) => ({ ...s, items: planned.get(s.groupResource) ?? [], related: related.get(s.groupResource) ?? [] }));

  const sources = new Set<string>();
  for (const step of steps) {
    for (const ref of step.items) {
      if (ref.namespace !== undefined) sources.add(ref.namespace);
      else if (ref.groupResource === NAMESPACES) sources.add(ref.name);
    }
  }
  const namespaces = [...sources]
    .sort(byCodePoint)
    .map((source) => ({ source, target: mappedNamespace(options.namespaceMapping, source) }));
  for (const source of Object.keys(options.namespaceMapping).sort(byCodePoint)) {
    if (!sources.has(source))
      warnings.push(`namespaceMapping: ${source} holds nothing this restore brings back; its entry changes nothing`);
  }

  const skipped = skips.list();
  const count = (list: BackupItemRef[][]) => list.reduce((n, l) => n + l.length, 0);
  const plannedCount = count(steps.map((s) => s.items));
  const relatedCount = count(steps.map((s) => s.related));
  const backedUp = Object.values(contents).reduce((n, names) => n + names.length, 0);
  const plan: RestorePlan = {
    steps,
    skipped,
    selection,
    namespaces,
    counts: {
      backedUp,
      planned: plannedCount,
      related: relatedCount,
      skipped: skipped.reduce((n, s) => n + s.items, 0),
    },
    warnings,
  };
  if (plannedCount + relatedCount === 0) {
    const flags = filterFlags(options);
    plan.refusal =
      backedUp === 0
        ? { field: 'backup', flag: '--backup', message: 'the backup holds no objects; choose another backup' }
        : flags === ''
          ? {
              field: 'backup',
              flag: '--backup',
              message: `the backup holds only resources that are never restored (${describeContents(contents)}); choose another backup`,
            }
          : {
              field: 'filters',
              flag: flags,
              message: `the filters select nothing of this backup to restore (${describeContents(contents)}); change ${flags}`,
            };
  }
  return plan;
}

function groupOf(groupResource: string): { group: string } {
  const dot = groupResource.indexOf('.');
  return { group: dot < 0 ? '' : groupResource.slice(dot + 1) };
}
