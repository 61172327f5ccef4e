import type { LifeboatConfig } from '../core/config/schema.js';
import type { ActivityDeps } from './deps.js';
import { kubeConfigFor } from './kube.js';
import { createEtcdBackupActivities } from './etcd-backup.js';
import { createEtcdActivities } from './etcd.js';
import { createRetentionActivities } from './retention.js';
import { createStorageActivities } from './storage.js';

export type { ActivityDeps } from './deps.js';

/** The worker's dependencies: secrets from its environment, Kubernetes access as each cluster's config says. */
export function productionDeps(config: LifeboatConfig, env: NodeJS.ProcessEnv = process.env): ActivityDeps {
  return { config, readSecretEnv: (name) => env[name], kubeConfigFor };
}

/** All activities, bound to their dependencies; the worker registers this object. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createStorageActivities(deps),
    ...createEtcdActivities(deps),
    ...createEtcdBackupActivities(deps),
    ...createRetentionActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
