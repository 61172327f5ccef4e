import { formatSelector, selectorRequirements, type SelectorRequirement } from '../config/filters.js';
import type { LabelSelectorInput, ResourceBackupPolicy } from '../config/schema.js';
import { EXCLUDE_FROM_BACKUP_LABELS, EXCLUDE_FROM_BACKUP_VALUE } from '../kube-metadata.js';
import type { ResourceBackupManifest } from '../manifest.js';
import { groupResource, type ApiResource, type Discovery, type ListingPlan, type ResourceToList } from './model.js';

/**
 * What a resource backup lists: a pure function of the discovery, the policy's filters and the live namespaces, with
 * Velero v1.18's rules (../shared/research/velero-resources-notes.md, section 3 "Backup semantics"; the rule each
 * step follows is cited where it is not obvious). The per-item half of the decision is in items.ts.
 */

export type ResourceFilters = Pick<
  ResourceBackupPolicy,
  | 'includedNamespaces'
  | 'excludedNamespaces'
  | 'includedResources'
  | 'excludedResources'
  | 'includeClusterResources'
  | 'labelSelector'
  | 'orLabelSelectors'
>;

export interface LiveNamespace {
  name: string;
  labels: Record<string, string>;
  /** status.phase is Active (not Terminating): Velero expands globs against these only. */
  active: boolean;
}

/** The resource whose objects are the namespaces themselves: cluster-scoped, but it follows the namespace filter. */
export const NAMESPACES = 'namespaces';
export const PERSISTENT_VOLUMES = 'persistentvolumes';
export const CUSTOM_RESOURCE_DEFINITIONS = 'customresourcedefinitions.apiextensions.k8s.io';

/** What Velero needs of a resource to back it up and restore it (notes: Discovery). */
const REQUIRED_VERBS = ['list', 'create', 'get', 'delete'];

/** Velero excludes these always (they belong to its CSI snapshot machinery, notes: Default exclusions). */
export const AUTO_EXCLUDED_RESOURCES: readonly string[] = [
  'volumesnapshots.snapshot.storage.k8s.io',
  'volumesnapshotcontents.snapshot.storage.k8s.io',
];

/**
 * The same objects served by two groups ("cohabitating", notes: Discovery): the first group is the one Velero's order
 * reaches first, so it is the copy kept; the other is listed only when the filters drop the first.
 */
const COHABITATING: Record<string, readonly [string, string]> = {
  events: ['', 'events.k8s.io'],
  deployments: ['apps', 'extensions'],
  daemonsets: ['apps', 'extensions'],
  replicasets: ['apps', 'extensions'],
  networkpolicies: ['networking.k8s.io', 'extensions'],
};

// ---------------------------------------------------------------------------------------------------------------------
// Globs: Velero's `*`, `?` and `[...]` (gobwas/glob without separators, so `*` crosses dots); the schema has already
// refused the shapes Velero refuses (core/config/filters.ts).

const GLOB_CHARS = /[*?[]/;
const compiled = new Map<string, RegExp>();

function isGlob(pattern: string): boolean {
  return GLOB_CHARS.test(pattern);
}

function globRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    const close = ch === '[' ? pattern.indexOf(']', i + 1) : -1;
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else if (close > i) {
      source += `[${pattern.slice(i + 1, close).replace(/[\\^]/g, '\\$&')}]`;
      i = close;
    } else source += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** Whether a name matches a name or glob; compiled patterns are kept, as this runs for every listed object. */
export function globMatch(pattern: string, name: string): boolean {
  if (pattern === '*') return true;
  if (!isGlob(pattern)) return pattern === name;
  let re = compiled.get(pattern);
  if (!re) {
    re = globRegExp(pattern);
    compiled.set(pattern, re);
  }
  return re.test(name);
}

/** Glob match of a namespace against plan.namespaces (includes empty = all); excludes win. */
export function namespaceSelected(namespaces: ListingPlan['namespaces'], namespace: string): boolean {
  const included = namespaces.included.length === 0 || namespaces.included.some((p) => globMatch(p, namespace));
  return included && !namespaces.excluded.some((p) => globMatch(p, namespace));
}

// ---------------------------------------------------------------------------------------------------------------------
// Resource names

function unique(names: string[]): string[] {
  return [...new Set(names)];
}

/** The first resource `x` names, by kubectl's precedence: plural, then singular or kind, then short name. */
function named(candidates: ApiResource[], x: string): ApiResource | undefined {
  return (
    candidates.find((r) => r.resource === x) ??
    candidates.find((r) => r.singularName.toLowerCase() === x || r.kind.toLowerCase() === x) ??
    candidates.find((r) => r.shortNames.some((s) => s.toLowerCase() === x))
  );
}

/**
 * Resolves one filter name (plural, plural.group, plural.version.group, singular, short name, kind case-insensitively,
 * or a glob like `*`) against discovery, as kubectl/Velero would: every groupResource it names (empty: no API serves
 * it). Subresources (`pods/log`) name nothing. A bare name served by several groups is the first group's in Velero's
 * order (core first, `extensions` last: `deployments` is deployments.apps). A glob is matched against the groupResource (`deployments.apps`), case-sensitively, as Velero matches it.
 */
export function resolveResourceName(served: ApiResource[], name: string): string[] {
  const resources = groupOrder(served.filter((r) => !r.resource.includes('/')));
  if (isGlob(name)) return unique(resources.map(groupResource).filter((gr) => globMatch(name, gr)));
  const lower = name.toLowerCase();
  const bare = named(resources, lower);
  if (bare) return [groupResource(bare)];
  const dot = lower.indexOf('.');
  if (dot <= 0) return [];
  const x = lower.slice(0, dot);
  const group = lower.slice(dot + 1);
  const inGroup = named(
    resources.filter((r) => r.group === group),
    x,
  );
  if (inGroup) return [groupResource(inGroup)];
  const dot2 = group.indexOf('.');
  if (dot2 <= 0) return [];
  const version = group.slice(0, dot2);
  const versioned = named(
    resources.filter((r) => r.version === version && r.group === group.slice(dot2 + 1)),
    x,
  );
  return versioned ? [groupResource(versioned)] : [];
}

/** The twin of a cohabitating resource (`events` <-> `events.events.k8s.io`), if it is one. */
function cohabitant(name: string): string | undefined {
  const dot = name.indexOf('.');
  const resource = dot < 0 ? name : name.slice(0, dot);
  const group = dot < 0 ? '' : name.slice(dot + 1);
  const pair = COHABITATING[resource];
  if (!pair?.includes(group)) return undefined;
  const other = pair[0] === group ? pair[1] : pair[0];
  return groupResource({ group: other, resource });
}

interface ResourceFilter {
  allows(name: string): boolean;
}

/**
 * includedResources / excludedResources resolved through discovery (notes: Resource filters): none included or `*` =
 * all; excludes win. Excluding one copy of a cohabitating resource excludes its twin too: they are the same objects,
 * and Velero's `excludedResources: [events]` quietly backs them up again as events.events.k8s.io (an improvement).
 */
function resourceFilter(
  served: ApiResource[],
  backupable: ApiResource[],
  filters: ResourceFilters,
  warnings: string[],
): ResourceFilter {
  const includes = filters.includedResources ?? [];
  const all = includes.length === 0 || includes.includes('*');
  const resolve = (field: 'includedResources' | 'excludedResources', name: string): string[] => {
    const found = resolveResourceName(backupable, name);
    if (found.length > 0) return found;
    if (resolveResourceName(served, name).length > 0) {
      if (field === 'includedResources')
        warnings.push(
          `includedResources: "${name}" cannot be backed up: its API does not support all of ${REQUIRED_VERBS.join(', ')}; nothing is backed up for it`,
        );
    } else {
      warnings.push(
        `${field}: "${name}" is served by no API of this cluster (a CRD may be installed later); ${field === 'includedResources' ? 'nothing is backed up' : 'nothing is excluded'} for it`,
      );
    }
    return [];
  };
  const included = new Set(all ? [] : includes.flatMap((n) => resolve('includedResources', n)));
  const excluded = new Set<string>();
  for (const name of filters.excludedResources ?? []) {
    for (const gr of resolve('excludedResources', name)) {
      excluded.add(gr);
      const twin = cohabitant(gr);
      if (twin) excluded.add(twin);
    }
  }
  return { allows: (name) => !excluded.has(name) && (all || included.has(name)) };
}

/** Whether the resource filters alone allow a resource (no scope rules): for related cluster items such as PVs. */
export function resourceFilterAllows(resources: ApiResource[], filters: ResourceFilters, name: string): boolean {
  const served = resources.filter((r) => !r.resource.includes('/'));
  return resourceFilter(served, served.filter(backupableVerbs), filters, []).allows(name);
}

function backupableVerbs(r: ApiResource): boolean {
  return REQUIRED_VERBS.every((v) => r.verbs.includes(v));
}

// ---------------------------------------------------------------------------------------------------------------------
// Namespaces

interface NamespaceFilter {
  included: string[];
  excluded: string[];
  /** Velero's IncludeEverything: includes only `*`, no excludes. Decides the cluster-scoped default and nsTracker. */
  everything: boolean;
  /** Includes only `*`: one cluster-wide LIST per resource. */
  allNamespaces: boolean;
}

function excludeLabelled(labels: Record<string, string>): boolean {
  return EXCLUDE_FROM_BACKUP_LABELS.some((key) => labels[key] === EXCLUDE_FROM_BACKUP_VALUE);
}

/**
 * Namespaces labelled exclude-from-backup join the excludes before anything is decided, as Velero adds them to
 * spec.excludedNamespaces when the backup starts (notes: Default exclusions). As in Velero, such a namespace makes the
 * filter no longer "everything", so with includeClusterResources unset cluster-scoped resources are then not listed.
 */
function namespaceFilter(filters: ResourceFilters, live: LiveNamespace[], warnings: string[]): NamespaceFilter {
  const given = filters.includedNamespaces ?? [];
  const included = given.length === 0 ? ['*'] : unique(given);
  const labelled = live
    .filter((n) => excludeLabelled(n.labels))
    .map((n) => n.name)
    .sort();
  const excluded = unique([...(filters.excludedNamespaces ?? []), ...labelled]);
  const allNamespaces = included.every((p) => p === '*');
  const active = new Set(live.filter((n) => n.active).map((n) => n.name));
  for (const name of included) {
    if (!isGlob(name) && !active.has(name))
      warnings.push(
        `includedNamespaces: "${name}" is not an active namespace of this cluster; nothing is backed up from it`,
      );
  }
  return { included, excluded, everything: allNamespaces && excluded.length === 0, allNamespaces };
}

// ---------------------------------------------------------------------------------------------------------------------
// Selectors

const EXCLUSION: SelectorRequirement[] = EXCLUDE_FROM_BACKUP_LABELS.map((key) => ({
  key,
  operator: 'NotIn',
  values: [EXCLUDE_FROM_BACKUP_VALUE],
}));

/** The selector that only drops objects labelled exclude-from-backup (`!=` also matches objects without the label). */
export const EXCLUSION_SELECTOR = formatSelector(EXCLUSION);

/** The policy's selectors: orLabelSelectors win over labelSelector, as in Velero's listing (schema forbids both). */
function policySelectors(filters: ResourceFilters): LabelSelectorInput[] {
  if (filters.orLabelSelectors && filters.orLabelSelectors.length > 0) return filters.orLabelSelectors;
  return filters.labelSelector !== undefined ? [filters.labelSelector] : [];
}

function wireSelectors(filters: ResourceFilters): string[] {
  return unique(policySelectors(filters).map((s) => formatSelector(selectorRequirements(s))));
}

// ---------------------------------------------------------------------------------------------------------------------
// Order

function corePriority(resource: string): number {
  const i = ['pods', 'persistentvolumeclaims', 'persistentvolumes'].indexOf(resource);
  return i < 0 ? 3 : i;
}

/**
 * Groups as Velero's discovery helper orders them (notes: Discovery): the core group first (kube-apiserver serves it
 * first, said here so the order does not depend on how the adapter joins groups), `extensions` last, the others in
 * discovery order; each group's resources in discovery order.
 */
function groupOrder(resources: ApiResource[]): ApiResource[] {
  const groups = unique(resources.map((r) => r.group));
  const rank = (g: string) => (g === '' ? 0 : g === 'extensions' ? 2 : 1);
  return groups.sort((a, b) => rank(a) - rank(b)).flatMap((g) => resources.filter((r) => r.group === g));
}

/** Velero's processing order: groupOrder, and in the core group pods, PVCs, PVs, then the rest (its sortCoreGroup). */
function veleroOrder(resources: ApiResource[]): ApiResource[] {
  const ordered = groupOrder(resources);
  const core = ordered.filter((r) => r.group === '');
  return [
    ...core.sort((a, b) => corePriority(a.resource) - corePriority(b.resource)),
    ...ordered.filter((r) => r.group !== ''),
  ];
}

// ---------------------------------------------------------------------------------------------------------------------
// The plan

/** Pure: discovery + filters + the live namespaces -> what to list. */
export function planListing(input: {
  discovery: Discovery;
  filters: ResourceFilters;
  namespaces: LiveNamespace[];
}): ListingPlan {
  const { discovery, filters } = input;
  const warnings: string[] = [];
  const served = discovery.resources.filter((r) => !r.resource.includes('/'));
  const backupable = served.filter(backupableVerbs);
  const allowed = resourceFilter(served, backupable, filters, warnings);
  const ns = namespaceFilter(filters, input.namespaces, warnings);
  const icr = filters.includeClusterResources;
  // The tri-state (notes: includeClusterResources tri-state): true lists every cluster-scoped resource the filters
  // allow, false none (Namespace objects neither), unset only when the namespace filter is everything.
  const listClusterScoped = icr === true || (icr === undefined && ns.everything);
  const namespacedScope = (): ResourceToList['scope'] =>
    ns.allNamespaces
      ? // One cluster-wide LIST, its items in excluded namespaces dropped by itemVerdict: an improvement over Velero,
        // which LISTs every namespace separately once its globs are expanded (notes: Namespace filters), so a
        // full-cluster backup costs one request stream per resource, not one per resource and namespace.
        { all: true }
      : {
          all: false,
          namespaces: input.namespaces
            .filter((n) => n.active && namespaceSelected(ns, n.name))
            .map((n) => n.name)
            .sort(),
        };

  const resources: ResourceToList[] = [];
  let namespacesEntry: ResourceToList | undefined;
  const seenTwins = new Set<string>();
  for (const r of veleroOrder(backupable)) {
    const name = groupResource(r);
    if (AUTO_EXCLUDED_RESOURCES.includes(name) || !allowed.allows(name) || resources.some((x) => x.name === name))
      continue;
    if (name === NAMESPACES) {
      // Namespace objects follow the namespace filter and the selectors (items.ts), not the cluster-scoped default,
      // and are listed last, so the activity knows which namespaces held items before it lists them. But false means
      // none: in Velero v1.18.3 GlobalIncludesExcludes.ShouldInclude refuses every cluster-scoped type, namespaces
      // included, and itemCollector.getResourceItems asks it before collectNamespaces, so no Namespace object is
      // listed and the nsTracker never starts (the notes' "exception" is itemInclusionChecks', for Namespace objects a
      // plugin adds as additional items; no built-in action adds one, and Lifeboat has no plugins).
      if (icr !== false) namespacesEntry = { resource: r, name };
      continue;
    }
    if (!r.namespaced && !listClusterScoped) continue;
    // Velero marks a cohabitating resource seen only once it passed the filters: the first allowed copy wins.
    if (COHABITATING[r.resource]?.includes(r.group)) {
      if (seenTwins.has(r.resource)) continue;
      seenTwins.add(r.resource);
    }
    resources.push(r.namespaced ? { resource: r, name, scope: namespacedScope() } : { resource: r, name });
  }
  if (namespacesEntry) resources.push(namespacesEntry);

  const selectors = wireSelectors(filters);
  return {
    resources,
    selectors: selectors.length === 0 ? [EXCLUSION_SELECTOR] : selectors.map((s) => `${s},${EXCLUSION_SELECTOR}`),
    namespaces: { included: ns.included, excluded: ns.excluded },
    // Velero pulls in the PV of a bound PVC and the CRD of a custom resource type when cluster-scoped resources are
    // not listed wholesale, unless the resource filters leave them out (item_backupper's ShouldExclude, backupCRD).
    relatedClusterItems:
      icr === undefined &&
      !ns.everything &&
      (allowed.allows(PERSISTENT_VOLUMES) || allowed.allows(CUSTOM_RESOURCE_DEFINITIONS)),
    // Velero's nsTracker (issue #7105): with a selector and the default namespace filter, a Namespace object is kept
    // only if the selector matches it or it holds a backed-up item.
    namespacesOnlyWithItems: selectors.length > 0 && ns.everything,
    warnings,
  };
}

/** The filters as the manifest records them (ResourceBackupManifest['filters'], core/manifest.ts): as the policy
 * gives them, with the selectors in wire syntax and without the exclude-from-backup rules Lifeboat adds. */
export function appliedFilters(filters: ResourceFilters): ResourceBackupManifest['filters'] {
  return {
    includedNamespaces: [...(filters.includedNamespaces ?? [])],
    excludedNamespaces: [...(filters.excludedNamespaces ?? [])],
    includedResources: [...(filters.includedResources ?? [])],
    excludedResources: [...(filters.excludedResources ?? [])],
    includeClusterResources: filters.includeClusterResources ?? null,
    labelSelectors: wireSelectors(filters),
  };
}
