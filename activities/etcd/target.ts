import type { V1StatefulSet } from '@kubernetes/client-node';
import type { ClusterConfig } from '../../core/config/schema.js';
import { labelSelector, serviceSlicesSelector } from '../../core/kube-metadata.js';
import { clusterEtcd } from '../config-lookup.js';
import { clusterContext, type ClusterContext } from '../context.js';
import type { ActivityDeps } from '../deps.js';
import { nonRetryable, transient } from '../failures.js';
import { kubeStatus, readConfigured, type Kube } from '../kube/client.js';
import { FailureTypes, TransientFailureTypes } from '../../core/failure-types.js';

/** How to reach one cluster's etcd right now. Lives only inside an activity: the TLS key never leaves the worker. */
export interface EtcdConnection {
  cluster: string;
  endpoints: string[];
  tls?: { ca: Buffer; cert: Buffer; key: Buffer; serverName?: string };
}

async function readTls(kube: Kube, cluster: ClusterConfig): Promise<EtcdConnection['tls']> {
  const etcd = clusterEtcd(cluster);
  const ref = etcd.tls?.secretRef;
  if (!ref) return undefined;
  const where = `Secret ${ref.namespace}/${ref.name} (clusters[${cluster.name}].etcd.tls.secretRef)`;
  let data: Record<string, string> | undefined;
  try {
    data = (await kube.core.readNamespacedSecret({ namespace: ref.namespace, name: ref.name })).data;
  } catch (err) {
    if (kubeStatus(err) === 404)
      throw nonRetryable(FailureTypes.InvalidConfig, `${where} does not exist. Create it or fix the reference.`);
    if (kubeStatus(err) === 403) {
      throw nonRetryable(
        FailureTypes.InvalidConfig,
        `The worker may not read ${where}: grant it get on that Secret (deploy/rbac).`,
      );
    }
    throw err;
  }
  const missing = ['ca.crt', 'tls.crt', 'tls.key'].filter((k) => !data?.[k]);
  if (missing.length > 0) {
    throw nonRetryable(
      FailureTypes.InvalidConfig,
      `${where} lacks ${missing.join(', ')}; it needs ca.crt, tls.crt and tls.key.`,
    );
  }
  const decode = (k: string) => Buffer.from(data![k]!, 'base64');
  const serverName = etcd.statefulSet
    ? `${etcd.clientService ?? `${etcd.statefulSet.name}-client`}.${etcd.statefulSet.namespace}.svc.cluster.local`
    : undefined;
  return {
    ca: decode('ca.crt'),
    cert: decode('tls.crt'),
    key: decode('tls.key'),
    ...(serverName ? { serverName } : {}),
  };
}

/**
 * Ready members of the StatefulSet, as the cluster sees them now: from the client Service's EndpointSlices, or, when
 * those list no ready member, from the StatefulSet's ready Pods. (EndpointSlices cannot hold loopback addresses, so on
 * the local stack, whose Pods live on 127.x addresses, the controller publishes empty slices and the Pods are the only
 * record.)
 */
async function readyMembers(kube: Kube, cluster: ClusterConfig, scheme: 'http' | 'https'): Promise<string[]> {
  const etcd = clusterEtcd(cluster);
  const sts = etcd.statefulSet!;
  const service = etcd.clientService ?? `${sts.name}-client`;
  const slices = await kube.discovery.listNamespacedEndpointSlice({
    namespace: sts.namespace,
    labelSelector: serviceSlicesSelector(service),
  });
  const endpoints = new Set<string>();
  for (const slice of slices.items) {
    const port = slice.ports?.find((p) => p.port === etcd.clientPort || p.name === 'client')?.port ?? etcd.clientPort;
    for (const endpoint of slice.endpoints ?? []) {
      if (endpoint.conditions?.ready === false) continue;
      for (const address of endpoint.addresses.slice(0, 1)) endpoints.add(`${scheme}://${address}:${port}`);
    }
  }
  if (endpoints.size === 0) {
    for (const ip of await readyPodIps(kube, cluster)) endpoints.add(`${scheme}://${ip}:${etcd.clientPort}`);
  }
  if (endpoints.size === 0) {
    throw transient(
      TransientFailureTypes.EtcdUnavailable,
      `etcd StatefulSet ${sts.namespace}/${sts.name}: no ready member (EndpointSlices of Service ${service}, ` +
        `or the StatefulSet's Pods). Is it running? Is clientService right?`,
    );
  }
  return [...endpoints].sort();
}

/** The cluster's etcd StatefulSet; one that is not there is a config error, not something to retry. */
export async function readEtcdStatefulSet(kube: Kube, cluster: ClusterConfig): Promise<V1StatefulSet> {
  const ref = clusterEtcd(cluster).statefulSet!;
  return readConfigured(
    () => kube.apps.readNamespacedStatefulSet(ref),
    `StatefulSet ${ref.namespace}/${ref.name} does not exist; fix clusters[${cluster.name}].etcd.statefulSet.`,
  );
}

async function readyPodIps(kube: Kube, cluster: ClusterConfig): Promise<string[]> {
  const sts = clusterEtcd(cluster).statefulSet!;
  const selector = (await readEtcdStatefulSet(kube, cluster)).spec?.selector.matchLabels;
  const pods = await kube.core.listNamespacedPod({ namespace: sts.namespace, labelSelector: labelSelector(selector) });
  return pods.items
    .filter(
      (p) =>
        !p.metadata?.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    )
    .flatMap((p) => (p.status?.podIP ? [p.status.podIP] : []));
}

/** Resolves a cluster's etcd: fixed endpoints, or the StatefulSet's ready members; plus client TLS from its Secret. */
export async function resolveEtcd(target: ClusterContext): Promise<EtcdConnection>;
/** The same for a caller that holds only the cluster's name (tests, the dev stack, the bench). */
export async function resolveEtcd(
  deps: Pick<ActivityDeps, 'config' | 'kubeFor'>,
  clusterName: string,
): Promise<EtcdConnection>;
export async function resolveEtcd(
  from: ClusterContext | Pick<ActivityDeps, 'config' | 'kubeFor'>,
  clusterName?: string,
): Promise<EtcdConnection> {
  const { cluster, kube: kubeOf } = 'kube' in from ? from : clusterContext(from, clusterName!);
  const etcd = clusterEtcd(cluster);
  const needsKube = Boolean(etcd.statefulSet || etcd.tls);
  const kube = needsKube ? await kubeOf() : undefined;
  const tls = kube ? await readTls(kube, cluster) : undefined;
  const endpoints = etcd.endpoints ?? (await readyMembers(kube!, cluster, tls ? 'https' : 'http'));
  return { cluster: cluster.name, endpoints, ...(tls ? { tls } : {}) };
}
