import { KubeConfig } from '@kubernetes/client-node';
import type { ClusterConfig } from '../core/config/schema.js';

/**
 * The management cluster a tenant's etcd runs in: the kubeconfig and context the config names, else the default
 * (KUBECONFIG, ~/.kube/config, or the in-cluster service account when the worker runs as a Pod).
 */
export function kubeConfigFor(cluster: ClusterConfig): KubeConfig {
  const kc = new KubeConfig();
  if (cluster.kubernetes.kubeconfig) kc.loadFromFile(cluster.kubernetes.kubeconfig);
  else kc.loadFromDefault();
  if (cluster.kubernetes.context) kc.setCurrentContext(cluster.kubernetes.context);
  return kc;
}

/** The HTTP status of a failed Kubernetes API call (the client's errors carry it as `code`). */
export function kubeStatus(err: unknown): number | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}
