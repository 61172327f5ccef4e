import type { V1Container, V1Pod, V1ResourceFieldSelector } from '@kubernetes/client-node';
import { ContainerConfigError } from './config-source.js';
import { parseQuantity } from './quantity.js';

export interface PodAddresses {
  podIP: string;
  hostIP: string;
}

/** What a Pod reports where its containers set no limit: the node's allocatable (node-status.ts). */
export const NODE_ALLOCATABLE = { cpu: '16', memory: '32Gi', 'ephemeral-storage': '100Gi', pods: '110' };

const mapKey = /^metadata\.(labels|annotations)\['(.+)'\]$/;

function formatMap(map: Record<string, string> | undefined): string {
  return Object.entries(map ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join('\n');
}

/** The downward API's fieldRef paths, as env values and downwardAPI volume files. */
export function podField(pod: V1Pod, path: string, addresses: PodAddresses): string {
  const meta = pod.metadata ?? {};
  const keyed = mapKey.exec(path);
  if (keyed) {
    const map = keyed[1] === 'labels' ? meta.labels : meta.annotations;
    return map?.[keyed[2]!] ?? '';
  }
  switch (path) {
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? '';
    case 'metadata.uid':
      return meta.uid ?? '';
    case 'metadata.labels':
      return formatMap(meta.labels);
    case 'metadata.annotations':
      return formatMap(meta.annotations);
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.podIP':
    case 'status.podIPs':
      return addresses.podIP;
    case 'status.hostIP':
    case 'status.hostIPs':
      return addresses.hostIP;
    default:
      throw new ContainerConfigError(`unsupported fieldRef path ${JSON.stringify(path)}`);
  }
}

/** requests/limits of a container in the selector's divisor, rounded up as kubelet does; no limit means the node's. */
export function resourceField(pod: V1Pod, selector: V1ResourceFieldSelector, fallback?: V1Container): string {
  const container = pod.spec?.containers.find((c) => c.name === selector.containerName) ?? fallback;
  const [kind, resource] = selector.resource.split('.') as [string, string | undefined];
  if (!resource || !['cpu', 'memory', 'ephemeral-storage'].includes(resource)) {
    throw new ContainerConfigError(`unsupported resourceFieldRef ${JSON.stringify(selector.resource)}`);
  }
  const resources = container?.resources;
  const limit = resources?.limits?.[resource];
  const value =
    kind === 'requests'
      ? (resources?.requests?.[resource] ?? limit ?? '0')
      : (limit ?? NODE_ALLOCATABLE[resource as keyof typeof NODE_ALLOCATABLE]);
  const divisor = parseQuantity(String(selector.divisor ?? '1'));
  return String(Math.ceil(parseQuantity(String(value)) / divisor));
}
