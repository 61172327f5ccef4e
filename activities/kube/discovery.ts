import type { ApiResource, Discovery, KubernetesVersion } from '../../core/resources/model.js';
import type { ClusterApi } from './cluster-api.js';

/**
 * What the API serves, the way Velero's discovery helper sees it (client-go's ServerPreferredResources): every group's
 * resources at the group's preferred version, and a resource that only an older version serves at the first version
 * that does; subresources dropped; CRDs are groups like any other. A group-version whose discovery fails (an
 * aggregated API whose backend is down) is reported in failedGroups, never thrown: the rest of the cluster is still
 * worth a backup. Only /version, /api and /apis failing (the API itself unreachable) throws.
 *
 * Aggregated discovery (one request for all groups, Kubernetes >= 1.27 by default) is asked for first; a server that
 * answers with the plain group list gets one request per group-version.
 */

/** apidiscovery.k8s.io/v2 (GA in 1.30); the plain list as the fallback, which every server understands. */
const AGGREGATED_ACCEPT = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';
/** Group-versions fetched at once on the fallback path. */
const DISCOVERY_CONCURRENCY = 8;

interface AggregatedResource {
  resource: string;
  responseKind?: { group?: string; version?: string; kind?: string };
  scope: 'Cluster' | 'Namespaced';
  singularResource?: string;
  verbs?: string[];
  shortNames?: string[];
}

interface AggregatedGroup {
  metadata?: { name?: string };
  versions?: { version: string; resources?: AggregatedResource[]; freshness?: 'Current' | 'Stale' }[];
}

interface GroupList {
  kind?: string;
  /** APIGroupDiscoveryList's groups. */
  items?: AggregatedGroup[];
  /** APIGroupList's groups. */
  groups?: { name?: string; versions?: { version: string }[]; preferredVersion?: { version: string } }[];
  /** /api's plain answer (APIVersions). */
  versions?: unknown[];
}

interface ApiResourceList {
  resources?: {
    name: string;
    singularName?: string;
    namespaced: boolean;
    kind: string;
    verbs?: string[];
    shortNames?: string[];
  }[];
}

/** One group's versions in preference order, each with its resources once known. */
interface GroupVersions {
  group: string;
  versions: { version: string; resources: ApiResource[] | undefined; error?: string }[];
}

function fromAggregated(group: string, version: string, r: AggregatedResource): ApiResource {
  return {
    group,
    version,
    resource: r.resource,
    kind: r.responseKind?.kind ?? '',
    namespaced: r.scope === 'Namespaced',
    shortNames: r.shortNames ?? [],
    singularName: r.singularResource ?? '',
    verbs: r.verbs ?? [],
  };
}

function aggregatedGroups(list: GroupList): GroupVersions[] {
  return (list.items ?? []).map((g) => ({
    group: g.metadata?.name ?? '',
    versions: (g.versions ?? []).map((v) =>
      v.freshness === 'Stale'
        ? {
            version: v.version,
            resources: undefined,
            error: 'its discovery document is stale (the API is unavailable)',
          }
        : {
            version: v.version,
            resources: (v.resources ?? []).map((r) => fromAggregated(g.metadata?.name ?? '', v.version, r)),
          },
    ),
  }));
}

function fromList(group: string, version: string, list: ApiResourceList): ApiResource[] {
  return (list.resources ?? [])
    .filter((r) => !r.name.includes('/'))
    .map((r) => ({
      group,
      version,
      resource: r.name,
      kind: r.kind,
      namespaced: r.namespaced,
      shortNames: r.shortNames ?? [],
      singularName: r.singularName ?? '',
      verbs: r.verbs ?? [],
    }));
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The plain documents' group-versions, the preferred version first (ServerPreferredResources lets it win). */
function plainVersions(
  core: GroupList | undefined,
  apis: GroupList | undefined,
): { group: string; versions: string[] }[] {
  return [
    ...(core ? [{ group: '', versions: (core.versions ?? []).filter((v): v is string => typeof v === 'string') }] : []),
    ...(apis?.groups ?? []).map((g) => {
      const all = (g.versions ?? []).map((v) => v.version);
      const first = g.preferredVersion?.version;
      return { group: g.name ?? '', versions: first ? [first, ...all.filter((v) => v !== first)] : all };
    }),
  ];
}

/** The plain path: one resource list per group-version; one that fails is kept with its error. */
async function fetchGroups(
  api: ClusterApi,
  groups: { group: string; versions: string[] }[],
  signal?: AbortSignal,
): Promise<GroupVersions[]> {
  const jobs = groups.flatMap((g) => g.versions.map((version) => ({ group: g.group, version })));
  const lists = await mapLimit(jobs, DISCOVERY_CONCURRENCY, async ({ group, version }) => {
    const path = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
    try {
      return { resources: fromList(group, version, await api.get<ApiResourceList>(path, { signal })) };
    } catch (err) {
      return { resources: undefined, error: (err as Error).message };
    }
  });
  let index = 0;
  return groups.map((g): GroupVersions => ({
    group: g.group,
    versions: g.versions.map((version) => ({ version, ...lists[index++]! })),
  }));
}

/** ServerPreferredResources' choice: per group-resource, the first version (preferred first) that serves it. */
function preferred(groups: GroupVersions[]): Discovery['resources'] {
  const resources: ApiResource[] = [];
  for (const g of groups) {
    const seen = new Set<string>();
    for (const v of g.versions) {
      for (const r of v.resources ?? []) {
        if (r.resource.includes('/') || seen.has(r.resource)) continue;
        seen.add(r.resource);
        resources.push(r);
      }
    }
  }
  return resources;
}

function isAggregated(list: GroupList): boolean {
  return list.kind === 'APIGroupDiscoveryList';
}

export async function discover(api: ClusterApi, signal?: AbortSignal): Promise<Discovery> {
  const [version, core, apis] = await Promise.all([
    api.get<Partial<KubernetesVersion>>('/version', { signal }),
    api.get<GroupList>('/api', { accept: AGGREGATED_ACCEPT, signal }),
    api.get<GroupList>('/apis', { accept: AGGREGATED_ACCEPT, signal }),
  ]);
  const [coreGroups, apisGroups] = await Promise.all([
    isAggregated(core) ? aggregatedGroups(core) : fetchGroups(api, plainVersions(core, undefined), signal),
    isAggregated(apis) ? aggregatedGroups(apis) : fetchGroups(api, plainVersions(undefined, apis), signal),
  ]);
  const groups = [...coreGroups, ...apisGroups];
  const failedGroups = groups.flatMap((g) =>
    g.versions
      .filter((v) => v.resources === undefined)
      .map((v) => ({
        groupVersion: g.group === '' ? v.version : `${g.group}/${v.version}`,
        error: v.error ?? 'unknown',
      })),
  );
  return {
    resources: preferred(groups),
    failedGroups,
    server: { gitVersion: version.gitVersion ?? '', major: version.major ?? '', minor: version.minor ?? '' },
  };
}
