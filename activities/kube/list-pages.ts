import { setTimeout as sleep } from 'node:timers/promises';
import { apiVersionOf, groupResource, type ApiResource, type ItemProblem } from '../../core/resources/model.js';
import { EXCLUSION_SELECTOR } from '../../core/resources/selection.js';
import { ApiError, type ClusterApi } from './cluster-api.js';

/**
 * A paged LIST of one resource (limit/continue, as client-go's pager does for Velero): cluster-wide or in one
 * namespace, with a label selector. It yields one page of raw objects at a time, and fetches the next page while the
 * caller works on the current one, so the API's time and the archive's overlap and at most two pages are in memory.
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

interface ListBody {
  metadata?: { continue?: string };
  items?: KubeObject[];
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

export type ListEvent = { items: KubeObject[] } | { problem: ItemProblem };

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
 * restores need them, so they are set here, first, as Velero's files have them.
 */
function complete(items: KubeObject[], apiVersion: string, kind: string): KubeObject[] {
  return items.map((item) =>
    item.apiVersion !== undefined && item.kind !== undefined ? item : { apiVersion, kind, ...item },
  );
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
    const page = getWithRetries<ListBody>(
      api,
      path,
      { limit, continue: token, labelSelector: req.labelSelector },
      signal,
    );
    page.catch(() => undefined); // handled where it is awaited; a page nobody awaits anymore must not crash the worker
    return page;
  };

  let next = fetchPage(undefined);
  /** uids yielded so far, kept only for a listing that has more than one page: what a restart must skip. */
  let yielded: Set<string> | undefined;
  let restarted = false;
  try {
    for (;;) {
      let page: ListBody;
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
      const token = page.metadata?.continue || undefined;
      if (token) next = fetchPage(token);
      let items = complete(page.items ?? [], apiVersion, req.resource.kind);
      if (token || yielded) {
        const seen = (yielded ??= new Set());
        if (restarted) items = items.filter((i) => !seen.has(i.metadata?.uid ?? ''));
        for (const item of items) if (item.metadata?.uid) seen.add(item.metadata.uid);
      }
      if (items.length > 0) yield { items };
      if (!token) return;
    }
  } finally {
    stop.abort();
  }
}
