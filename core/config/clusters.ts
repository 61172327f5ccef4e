import type { ClusterConfig, EtcdTarget, KubernetesAccess } from './schema.js';

/**
 * What a cluster's optional parts mean, in one place (schema.ts explains `kubernetes`, `api` and `etcd`).
 * Pure: callers turn the message into their own error (an activity's InvalidConfig failure, the CLI's bad input).
 */

/** Why a cluster cannot have etcd backups or restores: it has no `etcd`. */
export function missingEtcdMessage(cluster: Pick<ClusterConfig, 'name'>): string {
  return (
    `cluster ${cluster.name} has no etcd configured, so it has no etcd backups or restores; ` +
    `add clusters[${cluster.name}].etcd (statefulSet or endpoints), or use a cluster that has one`
  );
}

/** The cluster's etcd, or the error `fail` makes of missingEtcdMessage (validation rejects etcd policies without it). */
export function requireEtcd(
  cluster: Pick<ClusterConfig, 'name' | 'etcd'>,
  fail: (message: string) => Error = (message) => new Error(message),
): EtcdTarget {
  if (!cluster.etcd) throw fail(missingEtcdMessage(cluster));
  return cluster.etcd;
}

/**
 * The API a resource backup of this cluster reads: `api`, or, for a cluster without etcd (an ACM hub, an application
 * cluster), `kubernetes`. Undefined for a cluster with etcd and no `api`: its `kubernetes` is the API that hosts its
 * etcd, which for a hosted tenant is not its own.
 */
export function resourceApi(cluster: Pick<ClusterConfig, 'kubernetes' | 'api' | 'etcd'>): KubernetesAccess | undefined {
  return cluster.api ?? (cluster.etcd ? undefined : cluster.kubernetes);
}
