import type { Client, WorkflowHandle } from '@temporalio/client';
import { etcdRestoreProgress, type EtcdRestoreProgress } from '../../../workflows/etcd-restore-api.js';

/** The progress query, bounded: a closed workflow is answered by replay on a worker, and there may be none. */
export function queryProgress(client: Client, handle: WorkflowHandle): Promise<EtcdRestoreProgress | undefined> {
  return client.withDeadline(Date.now() + 5000, () => handle.query(etcdRestoreProgress)).catch(() => undefined);
}
