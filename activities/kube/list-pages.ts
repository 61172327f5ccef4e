import { setTimeout as sleep } from 'node:timers/promises';
import { apiVersionOf, groupResource, type ApiResource, type ItemProblem } from '../../core/resources/model.js';
import type { ListedObject } from '../../core/resources/items.js';
import { scanList, scanObject, type ScannedItem } from '../../core/resources/list-scan.js';
import { EXCLUSION_SELECTOR } from '../../core/resources/selection.js';
import { ApiError, type ClusterApi } from './cluster-api.js';

/**
 * A paged LIST of one resource (limit/continue, as client-go's pager does for Velero): cluster-wide or in one
 * namespace, with a label selector. It yields one page of items at a time, each its JSON as the server wrote it and
 * the fields the backup decides on (core/resources/list-scan.ts; nothing is parsed whole), and fetches the next page
 * while the caller works on the current one, so the API's time and the archive's overlap and at most two pages are in
 * memory.
 *
 * What the API refuses ends the listing with a problem (the resource, the namespace, the API's reason), never an
 * exception: a resource the identity may not list (403), one that went away (404, a CRD deleted meanwhile), one whose
 * objects fail conversion (500 after retries) is one line of the results, and the backup goes on. Only the API not
 * answering at all, after retries, throws: then the attempt fails and the activity's retry starts it again.
 *
 * An expired continue token (410, the listing took longer than etcd's compaction window) does not restart the
 * listing: the server's 410 carries a token to continue from, at a newer revision, so the listing goes on from where
 * it was, with a warning that this resource's objects are not one consistent snapshot (nor are they across
 * resources or namespaces: Velero lists each namespace separately too). Restarting would re-send everything listed so
 * far and could expire again on a large resource. A server that offers no such token gets the listing restarted
 * once, skipping the objects already yielded (by uid).
 */

/** Velero's default --client-page-size. */
export const DEFAULT_PAGE_SIZE = 500;
/** Retries of a page after 429, 5xx or a connection error, with doubling waits from RETRY_BASE_MS (7.5 s in all). */
const RETRIES = 4;
const RETRY_BASE_MS = 500;

/** An object as the API lists it; only the fields the backup reads are typed. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    deletionTimestamp?: string;
  };
  [field: string]: unknown;
}

/**
 * One listed object: the fields the backup decides on, and where its JSON is: `head` (the apiVersion and kind a typed
 * list's items leave out, put in first) then body[from, end), the server's own bytes. Ranges, not views: a view per
 * item was one more object per item for the collector.
 */
export interface ListedItem {
  object: ListedObject & { apiVersion: string; kind: string };
  head?: Buffer;
  body: Buffer;
  from: number;
  end: number;
}

/** The size of an item's JSON. */
export const itemBytes = (item: ListedItem) => (item.head?.length ?? 0) + item.end - item.from;

/** An item's JSON as one buffer (a copy). */
export function itemJson(item: ListedItem): Buffer {
  const range = item.body.subarray(item.from, item.end);
  return item.head ? Buffer.concat([item.head, range]) : Buffer.from(range);
}

/** The whole object, for the few decisions that read more than its metadata (a PVC's volume, a namespace's phase). */
export function parseItem(item: ListedItem): KubeObject {
  return JSON.parse(itemJson(item).toString('utf8')) as KubeObject;
}

export interface ListRequest {
  resource: ApiResource;
  /** One namespace of a namespaced resource; undefined lists cluster-wide (or a cluster-scoped resource). */
  namespace?: string;
  /** Wire syntax; "" or undefined for none. */
  labelSelector?: string;
  pageSize?: number;
  signal?: AbortSignal;
}

export type ListEvent = { items: ListedItem[] } | { problem: ItemProblem };

/** The REST path of a resource's collection, or of one object in it. */
export function resourcePath(
  r: Pick<ApiResource, 'group' | 'version' | 'resource'>,
  namespace?: string,
  name?: string,
) {
  const base = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  const ns = namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${r.resource}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

function retryable(err: unknown): boolean {
  if (err instanceof ApiError) return err.status === 429 || (err.status >= 500 && err.status !== 501);
  return true; // no answer at all: refused, reset, timed out
}

/** Any request, retried while the API is overloaded or unreachable (429, 5xx, no answer); the last error is thrown. */
export async function withApiRetries<T>(request: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await request();
    } catch (err) {
      if (signal?.aborted || attempt >= RETRIES || !retryable(err)) throw err;
      const asked = err instanceof ApiError && err.retryAfter ? err.retryAfter * 1000 : 0;
      await sleep(Math.max(asked, RETRY_BASE_MS * 2 ** attempt), undefined, { signal });
    }
  }
}

/** A GET, retried while the API is overloaded or unreachable; the last error is thrown. */
export function getWithRetries<T>(
  api: ClusterApi,
  path: string,
  query: Record<string, string | undefined>,
  signal?: AbortSignal,
): Promise<T> {
  return withApiRetries(() => api.get<T>(path, { query, signal }), signal);
}

/** What went wrong in the API's words: its reason (Forbidden, NotFound) and message, or the connection's error. */
export function apiReason(err: unknown): string {
  if (err instanceof ApiError) return `${err.reason} (${err.status}): ${err.message}`;
  return (err as Error).message;
}

/**
 * Items of a typed list carry no apiVersion and kind (the list does); Velero's dynamic client fills them in, and
 * restores need them, so they are put in first, as Velero's files have them: the item's bytes follow a head of the
 * missing fields, which every item of the page shares.
 */
export function completeItems(body: Buffer, items: ScannedItem[], apiVersion: string, kind: string): ListedItem[] {
  // By what is missing: 1 apiVersion, 2 kind, 3 both (a typed list's items, nearly always).
  const heads: (Buffer | undefined)[] = [];
  const fieldsFor = (missing: number) => ({
    ...(missing & 1 ? { apiVersion } : {}),
    ...(missing & 2 ? { kind } : {}),
  });
  return items.map(({ start, end, object }) => {
    const missing = (object.apiVersion === undefined ? 1 : 0) | (object.kind === undefined ? 2 : 0);
    object.apiVersion ??= apiVersion;
    object.kind ??= kind;
    const completed = object as ListedItem['object'];
    if (missing === 0) return { object: completed, body, from: start, end };
    // `{}`: the head is all there is.
    if (isEmptyObject(body, start))
      return { object: completed, head: Buffer.from(JSON.stringify(fieldsFor(missing))), body, from: end, end };
    const head = (heads[missing] ??= Buffer.from(`${JSON.stringify(fieldsFor(missing)).slice(0, -1)},`));
    return { object: completed, head, body, from: start + 1, end };
  });
}

function isEmptyObject(body: Buffer, start: number): boolean {
  let i = start + 1;
  while (body[i] === 0x20 || body[i] === 0x0a || body[i] === 0x0d || body[i] === 0x09) i++;
  return body[i] === 0x7d;
}

/** One object by its path, read as listPages reads a page's items. */
export async function getItem(
  api: ClusterApi,
  path: string,
  apiVersion: string,
  kind: string,
  signal?: AbortSignal,
): Promise<ListedItem> {
  const body = await withApiRetries(() => api.getBytes(path, { signal }), signal);
  return completeItems(body, [scanObject(body)], apiVersion, kind)[0]!;
}

function where(req: ListRequest): string {
  const scope = req.namespace ? ` in namespace ${req.namespace}` : '';
  // Every LIST carries the exclude-from-backup rules; only a policy's own selector is worth naming.
  const own = req.labelSelector?.replace(EXCLUSION_SELECTOR, '').replace(/^,|,$/g, '');
  const selector = own ? ` (selector ${own})` : '';
  return `${groupResource(req.resource)}${scope}${selector}`;
}

export async function* listPages(api: ClusterApi, req: ListRequest): AsyncGenerator<ListEvent> {
  const path = resourcePath(req.resource, req.namespace);
  const apiVersion = apiVersionOf(req.resource);
  const limit = String(req.pageSize ?? DEFAULT_PAGE_SIZE);
  const problem = (level: ItemProblem['level'], message: string): ListEvent => ({
    problem: {
      level,
      resource: groupResource(req.resource),
      ...(req.namespace !== undefined ? { namespace: req.namespace } : {}),
      message,
    },
  });
  // Stops a prefetched page when the caller stops early (or the activity is cancelled).
  const stop = new AbortController();
  const signal = req.signal ? AbortSignal.any([req.signal, stop.signal]) : stop.signal;
  const fetchPage = (token: string | undefined) => {
    const page = withApiRetries(async () => {
      const body = await api.getBytes(path, {
        query: { limit, continue: token, labelSelector: req.labelSelector },
        signal,
      });
      return { body, ...scanList(body) };
    }, signal);
    page.catch(() => undefined); // handled where it is awaited; a page nobody awaits anymore must not crash the worker
    return page;
  };

  let next = fetchPage(undefined);
  /** uids yielded so far, kept only for a listing that has more than one page: what a restart must skip. */
  let yielded: Set<string> | undefined;
  let restarted = false;
  try {
    for (;;) {
      let page: Awaited<ReturnType<typeof fetchPage>>;
      try {
        page = await next;
      } catch (err) {
        if (!(err instanceof ApiError)) throw err; // the API is not answering: the attempt fails, and is retried
        if (err.status === 410 && err.continueToken) {
          yield problem(
            'warning',
            `listing ${where(req)} took longer than the API keeps a list consistent (${err.reason}); the rest ` +
              `was listed from a newer revision, so these objects are not one point-in-time snapshot`,
          );
          next = fetchPage(err.continueToken);
          continue;
        }
        if (err.status === 410 && !restarted && yielded) {
          restarted = true;
          yield problem(
            'warning',
            `listing ${where(req)} expired (${err.reason}) and the API offered no way to continue; listed again ` +
              `from the start, skipping the ${yielded.size} objects already backed up`,
          );
          next = fetchPage(undefined);
          continue;
        }
        yield problem(err.status === 404 ? 'warning' : 'error', `listing ${where(req)} failed: ${apiReason(err)}`);
        return;
      }
      const token = page.continueToken;
      if (token) next = fetchPage(token);
      let items = completeItems(page.body, page.items, apiVersion, req.resource.kind);
      if (token || yielded) {
        const seen = (yielded ??= new Set());
        if (restarted) items = items.filter((i) => !seen.has(i.object.metadata?.uid ?? ''));
        for (const { object } of items) if (object.metadata?.uid) seen.add(object.metadata.uid);
      }
      if (items.length > 0) yield { items };
      if (!token) return;
    }
  } finally {
    stop.abort();
  }
}
