import type { Client, WorkflowHandle } from '@temporalio/client';
import { etcdRestoreProgress, type EtcdRestoreProgress } from '../../../workflows/etcd-restore-api.js';
import { resourceRestoreProgress, type ResourceRestoreProgress } from '../../../workflows/resource-restore-api.js';

/** The progress query, bounded: a closed workflow is answered by replay on a worker, and there may be none. */
export function queryProgress(client: Client, handle: WorkflowHandle): Promise<EtcdRestoreProgress | undefined> {
  return client.withDeadline(Date.now() + 5000, () => handle.query(etcdRestoreProgress)).catch(() => undefined);
}

/** The same, for a resource restore (its query has the same name and another shape). */
export function queryResourceProgress(
  client: Client,
  handle: WorkflowHandle,
): Promise<ResourceRestoreProgress | undefined> {
  return client.withDeadline(Date.now() + 5000, () => handle.query(resourceRestoreProgress)).catch(() => undefined);
}
