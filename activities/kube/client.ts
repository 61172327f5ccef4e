import type { AppsV1Api, BatchV1Api, ConfigurationOptions, CoreV1Api, DiscoveryV1Api } from '@kubernetes/client-node';
import type { ClusterConfig } from '../../core/config/schema.js';
import { FailureTypes } from '../../core/failure-types.js';
import { nonRetryable } from '../failures.js';

/** A tenant's management cluster: the API groups activities use, and the options that make a patch a merge patch. */
export interface Kube {
  core: CoreV1Api;
  apps: AppsV1Api;
  batch: BatchV1Api;
  discovery: DiscoveryV1Api;
  mergePatch: ConfigurationOptions;
}

/**
 * The client library, loaded on first use: it costs a worker about 85 MiB, which a worker that only backs up fixed
 * etcd endpoints (kubeadm-style control planes) never needs (bench/etcd-snapshot measures the peak), nor one whose
 * resource backups and restores reach clusters with static credentials (activities/kube/api-transport.ts).
 */
export function loadKubernetesClient(): Promise<typeof import('@kubernetes/client-node')> {
  return import('@kubernetes/client-node');
}

/**
 * The management cluster a tenant's etcd runs in: the kubeconfig and context the config names, else the default
 * (KUBECONFIG, ~/.kube/config, or the in-cluster service account when the worker runs as a Pod).
 */
export async function kubeFor(cluster: ClusterConfig): Promise<Kube> {
  const k8s = await loadKubernetesClient();
  const config = new k8s.KubeConfig();
  if (cluster.kubernetes.kubeconfig) config.loadFromFile(cluster.kubernetes.kubeconfig);
  else config.loadFromDefault();
  if (cluster.kubernetes.context) config.setCurrentContext(cluster.kubernetes.context);
  return {
    core: config.makeApiClient(k8s.CoreV1Api),
    apps: config.makeApiClient(k8s.AppsV1Api),
    batch: config.makeApiClient(k8s.BatchV1Api),
    discovery: config.makeApiClient(k8s.DiscoveryV1Api),
    mergePatch: k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  };
}

/** The HTTP status of a failed Kubernetes API call (the client's errors carry it as `code`). */
export function kubeStatus(err: unknown): number | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

/** Reads an object the config names; one that is not there is a config error (`missing` says which field to fix). */
export async function readConfigured<T>(read: () => Promise<T>, missing: string): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (kubeStatus(err) === 404) throw nonRetryable(FailureTypes.InvalidConfig, missing);
    throw err;
  }
}
