import type { temporal } from '@temporalio/proto';
import { clusterApiFor } from '../../activities/kube/cluster-api.js';
import { hubNamespaces } from '../../activities/acm/hub-backup.js';
import { discover } from '../../activities/kube/discovery.js';
import { resourcePath } from '../../activities/kube/list-pages.js';
import { gzipMembers } from '../../activities/storage/gzip-members.js';
import {
  ACM_BACKUP_TYPES,
  acmSelection,
  type AcmBackupType,
  type AcmSelection,
} from '../../core/acm/backup-selection.js';
import { DEFAULT_SCHEDULE_NAMESPACE } from '../../core/acm/backup-schedule.js';
import { NEVER_RESTORED_BY_ACM } from '../../core/acm/restore-plan.js';
import { clusterSchema } from '../../core/config/schema.js';
import { groupResource, type ApiResource, type ListingPlan } from '../../core/resources/model.js';
import { appliedFilters, namespaceSelected, planListing, type LiveNamespace } from '../../core/resources/selection.js';
import type { HubObject } from './acm-hub-load.js';
import type { RawApi } from './resource-load.js';

/**
 * The floor of an ACM hub backup and restore (bench/acm-hub.ts), and Velero's selection of the same objects.
 * The typed backups' listing plans are computed with Lifeboat's own pure planning code from the hub's discovery, as
 * the backup plans them (activities/acm/hub-backup.ts planHubBackup: acmSelection; activities/resource-backup:
 * planListing), before any timing: the floor then issues exactly those LISTs (each resource, in each planned namespace
 * or cluster-wide, once per selector, paged) with a plain HTTPS client, gzips every page as the archive is gzipped and
 * throws it away, as bench/lib/resource-load.ts listFloor does.
 */

export interface TypedPlan {
  type: AcmBackupType;
  selection: AcmSelection;
  plan: ListingPlan;
}

/** The hub's typed plans, as an ACM backup of it would plan them now (the same discovery, namespaces, filters). */
export async function planTypedBackups(kubeconfig: string, api: RawApi): Promise<TypedPlan[]> {
  const cluster = await clusterApiFor(clusterSchema.parse({ name: 'bench-floor', api: { kubeconfig } }));
  try {
    const signal = new AbortController().signal;
    const discovery = await discover(cluster, signal);
    const hub = await hubNamespaces(cluster, discovery.resources, DEFAULT_SCHEDULE_NAMESPACE, signal);
    const namespaces = await liveNamespaces(api);
    const typed: TypedPlan[] = [];
    for (const type of ACM_BACKUP_TYPES) {
      const selection = acmSelection(type, discovery.resources, hub);
      if ((selection.filters.includedResources ?? []).length === 0) continue;
      typed.push({ type, selection, plan: planListing({ discovery, filters: selection.filters, namespaces }) });
    }
    return typed;
  } finally {
    await cluster.close();
  }
}

async function liveNamespaces(api: RawApi): Promise<LiveNamespace[]> {
  const res = await get(api, '/api/v1/namespaces');
  if (res.status !== 200) throw new Error(`LIST namespaces: ${res.status}`);
  const list = JSON.parse(res.body.toString('utf8')) as {
    items: { metadata: { name: string; labels?: Record<string, string> }; status?: { phase?: string } }[];
  };
  return list.items.map((n) => ({
    name: n.metadata.name,
    labels: n.metadata.labels ?? {},
    active: n.status?.phase === 'Active',
  }));
}

/** A GET, retried as Lifeboat's client retries (429 and 5xx: the API server shedding load, a CRD not served yet). */
async function get(api: RawApi, path: string): Promise<{ status: number; body: Buffer }> {
  for (let attempt = 0; ; attempt++) {
    const res = await api.send('GET', path);
    if ((res.status === 429 || res.status >= 500) && attempt < 20) {
      await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
      continue;
    }
    return res;
  }
}

interface ListedItem {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** Whether `labels` match a selector of `key=value` terms (the excludedItems the selection names). */
function matchesEquality(selector: string, labels: Record<string, string>): boolean {
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=');
    return k !== undefined && labels[k.trim()] === v?.trim();
  });
}

/**
 * One typed backup's LISTs, every page gzipped at `gzipLevel` and thrown away (the next page is asked for while the
 * current one is compressed, as the backup does); `onItem` sees every item the backup would keep (deduplicated by uid
 * across selectors, in selected namespaces, without the selection's excluded items). Returns the items kept.
 */
export async function listTyped(
  api: RawApi,
  typed: TypedPlan,
  pageSize: number,
  gzipLevel: number,
  onItem?: (resource: ApiResource, item: ListedItem) => void,
): Promise<number> {
  const seen = new Set<string>();
  const dedupe = typed.plan.selectors.length > 1;
  let kept = 0;
  async function* bodies(): AsyncGenerator<Buffer> {
    for (const target of typed.plan.resources) {
      const scopes = target.scope && !target.scope.all ? target.scope.namespaces : [undefined];
      const dropped = typed.selection.excludedItems
        .filter((e) => e.resource === target.name)
        .map((e) => e.labelSelector);
      for (const namespace of scopes) {
        const path = resourcePath(target.resource, namespace);
        for (const selector of typed.plan.selectors) {
          const page = (token?: string) =>
            get(
              api,
              `${path}?limit=${pageSize}&labelSelector=${encodeURIComponent(selector)}` +
                (token ? `&continue=${encodeURIComponent(token)}` : ''),
            );
          let next = page();
          for (;;) {
            const res = await next;
            if (res.status !== 200) throw new Error(`LIST ${path} (${selector}): ${res.status}`);
            const body = JSON.parse(res.body.toString('utf8')) as {
              metadata?: { continue?: string };
              items?: ListedItem[];
            };
            const token = body.metadata?.continue || undefined;
            if (token) next = page(token);
            for (const item of body.items ?? []) {
              const ns = item.metadata?.namespace;
              if (ns && namespace === undefined && !namespaceSelected(typed.plan.namespaces, ns)) continue;
              if (dropped.some((s) => matchesEquality(s, item.metadata?.labels ?? {}))) continue;
              if (dedupe) {
                const uid = item.metadata?.uid ?? '';
                if (seen.has(uid)) continue;
                seen.add(uid);
              }
              kept++;
              onItem?.(target.resource, item);
            }
            yield res.body;
            if (!token) break;
          }
        }
      }
    }
  }
  for await (const member of gzipMembers(bodies(), { level: gzipLevel })) void member;
  return kept;
}

/** What a plain client creates to restore an item: its body without what the API server sets. */
function restorable(resource: ApiResource, item: ListedItem): HubObject {
  const { metadata = {}, ...rest } = item;
  delete rest['status'];
  const { name, namespace, labels, annotations } = metadata;
  return {
    path: resourcePath(resource, namespace),
    body: {
      ...rest,
      // Items of a built-in kind's LIST carry no apiVersion and kind.
      apiVersion: resource.group ? `${resource.group}/${resource.version}` : resource.version,
      kind: resource.kind,
      metadata: {
        name,
        ...(namespace ? { namespace } : {}),
        ...(labels ? { labels } : {}),
        ...(annotations ? { annotations } : {}),
      },
    },
  };
}

/**
 * Every object the typed backups hold that the ACM restore restores (NEVER_RESTORED_BY_ACM left out), as a plain
 * client would create it, in the restore's order of types (credentials, resources, generic, managed clusters), and
 * the namespaces they need. Read from the hub, untimed.
 */
export async function restorableObjects(
  api: RawApi,
  typed: TypedPlan[],
  pageSize: number,
): Promise<{ namespaces: string[]; objects: HubObject[] }> {
  const order: AcmBackupType[] = ['credentials', 'resources', 'resources-generic', 'managed-clusters'];
  const objects: HubObject[] = [];
  const namespaces = new Set<string>();
  for (const type of order) {
    const t = typed.find((x) => x.type === type);
    if (!t) continue;
    await listTyped(api, t, pageSize, 1, (resource, item) => {
      if (NEVER_RESTORED_BY_ACM.includes(groupResource(resource))) return;
      if (item.metadata?.namespace) namespaces.add(item.metadata.namespace);
      objects.push(restorable(resource, item));
    });
  }
  return { namespaces: [...namespaces].sort(), objects };
}

/** The `velero backup create` selection flags of a typed backup: the same filters as Lifeboat's. */
export function veleroSelectionFlags(selection: AcmSelection): string[] {
  const f = appliedFilters(selection.filters);
  const flags: string[] = [];
  if (f.includedResources.length > 0) flags.push('--include-resources', f.includedResources.join(','));
  if (f.excludedResources.length > 0) flags.push('--exclude-resources', f.excludedResources.join(','));
  if (f.includedNamespaces.length > 0) flags.push('--include-namespaces', f.includedNamespaces.join(','));
  if (f.excludedNamespaces.length > 0) flags.push('--exclude-namespaces', f.excludedNamespaces.join(','));
  if (f.includeClusterResources !== null) flags.push(`--include-cluster-resources=${f.includeClusterResources}`);
  if (f.labelSelectors.length === 1) flags.push('--selector', f.labelSelectors[0]!);
  if (f.labelSelectors.length > 1) flags.push('--or-selector', f.labelSelectors.join(' or '));
  return flags;
}

const eventMs = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;

/** Each child workflow of a history in the order started: its id and seconds from initiated to closed. */
export function childTimeline(history: temporal.api.history.v1.IHistory): { workflowId: string; seconds: number }[] {
  const events = history.events ?? [];
  const initiated = new Map<string, { workflowId: string; at: number }>();
  const out: { workflowId: string; seconds: number }[] = [];
  for (const e of events) {
    const start = e.startChildWorkflowExecutionInitiatedEventAttributes;
    if (start) initiated.set(String(e.eventId), { workflowId: start.workflowId ?? '', at: eventMs(e.eventTime) });
    const closed =
      e.childWorkflowExecutionCompletedEventAttributes ??
      e.childWorkflowExecutionFailedEventAttributes ??
      e.childWorkflowExecutionTerminatedEventAttributes ??
      e.childWorkflowExecutionTimedOutEventAttributes ??
      e.childWorkflowExecutionCanceledEventAttributes;
    const from = closed ? initiated.get(String(closed.initiatedEventId ?? '')) : undefined;
    if (from) out.push({ workflowId: from.workflowId, seconds: (eventMs(e.eventTime) - from.at) / 1000 });
  }
  return out;
}
