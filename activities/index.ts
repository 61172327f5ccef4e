import type { ActivityDeps } from './deps.js';
import { createEtcdBackupActivities } from './etcd-backup.js';
import { createEtcdActivities } from './etcd.js';
import { createRetentionActivities } from './retention.js';
import { createStorageActivities } from './storage.js';

export type { ActivityDeps } from './deps.js';

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
