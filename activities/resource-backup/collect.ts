import type {
  Discovery,
  ItemProblem,
  ListingPlan,
  ResourceBackupCounters,
  ResourceToList,
} from '../../core/resources/model.js';
import { apiVersionOf, groupResource, type ApiResource } from '../../core/resources/model.js';
import {
  isCustomResource,
  itemVerdict,
  matchesSelectors,
  mayBringRelated,
  namespaceKept,
  relatedClusterItem,
} from '../../core/resources/items.js';
import {
  CUSTOM_RESOURCE_DEFINITIONS,
  EXCLUSION_SELECTOR,
  NAMESPACES,
  PERSISTENT_VOLUMES,
  resourceFilterAllows,
  type ResourceFilters,
} from '../../core/resources/selection.js';
import { ApiError, type ClusterApi } from '../kube/cluster-api.js';
import {
  apiReason,
  getItem,
  listPages,
  parseItem,
  resourcePath,
  type ListedItem,
  type ListRequest,
} from '../kube/list-pages.js';
import type { ArchiveWriter } from './archive.js';

/**
 * The archive's content, in Velero's order, as a stream of tar chunks (one per listed page): every resource the plan
 * lists, page by page; then the cluster-scoped objects backed-up objects need (the PV of each bound PVC, the CRD of
 * each custom resource type with objects), as Velero appends them; and the Namespace objects last, once it is known
 * which namespaces held objects (Velero's nsTracker). Pulled by the upload: nothing is listed faster than it is stored.
 */

/** The API stopped answering while the archive was being written (listPages throws nothing else). */
export class ApiUnreachable extends Error {
  override name = 'ApiUnreachable';
  constructor(override readonly cause: unknown) {
    super(apiReason(cause));
  }
}

export interface Collected {
  /** Objects written per groupResource. */
  counts: Record<string, number>;
}

export interface CollectOptions {
  api: ClusterApi;
  plan: ListingPlan;
  discovery: Discovery;
  filters: ResourceFilters;
  /** Forms the tar stream; its chunks come back to it once compressed (ArchiveWriter.release). */
  writer: ArchiveWriter;
  signal: AbortSignal;
  /** Updated as objects are written (resource N of M, items); read by the heartbeat and the progress signal. */
  counters: ResourceBackupCounters;
  onProblem: (problem: ItemProblem) => void;
  /** Objects of a resource to leave out by label (an ACM hub's local-cluster ManagedCluster). */
  excludedItems?: { resource: string; labelSelector: string }[];
  /** Each object written, for the resource list. */
  onItem: (object: ListedItem['object']) => void;
  /** Called once the last entry is out. */
  done: (collected: Collected) => void;
}

async function* pages(api: ClusterApi, req: ListRequest) {
  try {
    yield* listPages(api, req);
  } catch (err) {
    if (req.signal?.aborted) throw err;
    throw new ApiUnreachable(err);
  }
}

function served(discovery: Discovery, name: string): ApiResource | undefined {
  return discovery.resources.find((r) => groupResource(r) === name);
}

export async function* collectObjects(o: CollectOptions): AsyncGenerator<Buffer> {
  const { api, plan, counters, signal } = o;
  const { writer } = o;
  const counts: Record<string, number> = {};
  const namespacesWithItems = new Set<string>();
  const volumes = new Set<string>();
  const definitions = new Set<string>();
  const withVolumes =
    plan.relatedClusterItems && resourceFilterAllows(o.discovery.resources, o.filters, PERSISTENT_VOLUMES);
  const withDefinitions =
    plan.relatedClusterItems && resourceFilterAllows(o.discovery.resources, o.filters, CUSTOM_RESOURCE_DEFINITIONS);

  const written = (name: string, items: ListedItem[]) => {
    counts[name] = (counts[name] ?? 0) + items.length;
    counters.items += items.length;
    for (const item of items) {
      const { object } = item;
      o.onItem(object);
      if (object.metadata?.namespace) namespacesWithItems.add(object.metadata.namespace);
      // Only a claim brings a cluster-scoped object along, and only then is the whole object read.
      if (withVolumes && mayBringRelated(name)) {
        const related = relatedClusterItem(name, parseItem(item));
        if (related) volumes.add(related.name);
      }
    }
  };

  /** Lists one planned resource (per namespace and per selector, as planned) and yields its entries page by page. */
  async function* resource(target: ResourceToList): AsyncGenerator<Buffer> {
    const namespaceObjects = target.name === NAMESPACES;
    // Namespace objects are decided by namespaceKept (a namespace the filter selects is kept whether or not the
    // selector matches it), so they are listed without the policy's selectors.
    const selectors = namespaceObjects ? [EXCLUSION_SELECTOR] : plan.selectors;
    const scopes = target.scope && !target.scope.all ? target.scope.namespaces : [undefined];
    // OR selectors may list an object twice: its uid is remembered for this resource only.
    const seen = selectors.length > 1 ? new Set<string>() : undefined;
    const dropped = (o.excludedItems ?? []).filter((e) => e.resource === target.name).map((e) => e.labelSelector);
    for (const namespace of scopes) {
      for (const labelSelector of selectors) {
        for await (const event of pages(api, { resource: target.resource, namespace, labelSelector, signal })) {
          if ('problem' in event) {
            o.onProblem(event.problem);
            continue;
          }
          const kept = event.items.filter(
            ({ object }) =>
              itemVerdict(object, plan, seen) === 'keep' &&
              (dropped.length === 0 || !matchesSelectors(dropped, object.metadata?.labels)) &&
              (!namespaceObjects || namespaceKept(object, plan, namespacesWithItems)),
          );
          if (kept.length === 0) continue;
          written(target.name, kept);
          yield* writer.entries(target.name, target.resource.version, kept);
        }
      }
    }
    if (withDefinitions && isCustomResource(target.resource) && (counts[target.name] ?? 0) > 0)
      definitions.add(target.name);
  }

  /**
   * One related cluster-scoped object by name. Not found is a warning for a PV (its PVC is in the backup without
   * it) and nothing for a CRD (an aggregated API's group has none; Velero's backupCRD skips it silently).
   */
  async function* related(
    r: ApiResource | undefined,
    name: string,
    missing: 'warning' | 'skip',
  ): AsyncGenerator<Buffer> {
    if (!r) return;
    const gr = groupResource(r);
    let item: ListedItem;
    try {
      item = await getItem(api, resourcePath(r, undefined, name), apiVersionOf(r), r.kind, signal);
    } catch (err) {
      if (!(err instanceof ApiError)) {
        if (signal.aborted) throw err;
        throw new ApiUnreachable(err);
      }
      if (err.status === 404 && missing === 'skip') return;
      o.onProblem({
        level: err.status === 404 ? 'warning' : 'error',
        resource: gr,
        namespace: '',
        name,
        message: `reading ${gr} ${name}, which a backed-up object needs, failed: ${apiReason(err)}`,
      });
      return;
    }
    if (itemVerdict(item.object, plan) !== 'keep') return;
    written(gr, [item]);
    yield* writer.entries(gr, r.version, [item]);
  }

  yield* writer.begin();
  const namespacesEntry = plan.resources.find((r) => r.name === NAMESPACES);
  let index = 0;
  for (const target of plan.resources) {
    if (target === namespacesEntry) continue;
    counters.resourcesDone = index++;
    counters.current = target.name;
    yield* resource(target);
  }
  // Related objects are written once, and never twice: they are only looked up when their resource is not listed.
  const listed = new Set(plan.resources.map((r) => r.name));
  if (!listed.has(PERSISTENT_VOLUMES)) {
    counters.current = PERSISTENT_VOLUMES;
    const pv = served(o.discovery, PERSISTENT_VOLUMES);
    for (const name of [...volumes].sort()) yield* related(pv, name, 'warning');
  }
  if (!listed.has(CUSTOM_RESOURCE_DEFINITIONS)) {
    counters.current = CUSTOM_RESOURCE_DEFINITIONS;
    const crd = served(o.discovery, CUSTOM_RESOURCE_DEFINITIONS);
    for (const name of definitions) yield* related(crd, name, 'skip');
  }
  if (namespacesEntry) {
    counters.resourcesDone = index++;
    counters.current = NAMESPACES;
    yield* resource(namespacesEntry);
  }
  counters.resourcesDone = index;
  delete counters.current;
  yield* writer.end();
  o.done({ counts });
}
