import type { ClusterConfig, EtcdBackupPolicy, StorageLocation } from '../core/config/schema.js';
import { findCluster, findEtcdPolicy, findLocation } from './config-lookup.js';
import type { ActivityDeps } from './deps.js';
import type { Kube } from './kube/client.js';

/**
 * What an activity works on, resolved once at its entry from the names it was given. What it calls below takes these
 * typed values (the cluster's config, a Kube, a location, an S3 client), never the whole deps.
 */
export interface ClusterContext {
  cluster: ClusterConfig;
  /** The management cluster's API: connected on first use, then shared (fixed endpoints without TLS never need it). */
  kube: () => Promise<Kube>;
}

/** A backup's cluster, its policy and the location the policy writes to. */
export interface BackupContext extends ClusterContext {
  policy: EtcdBackupPolicy;
  location: StorageLocation;
}

export function clusterContext(deps: Pick<ActivityDeps, 'config' | 'kubeFor'>, clusterName: string): ClusterContext {
  const cluster = findCluster(deps, clusterName);
  let kube: Promise<Kube> | undefined;
  return { cluster, kube: () => (kube ??= deps.kubeFor(cluster)) };
}

export function backupContext(deps: ActivityDeps, clusterName: string, policyName: string): BackupContext {
  const policy = findEtcdPolicy(deps, clusterName, policyName);
  const location = findLocation(deps, policy.location);
  return { ...clusterContext(deps, clusterName), policy, location };
}
