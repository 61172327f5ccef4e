import { Client, Connection } from '@temporalio/client';
import type { LifeboatConfig } from '../core/config/schema.js';
import { connectionOptions, temporalSettingsFromEnv } from '../runtime/temporal-connection.js';
import type { ActivityDeps } from './deps.js';
import { kubeFor } from './kube/client.js';
import { clusterApiFor } from './kube/cluster-api.js';
import { createCredentialLabelActivities } from './acm/credential-labels.js';
import { createAcmBackupActivities } from './acm/hub-backup.js';
import { createHubCleanupActivities } from './acm/hub-cleanup.js';
import { createAcmRestoreActivities } from './acm/hub-restore.js';
import { createEtcdBackupActivities } from './etcd-backup.js';
import { createRestoreClusterActivities } from './etcd-restore-cluster.js';
import { createRestoreInspectActivities } from './etcd-restore-inspect.js';
import { createRestoreMemberActivities } from './etcd-restore-members.js';
import { createResourceBackupActivities } from './resource-backup/index.js';
import { createResourceRestoreActivities } from './resource-restore/index.js';
import { createRetentionActivities } from './retention.js';
import { createScheduleActivities } from './schedules.js';
import { createStorageActivities } from './storage-check.js';

export type { ActivityDeps } from './deps.js';

/** The worker's dependencies: secrets from its environment, Kubernetes access as each cluster's config says. */
export function productionDeps(config: LifeboatConfig, env: NodeJS.ProcessEnv = process.env): ActivityDeps {
  let client: Client | undefined;
  const temporalClient = () => {
    if (!client) {
      const settings = temporalSettingsFromEnv(env);
      client = new Client({ connection: Connection.lazy(connectionOptions(settings)), namespace: settings.namespace });
    }
    return client;
  };
  return { config, readSecretEnv: (name) => env[name], kubeFor, clusterApiFor, temporalClient };
}

/** All activities, bound to their dependencies; the worker registers this object. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createStorageActivities(deps),
    ...createEtcdBackupActivities(deps),
    ...createResourceBackupActivities(deps),
    ...createAcmBackupActivities(deps),
    ...createCredentialLabelActivities(deps),
    ...createAcmRestoreActivities(deps),
    ...createHubCleanupActivities(deps),
    ...createResourceRestoreActivities(deps),
    ...createRetentionActivities(deps),
    ...createScheduleActivities(deps),
    ...createRestoreInspectActivities(deps),
    ...createRestoreClusterActivities(deps),
    ...createRestoreMemberActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
