import { formatSelector, parseSelector } from '../config/filters.js';
import { matchesSelectors } from './items.js';
import type { ApiResource } from './model.js';
import type { BackupItemRef, RestoreFilters, Skip } from './restore-model.js';
import { neverRestored, neverRestoredSkip } from './restore-skips.js';
import { globMatch, namespaceSelected, NAMESPACES, resolveResourceName } from './selection.js';

/**
 * A restore's filters with Velero's semantics (../shared/research/velero-resources-notes.md, section 4 "Per-item
 * flow", 1. Filters): resources resolved against what the backup holds, namespaces matched on the ORIGINAL
 * namespace, the includeClusterResources tri-state, and label selectors on the backed-up labels. Pure.
 */

/** The filters resolved against a backup: plain data (it travels in the plan to the activity that reads the archive). */
export interface RestoreSelection {
  /** The backup's groupResources the resource filters allow; never-restored ones are never in it. */
  resources: string[];
  namespaces: { included: string[]; excluded: string[] };
  /**
   * Which cluster-scoped objects come back: `all` (includeClusterResources true, or unset with the namespace filter
   * "everything"), `none` (false), or `related` (unset with a namespace filter): only those a restored object needs,
   * the PV of a restored bound claim and the CRD of a restored custom resource, as Velero's additional items.
   */
  clusterScoped: 'all' | 'none' | 'related';
  /** Label selectors in wire syntax, OR-ed; empty selects every object. */
  selectors: string[];
}

const GLOB = /[*?[]/;
const VERSION = /^v\d+((alpha|beta)\d+)?$/;

/** kubectl's guess of a kind's plural (its UnsafeGuessKindToResource, without "gatewaies"): for names only. */
export function guessPlural(kind: string): string {
  const lower = kind.toLowerCase();
  if (lower === 'endpoints') return lower;
  if (lower.endsWith('s') || lower.endsWith('x') || lower.endsWith('ch') || lower.endsWith('sh')) return `${lower}es`;
  if (lower.endsWith('y') && !/[aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}

function splitGroupResource(gr: string): { resource: string; group: string } {
  const dot = gr.indexOf('.');
  return dot < 0 ? { resource: gr, group: '' } : { resource: gr.slice(0, dot), group: gr.slice(dot + 1) };
}

/** Core first, `extensions` last, the rest by name: the group kubectl would pick for a bare name served twice. */
function groupRank(gr: string): string {
  const { group } = splitGroupResource(gr);
  return group === '' ? '0' : group === 'extensions' ? '2' : `1${group}`;
}

/**
 * The groupResources one filter name means in a restore (empty: none of the backup's; the name may still be valid for
 * the target). A glob is matched against the backup's groupResources; a groupResource of the backup is itself;
 * otherwise the target's discovery resolves it as kubectl would (short names, kinds), and without discovery the
 * backup's own names do: `deployments` (the one group holding it, core first), `deployments.v1.apps`, `Deployment`,
 * and last the never-restored resources' plurals and aliases (`leases`, `no`), so they are refused without discovery.
 */
export function resolveRestoreResource(name: string, backup: readonly string[], discovery?: ApiResource[]): string[] {
  if (GLOB.test(name)) return backup.filter((gr) => globMatch(name, gr));
  const lower = name.toLowerCase();
  if (backup.includes(lower)) return [lower];
  if (discovery) {
    const found = resolveResourceName(discovery, name);
    if (found.length > 0) return found;
  }
  const { resource, group } = splitGroupResource(lower);
  const candidates = (plural: string, inGroup?: string) =>
    backup
      .filter((gr) => {
        const parts = splitGroupResource(gr);
        return parts.resource === plural && (inGroup === undefined || parts.group === inGroup);
      })
      .sort((a, b) => (groupRank(a) < groupRank(b) ? -1 : groupRank(a) > groupRank(b) ? 1 : 0));
  const first = (found: string[]) => found.slice(0, 1);
  const { resource: version, group: rest } = splitGroupResource(group);
  const found =
    group === ''
      ? first(candidates(resource).concat(candidates(guessPlural(resource))))
      : VERSION.test(version) && rest !== ''
        ? first(candidates(resource, rest))
        : first(candidates(guessPlural(resource), group));
  const never = found.length === 0 ? neverRestored(lower) : undefined;
  return never ? [never.groupResource] : found;
}

/** The selectors of the filters, in wire syntax (labelSelector, or the OR-ed orLabelSelectors); throws on invalid ones. */
function wireSelectors(filters: RestoreFilters): string[] {
  const given =
    filters.orLabelSelectors && filters.orLabelSelectors.length > 0
      ? filters.orLabelSelectors
      : filters.labelSelector !== undefined
        ? [filters.labelSelector]
        : [];
  return [
    ...new Set(
      given.map((s) => {
        const parsed = parseSelector(s);
        if (!parsed.ok) throw new Error(`invalid label selector (validateRestoreOptions reports it): ${parsed.error}`);
        return formatSelector(parsed.requirements);
      }),
    ),
  ];
}

/** Velero's IncludeEverything: the namespace filter includes only `*` (or nothing) and excludes nothing. */
export function namespaceFilterIsEverything(filters: RestoreFilters): boolean {
  return filters.includedNamespaces.every((p) => p === '*') && filters.excludedNamespaces.length === 0;
}

/**
 * The filters resolved against the backup's groupResources. Call validateRestoreOptions first: invalid selectors
 * throw here. Names that mean nothing in the backup are warnings (Velero keeps them as they are).
 */
export function restoreSelection(
  filters: RestoreFilters,
  backup: readonly string[],
  discovery?: ApiResource[],
): { selection: RestoreSelection; warnings: string[] } {
  const warnings: string[] = [];
  const resolve = (field: 'includedResources' | 'excludedResources', name: string) => {
    const found = resolveRestoreResource(name, backup, discovery);
    if (!found.some((gr) => backup.includes(gr)) && !neverRestored(name))
      warnings.push(
        `${field}: "${name}" names nothing this backup holds; nothing is ${field === 'includedResources' ? 'restored' : 'excluded'} for it`,
      );
    return found;
  };
  const includes = filters.includedResources;
  const all = includes.length === 0 || includes.includes('*');
  const included = new Set(all ? backup : includes.flatMap((n) => resolve('includedResources', n)));
  const excluded = new Set(filters.excludedResources.flatMap((n) => resolve('excludedResources', n)));
  const icr = filters.includeClusterResources;
  return {
    selection: {
      resources: backup.filter((gr) => included.has(gr) && !excluded.has(gr) && !neverRestored(gr)),
      namespaces: {
        included: filters.includedNamespaces.length === 0 ? ['*'] : [...filters.includedNamespaces],
        excluded: [...filters.excludedNamespaces],
      },
      clusterScoped:
        icr === true || (icr === undefined && namespaceFilterIsEverything(filters))
          ? 'all'
          : icr === false
            ? 'none'
            : 'related',
      selectors: wireSelectors(filters),
    },
    warnings,
  };
}

const resourceSets = new WeakMap<RestoreSelection, Set<string>>();

function allowedResources(selection: RestoreSelection): Set<string> {
  let set = resourceSets.get(selection);
  if (!set) {
    set = new Set(selection.resources);
    resourceSets.set(selection, set);
  }
  return set;
}

export interface FilterContext {
  /** A cluster-scoped object a restored object needs (a bound claim's PV, a custom resource's CRD). */
  related?: boolean;
}

/**
 * Why the filters leave an item out, judged on its names alone (the selectors need its labels: itemFilterSkip), or
 * undefined. A Namespace object follows the namespace filter by its own name whatever includeClusterResources says:
 * Velero creates the namespace of every restored item from its backed-up Namespace object anyway, so restoring the
 * selected ones as a step gives the same namespaces, and empty selected ones too.
 */
export function nameFilterSkip(
  selection: RestoreSelection,
  ref: BackupItemRef,
  context: FilterContext = {},
): Skip | undefined {
  const never = neverRestored(ref.groupResource);
  if (never) return neverRestoredSkip(never);
  if (!allowedResources(selection).has(ref.groupResource))
    return { code: 'filtered', reason: `the resource filters leave out ${ref.groupResource}` };
  if (ref.groupResource === NAMESPACES) {
    return namespaceSelected(selection.namespaces, ref.name)
      ? undefined
      : { code: 'filtered', reason: `the namespace filter leaves out namespace ${ref.name}` };
  }
  if (ref.namespace !== undefined) {
    return namespaceSelected(selection.namespaces, ref.namespace)
      ? undefined
      : { code: 'filtered', reason: `the namespace filter leaves out namespace ${ref.namespace}` };
  }
  if (selection.clusterScoped === 'none')
    return { code: 'filtered', reason: 'cluster-scoped, and includeClusterResources is false' };
  if (selection.clusterScoped === 'related' && !context.related)
    return {
      code: 'filtered',
      reason:
        'cluster-scoped: with a namespace filter and includeClusterResources unset, only those a restored object needs come back (set includeClusterResources to restore them all)',
    };
  return undefined;
}

/**
 * Why the filters leave a backed-up object out, or undefined: nameFilterSkip, then the label selectors, which (as in
 * Velero) do not apply to related objects.
 */
export function itemFilterSkip(
  selection: RestoreSelection,
  ref: BackupItemRef,
  labels: Record<string, string> | undefined,
  context: FilterContext = {},
): Skip | undefined {
  const byName = nameFilterSkip(selection, ref, context);
  if (byName || context.related || selection.selectors.length === 0) return byName;
  return matchesSelectors(selection.selectors, labels)
    ? undefined
    : { code: 'filtered', reason: `its labels match no selector (${selection.selectors.join(' or ')})` };
}

/** Whether the filters restore a backed-up object (itemFilterSkip finds nothing against it). */
export function itemSelected(
  selection: RestoreSelection,
  ref: BackupItemRef,
  labels: Record<string, string> | undefined,
  context: FilterContext = {},
): boolean {
  return itemFilterSkip(selection, ref, labels, context) === undefined;
}
