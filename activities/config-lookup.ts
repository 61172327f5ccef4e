import { requireEtcd } from '../core/config/clusters.js';
import type {
  AcmBackupPolicy,
  ClusterConfig,
  EtcdBackupPolicy,
  EtcdTarget,
  ResourceBackupPolicy,
  StorageLocation,
} from '../core/config/schema.js';
import { BackupKinds } from '../core/layout.js';
import type { ActivityDeps } from './deps.js';
import { nonRetryable } from './failures.js';
import { FailureTypes } from '../core/failure-types.js';

/** Activities receive names, never definitions or secrets; these resolve the names against the worker's config. */
function known(names: string[]): string {
  return names.join(', ') || 'none';
}

export function findLocation(deps: Pick<ActivityDeps, 'config'>, name: string): StorageLocation {
  const location = deps.config.storageLocations.find((l) => l.name === name);
  if (!location) {
    throw nonRetryable(
      FailureTypes.InvalidConfig,
      `Unknown storage location "${name}" (known: ${known(deps.config.storageLocations.map((l) => l.name))}); check the worker's config.`,
    );
  }
  return location;
}

export function findCluster(deps: Pick<ActivityDeps, 'config'>, name: string): ClusterConfig {
  const cluster = deps.config.clusters.find((c) => c.name === name);
  if (!cluster) {
    throw nonRetryable(
      FailureTypes.InvalidConfig,
      `Unknown cluster "${name}" (known: ${known(deps.config.clusters.map((c) => c.name))}); check the worker's config.`,
    );
  }
  return cluster;
}

/** The cluster's etcd; a cluster without one is a config error (validation keeps etcd policies off such clusters). */
export function clusterEtcd(cluster: ClusterConfig): EtcdTarget {
  return requireEtcd(cluster, (message) =>
    nonRetryable(FailureTypes.InvalidConfig, `${message}; check the worker's config.`),
  );
}

export function findEtcdPolicy(deps: Pick<ActivityDeps, 'config'>, cluster: string, policy: string): EtcdBackupPolicy {
  const found = deps.config.etcdBackups.find((p) => p.cluster === cluster && p.name === policy);
  if (!found) {
    const policies = deps.config.etcdBackups.filter((p) => p.cluster === cluster).map((p) => p.name);
    throw nonRetryable(
      FailureTypes.InvalidConfig,
      `Unknown etcd backup policy "${cluster}/${policy}" (policies of ${cluster}: ${known(policies)}); check the worker's config.`,
    );
  }
  return found;
}

/** A backup policy of either kind, told apart by the kind of backup it makes. */
export type FoundPolicy =
  | { kind: typeof BackupKinds.etcd; policy: EtcdBackupPolicy }
  | { kind: typeof BackupKinds.resources; policy: ResourceBackupPolicy };

/**
 * A policy of any kind by name: what a reader that serves both kinds (retention) resolves. Names are unique per cluster
 * across kinds (core/config/references.ts), so at most one list has it.
 */
export function findPolicy(deps: Pick<ActivityDeps, 'config'>, cluster: string, policy: string): FoundPolicy {
  const etcd = deps.config.etcdBackups.find((p) => p.cluster === cluster && p.name === policy);
  if (etcd) return { kind: BackupKinds.etcd, policy: etcd };
  const resources = deps.config.resourceBackups.find((p) => p.cluster === cluster && p.name === policy);
  if (resources) return { kind: BackupKinds.resources, policy: resources };
  const policies = [...deps.config.etcdBackups, ...deps.config.resourceBackups]
    .filter((p) => p.cluster === cluster)
    .map((p) => p.name);
  throw nonRetryable(
    FailureTypes.InvalidConfig,
    `Unknown backup policy "${cluster}/${policy}" (policies of ${cluster}: ${known(policies)}); check the worker's config.`,
  );
}

export function findAcmPolicy(deps: Pick<ActivityDeps, 'config'>, cluster: string, policy: string): AcmBackupPolicy {
  const found = deps.config.acmBackups.find((p) => p.cluster === cluster && p.name === policy);
  if (!found) {
    const policies = deps.config.acmBackups.filter((p) => p.cluster === cluster).map((p) => p.name);
    throw nonRetryable(
      FailureTypes.InvalidConfig,
      `Unknown ACM hub backup policy "${cluster}/${policy}" (acmBackups of ${cluster}: ${known(policies)}); check the worker's config.`,
    );
  }
  return found;
}
