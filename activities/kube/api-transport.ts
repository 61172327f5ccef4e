import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { Agent, type Dispatcher } from 'undici';
import type { KubernetesAccess } from '../../core/config/schema.js';
import {
  inClusterConnection,
  kubeconfigCredentials,
  KubeconfigError,
  type FileOrData,
  type StaticConnection,
} from '../../core/kubeconfig.js';
import { loadKubernetesClient } from './client.js';

/** How one request reaches a cluster's API: its URL with the query, the auth headers, the connection pool. */
export interface ApiTransport {
  server: string;
  /** How the credentials were read, for messages: `static kubeconfig`, `in-cluster`, `client library (exec plugin)`. */
  via: string;
  prepare(
    method: string,
    path: string,
    query: Record<string, string | undefined> | undefined,
  ): Promise<{ url: string; headers: Record<string, string>; dispatcher: Dispatcher | undefined }>;
  close(): Promise<void>;
}

/** A kubeconfig the worker cannot use; `field` is the config field to fix (kubeconfig or context). */
export class TransportConfigError extends Error {
  constructor(
    readonly field: 'kubeconfig' | 'context' | '',
    message: string,
  ) {
    super(message);
  }
}

/** A projected service-account token rotates (hourly by default); re-reading it each minute is what clients do. */
const TOKEN_REREAD_MS = 60_000;

function withQuery(base: string, path: string, query: Record<string, string | undefined> | undefined): string {
  const url = new URL(base + path);
  for (const [name, value] of Object.entries(query ?? {}))
    if (value !== undefined && value !== '') url.searchParams.set(name, value);
  return url.toString();
}

function staticTransport(connection: StaticConnection, baseDir: string, via: string): ApiTransport {
  const read = (source: FileOrData | undefined): string | undefined => {
    if (!source) return undefined;
    if ('data' in source) return source.data;
    const file = isAbsolute(source.file) ? source.file : resolve(baseDir, source.file);
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new TransportConfigError('kubeconfig', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code}`);
    }
  };
  const ca = read(connection.ca);
  const cert = read(connection.cert);
  const key = read(connection.key);
  const tokenSource = connection.token;
  let token = tokenSource ? read(tokenSource)?.trim() : undefined;
  let tokenReadAt = Date.now();
  const agent = new Agent({
    allowH2: false,
    connect: {
      ...(ca ? { ca } : {}),
      ...(cert && key ? { cert, key } : {}),
      ...(connection.tlsServerName ? { servername: connection.tlsServerName } : {}),
      rejectUnauthorized: !connection.insecureSkipTlsVerify,
    },
  });
  return {
    server: connection.server,
    via,
    prepare(_method, path, query) {
      if (tokenSource && 'file' in tokenSource && Date.now() - tokenReadAt > TOKEN_REREAD_MS) {
        token = read(tokenSource)?.trim();
        tokenReadAt = Date.now();
      }
      const headers: Record<string, string> = { 'user-agent': 'lifeboat' };
      if (token) headers.authorization = `Bearer ${token}`;
      return Promise.resolve({ url: withQuery(connection.server, path, query), headers, dispatcher: agent });
    },
    close: () => agent.close(),
  };
}

/**
 * The client library's KubeConfig, for what the static reader leaves to it (plugins, proxies, several KUBECONFIG
 * files): each request takes its headers and connection pool from `applySecurityAuthentication`.
 */
async function libraryTransport(access: KubernetesAccess, why: string): Promise<ApiTransport> {
  const k8s = await loadKubernetesClient();
  const config = new k8s.KubeConfig();
  try {
    if (access.kubeconfig) config.loadFromFile(access.kubeconfig);
    else config.loadFromDefault();
    if (access.context) config.setCurrentContext(access.context);
  } catch (err) {
    throw new TransportConfigError('kubeconfig', `cannot load the kubeconfig: ${(err as Error).message}`);
  }
  const server = config.getCurrentCluster()?.server?.replace(/\/+$/, '');
  if (!server)
    throw new TransportConfigError('', `the kubeconfig's current context names no cluster with a server URL`);
  // applySecurityAuthentication builds a new connection pool on every call; keeping the first one reuses its
  // keep-alive connections (a fresh TLS handshake per page would cost more than the page).
  let dispatcher: Dispatcher | undefined;
  return {
    server,
    via: `client library (${why})`,
    async prepare(method, path, query) {
      const context = new k8s.RequestContext(
        withQuery(server, path, query),
        k8s.HttpMethod[method as keyof typeof k8s.HttpMethod],
      );
      await config.applySecurityAuthentication(context);
      const own = context.getDispatcher();
      if (own) {
        if (dispatcher) await own.close();
        else dispatcher = own;
      }
      return { url: context.getUrl(), headers: context.getHeaders(), dispatcher };
    },
    close: async () => {
      await dispatcher?.close();
    },
  };
}

/** The kubeconfig file the access names, else the default one kubectl would read; undefined when there is none. */
function kubeconfigPath(access: KubernetesAccess, env: NodeJS.ProcessEnv): string | string[] | undefined {
  if (access.kubeconfig) return access.kubeconfig;
  const fromEnv = (env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);
  if (fromEnv.length > 1) return fromEnv;
  if (fromEnv.length === 1) return fromEnv[0];
  const home = join(homedir(), '.kube', 'config');
  return existsSync(home) ? home : undefined;
}

/**
 * The transport for a cluster's access settings: the static reader where the kubeconfig holds only certificates and
 * tokens (or the worker runs in a Pod), the client library for everything else.
 */
export async function apiTransportFor(
  access: KubernetesAccess,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ApiTransport> {
  const path = kubeconfigPath(access, env);
  if (Array.isArray(path)) return libraryTransport(access, 'KUBECONFIG names several files');
  if (path === undefined) {
    const host = env.KUBERNETES_SERVICE_HOST;
    const port = env.KUBERNETES_SERVICE_PORT;
    if (host && port && !access.context) return staticTransport(inClusterConnection(host, port), '/', 'in-cluster');
    return libraryTransport(access, 'no kubeconfig found');
  }
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch (err) {
    throw new TransportConfigError('kubeconfig', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code}`);
  }
  try {
    const credentials = kubeconfigCredentials(source, access.context);
    if (credentials.kind === 'library') return libraryTransport(access, credentials.why);
    return staticTransport(credentials.connection, dirname(path), `kubeconfig ${path}`);
  } catch (err) {
    if (!(err instanceof KubeconfigError)) throw err;
    throw new TransportConfigError(err.field, `${path}: ${err.message}`);
  }
}
