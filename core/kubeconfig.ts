import { parse } from 'yaml';

/**
 * Which credentials a kubeconfig's context holds, when they are static: a server, its CA, a client certificate or a
 * bearer token. The resource engine talks to such a cluster over plain HTTPS without loading the Kubernetes client
 * library (about 85 MiB of a worker's memory). Anything else — exec and auth-provider plugins, basic auth, proxies,
 * impersonation — is `library`: the client library handles it, as before.
 *
 * File paths are as written in the kubeconfig; the caller resolves them against the kubeconfig's folder, as kubectl does.
 */
export type KubeconfigCredentials =
  | { kind: 'static'; context: string; cluster: string; user: string; connection: StaticConnection }
  | { kind: 'library'; why: string };

export interface StaticConnection {
  server: string;
  /** PEM from certificate-authority-data, or the file certificate-authority names. */
  ca?: FileOrData;
  cert?: FileOrData;
  key?: FileOrData;
  /** A bearer token, inline or in a file that is re-read (projected service-account tokens rotate). */
  token?: FileOrData;
  insecureSkipTlsVerify: boolean;
  tlsServerName?: string;
}

export type FileOrData = { file: string } | { data: string };

/**
 * A kubeconfig the reader cannot use at all: the message says which entry and how to fix it; `field` is the setting
 * to fix, the context a caller named or the kubeconfig itself.
 */
export class KubeconfigError extends Error {
  override name = 'KubeconfigError';
  constructor(
    message: string,
    readonly field: 'context' | 'kubeconfig' = 'kubeconfig',
  ) {
    super(message);
  }
}

type Entry = Record<string, unknown>;

const CLUSTER_FIELDS = new Set([
  'server',
  'certificate-authority',
  'certificate-authority-data',
  'insecure-skip-tls-verify',
  'tls-server-name',
  'extensions',
]);
const USER_FIELDS = new Set([
  'client-certificate',
  'client-certificate-data',
  'client-key',
  'client-key-data',
  'token',
  'tokenFile',
  'extensions',
]);

function isEntry(value: unknown): value is Entry {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function named(
  list: unknown,
  section: string,
  name: string,
  field: string,
  fix: KubeconfigError['field'] = 'kubeconfig',
): Entry {
  const found = Array.isArray(list)
    ? list.find((item): item is Entry => isEntry(item) && item.name === name)
    : undefined;
  const body = found?.[field];
  if (!isEntry(body)) {
    throw new KubeconfigError(
      `the kubeconfig has no ${section} entry named "${name}"; add it or pick another context`,
      fix,
    );
  }
  return body;
}

function text(entry: Entry, field: string, where: string): string | undefined {
  const value = entry[field];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new KubeconfigError(`${where}.${field} must be a string`);
  return value;
}

function base64Pem(entry: Entry, field: string, where: string): string | undefined {
  const value = text(entry, field, where);
  if (value === undefined) return undefined;
  if (!/^[A-Za-z0-9+/=\s]+$/.test(value)) throw new KubeconfigError(`${where}.${field} is not base64`);
  return atob(value.replace(/\s+/g, ''));
}

function fileOrData(entry: Entry, fileField: string, dataField: string, where: string): FileOrData | undefined {
  const data = base64Pem(entry, dataField, where);
  if (data !== undefined) return { data };
  const file = text(entry, fileField, where);
  return file === undefined ? undefined : { file };
}

/**
 * Reads a kubeconfig document (YAML or JSON text) for `context`, or its current-context. Throws KubeconfigError for
 * a document that cannot work (no context, a context naming a missing cluster or user, a cluster without a server).
 */
export function kubeconfigCredentials(source: string, context?: string): KubeconfigCredentials {
  let doc: unknown;
  try {
    doc = parse(source);
  } catch (err) {
    throw new KubeconfigError(`the kubeconfig is not valid YAML: ${(err as Error).message}`);
  }
  if (!isEntry(doc)) throw new KubeconfigError('the kubeconfig is empty or not a mapping');
  const contextName = context ?? (typeof doc['current-context'] === 'string' ? doc['current-context'] : '');
  if (!contextName) {
    throw new KubeconfigError('the kubeconfig has no current-context; set one, or name a context in the config');
  }
  const ctx = named(doc.contexts, 'context', contextName, 'context', context === undefined ? 'kubeconfig' : 'context');
  const clusterName = text(ctx, 'cluster', `contexts[${contextName}]`);
  const userName = text(ctx, 'user', `contexts[${contextName}]`);
  if (!clusterName) throw new KubeconfigError(`context "${contextName}" names no cluster`);
  const cluster = named(doc.clusters, 'cluster', clusterName, 'cluster');
  const user = userName ? named(doc.users, 'user', userName, 'user') : {};
  const clusterWhere = `clusters[${clusterName}]`;
  const userWhere = `users[${userName ?? ''}]`;

  const server = text(cluster, 'server', clusterWhere);
  if (!server) throw new KubeconfigError(`${clusterWhere} has no server URL`);
  const otherCluster = Object.keys(cluster).filter((field) => !CLUSTER_FIELDS.has(field));
  const otherUser = Object.keys(user).filter((field) => !USER_FIELDS.has(field));
  if (otherCluster.length > 0 || otherUser.length > 0) {
    return { kind: 'library', why: `uses ${[...otherCluster, ...otherUser].join(', ')}` };
  }
  if (!/^https?:\/\//.test(server)) return { kind: 'library', why: `server ${server} is not an http(s) URL` };

  const cert = fileOrData(user, 'client-certificate', 'client-certificate-data', userWhere);
  const key = fileOrData(user, 'client-key', 'client-key-data', userWhere);
  if ((cert === undefined) !== (key === undefined)) {
    throw new KubeconfigError(
      `${userWhere} has a client certificate without its key, or a key without its certificate`,
    );
  }
  const token = text(user, 'token', userWhere);
  const tokenFile = text(user, 'tokenFile', userWhere);
  const ca = fileOrData(cluster, 'certificate-authority', 'certificate-authority-data', clusterWhere);
  const tlsServerName = text(cluster, 'tls-server-name', clusterWhere);
  const connection: StaticConnection = {
    server: server.replace(/\/+$/, ''),
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
    ...(ca ? { ca } : {}),
    ...(cert && key ? { cert, key } : {}),
    ...(token ? { token: { data: token } } : tokenFile ? { token: { file: tokenFile } } : {}),
    ...(tlsServerName ? { tlsServerName } : {}),
  };
  return { kind: 'static', context: contextName, cluster: clusterName, user: userName ?? '', connection };
}

/** Where a Pod's service account credentials are mounted (the in-cluster config every client library uses). */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The in-cluster connection of a worker running as a Pod: the API's Service address, the mounted CA and token. */
export function inClusterConnection(host: string, port: string): StaticConnection {
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return {
    server: `https://${hostPart}:${port}`,
    ca: { file: `${SERVICE_ACCOUNT_DIR}/ca.crt` },
    token: { file: `${SERVICE_ACCOUNT_DIR}/token` },
    insecureSkipTlsVerify: false,
  };
}
