import type { Client } from '@temporalio/client';
import type { ClusterConfig, LifeboatConfig } from '../core/config/schema.js';
import type { ApiPurpose, ClusterApi } from './kube/cluster-api.js';
import type { Kube } from './kube/client.js';

/** Everything activities need from the outside world, injected so tests can point them at their own servers. */
export interface ActivityDeps {
  config: LifeboatConfig;
  /** Looks up a secret by the environment variable name the config references; never passed through Temporal. */
  readSecretEnv: (name: string) => string | undefined;
  /** The management cluster's API for a tenant cluster (activities/kube/client.ts in production). */
  kubeFor: (cluster: ClusterConfig) => Promise<Kube>;
  /** The cluster's own API: `read` for resource backups, `restore` for restores (activities/kube/cluster-api.ts). */
  clusterApiFor: (cluster: ClusterConfig, purpose?: ApiPurpose) => Promise<ClusterApi>;
  /** Temporal itself, for what a restore pauses: the cluster's backup schedules. Connected on first use. */
  temporalClient: () => Client;
}
