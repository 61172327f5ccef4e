import type { ClusterConfig, KubernetesAccess } from '../../core/config/schema.js';
import { resourceApi } from '../../core/config/clusters.js';
import { FailureTypes } from '../../core/failure-types.js';
import { nonRetryable } from '../failures.js';
import { request } from 'undici';
import { apiTransportFor, TransportConfigError, type ApiTransport } from './api-transport.js';

/**
 * A cluster's OWN API (clusters[].api, or `kubernetes` for a cluster without etcd: core/config/clusters.ts), as a
 * resource backup reads it: raw GETs of discovery documents, lists and objects, parsed with JSON.parse.
 *
 * Why not the client's typed APIs: they cover built-in kinds only and run every object through their model
 * serializer, which costs more CPU than the whole gzip of the archive. Requests go out through undici's `request`
 * with the headers and connection pool of an ApiTransport (api-transport.ts: static credentials read directly,
 * plugins and proxies through the client library's KubeConfig). Not the client's own HTTP library (undici's fetch):
 * its WHATWG streams made paging through a large resource half again as slow as a plain HTTPS GET (a profile of
 * bench/resources); nor Node's global fetch, which refuses dispatchers of newer undici releases.
 */
export interface ClusterApi {
  /** The API server's URL, for messages. */
  server: string;
  /** GET `path` (`/api/v1/configmaps`) with `query`; the parsed JSON body. A non-2xx answer throws an ApiError. */
  get<T>(path: string, options?: GetOptions): Promise<T>;
  /** GET `path` as application/json, the body's bytes unparsed (a LIST page the backup copies item by item). */
  getBytes(path: string, options?: GetOptions): Promise<Buffer>;
  /** A write (a restore's create, patch, review): `body` as JSON, the parsed JSON answer; non-2xx throws an ApiError. */
  send<T>(method: WriteMethod, path: string, body: unknown, options?: SendOptions): Promise<T>;
  /** Closes the connections; further calls fail. */
  close(): Promise<void>;
}

export interface GetOptions {
  query?: Record<string, string | undefined>;
  /** Accept header; JSON by default. */
  accept?: string;
  signal?: AbortSignal;
}

export type WriteMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface SendOptions {
  /** Content-Type of the body: JSON by default; `application/merge-patch+json` for a merge patch. */
  contentType?: string;
  query?: Record<string, string | undefined>;
  signal?: AbortSignal;
  /** Read and drop a successful answer's body (a create that only needs to succeed): `send` resolves to undefined. */
  discardBody?: boolean;
}

/** A status the API answered with, and its reason in the API's own words (the Status object's message). */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    /** The Status object's `reason` (`Forbidden`, `NotFound`, `Expired`), or the HTTP status text. */
    readonly reason: string,
    message: string,
    /** A 410 on a continued list carries a token to go on with, inconsistently (activities/kube/list-pages.ts). */
    readonly continueToken?: string,
    /** Seconds the server asked to wait (429, 503). */
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

/**
 * How long a request may wait for the answer's headers, and then between two chunks of its body; a LIST page of 500
 * large objects from a loaded server takes seconds, not minutes.
 */
const REQUEST_TIMEOUT_MS = 60_000;

interface StatusBody {
  kind?: string;
  reason?: string;
  message?: string;
  metadata?: { continue?: string };
}

function parseStatus(text: string): StatusBody | undefined {
  try {
    const body = JSON.parse(text) as StatusBody;
    return typeof body === 'object' && body !== null ? body : undefined;
  } catch {
    return undefined;
  }
}

function configError(cluster: ClusterConfig, field: string, detail: string): Error {
  return nonRetryable(
    FailureTypes.InvalidConfig,
    `clusters[${cluster.name}].${field}: ${detail}; check the worker's config.`,
  );
}

/**
 * Why the API is used: `read` by resource backups (the cluster's `api`), `restore` by resource restores (its
 * `restoreApi`, an identity that may write, when one is set; the `api` otherwise), `label` by an ACM hub backup's
 * credential labelling (its `labelApi` when set; the `api` otherwise).
 */
export type ApiPurpose = 'read' | 'restore' | 'label';

type AccessField = 'api' | 'kubernetes' | 'restoreApi' | 'labelApi';

/** Which access a resource backup or restore of this cluster uses, or an InvalidConfig failure saying how to give it one. */
export function resourceAccess(
  cluster: ClusterConfig,
  purpose: ApiPurpose = 'read',
): { access: KubernetesAccess; field: AccessField } {
  if (purpose === 'restore' && cluster.restoreApi) return { access: cluster.restoreApi, field: 'restoreApi' };
  if (purpose === 'label' && cluster.labelApi) return { access: cluster.labelApi, field: 'labelApi' };
  const access = resourceApi(cluster);
  if (!access) {
    throw configError(
      cluster,
      'api',
      `cluster ${cluster.name} has etcd and no api, so Lifeboat does not know which API holds its objects ` +
        `(its kubernetes settings reach the cluster that hosts its etcd); set clusters[${cluster.name}].api to ` +
        `the cluster's own API (kubeconfig, context), or api: {} when the management cluster itself is meant`,
    );
  }
  return { access, field: cluster.api ? 'api' : 'kubernetes' };
}

/**
 * Connects to the cluster's own API: over plain HTTPS where its kubeconfig holds only certificates and tokens, through
 * the client library's KubeConfig where it needs more (activities/kube/api-transport.ts).
 */
export async function clusterApiFor(cluster: ClusterConfig, purpose: ApiPurpose = 'read'): Promise<ClusterApi> {
  const { access, field } = resourceAccess(cluster, purpose);
  let transport: ApiTransport;
  try {
    transport = await apiTransportFor(access);
  } catch (err) {
    if (!(err instanceof TransportConfigError)) throw err;
    throw configError(cluster, err.field ? `${field}.${err.field}` : field, err.message);
  }
  const base = transport.server;
  let closed = false;

  /** What a successful answer's body becomes: parsed JSON, its bytes, or nothing. */
  type Answer = 'json' | 'bytes' | 'discard';

  async function call<T>(
    method: 'GET' | WriteMethod,
    path: string,
    query: Record<string, string | undefined> | undefined,
    headers: Record<string, string>,
    body: string | undefined,
    signal: AbortSignal | undefined,
    answer: Answer = 'json',
  ): Promise<T> {
    if (closed) throw new Error(`the connection to ${base} is closed`);
    const prepared = await transport.prepare(method, path, query);
    // undici's own timeouts rather than an AbortSignal.timeout per request: a timer and a composite signal for each
    // of a restore's thousands of requests showed in its CPU profile.
    const response = await request(prepared.url, {
      method,
      headers: { ...prepared.headers, ...headers },
      ...(body !== undefined ? { body } : {}),
      ...(signal ? { signal } : {}),
      headersTimeout: REQUEST_TIMEOUT_MS,
      bodyTimeout: REQUEST_TIMEOUT_MS,
      ...(prepared.dispatcher ? { dispatcher: prepared.dispatcher } : {}),
    });
    const code = response.statusCode;
    if (answer === 'discard' && code >= 200 && code < 300) {
      await response.body.dump();
      return undefined as T;
    }
    if (answer === 'bytes' && code >= 200 && code < 300) return Buffer.from(await response.body.arrayBuffer()) as T;
    const text = await response.body.text();
    if (code >= 200 && code < 300) return JSON.parse(text) as T;
    const status = parseStatus(text);
    const retryAfter = Number([response.headers['retry-after']].flat()[0]);
    throw new ApiError(
      code,
      status?.reason || `HTTP ${code}`,
      status?.message || text.slice(0, 200) || `HTTP ${code} from ${path}`,
      status?.metadata?.continue || undefined,
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
    );
  }

  return {
    server: base,
    get<T>(path: string, options: GetOptions = {}): Promise<T> {
      return call<T>(
        'GET',
        path,
        options.query,
        { accept: options.accept ?? 'application/json' },
        undefined,
        options.signal,
      );
    },
    getBytes(path: string, options: GetOptions = {}): Promise<Buffer> {
      const headers = { accept: 'application/json' };
      return call<Buffer>('GET', path, options.query, headers, undefined, options.signal, 'bytes');
    },
    send<T>(method: WriteMethod, path: string, body: unknown, options: SendOptions = {}): Promise<T> {
      const headers = { accept: 'application/json', 'content-type': options.contentType ?? 'application/json' };
      const answer = options.discardBody ? 'discard' : 'json';
      return call<T>(method, path, options.query, headers, JSON.stringify(body), options.signal, answer);
    },
    async close() {
      closed = true;
      await transport.close();
    },
  };
}
