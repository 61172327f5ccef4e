import { WorkflowNotFoundError } from '@temporalio/client';
import { FailureTypes } from '../core/failure-types.js';
import { workflowIds } from '../core/naming.js';
import type { ActivityDeps } from './deps.js';
import { nonRetryable } from './failures.js';

/**
 * An etcd restore and a resource restore of the same cluster never run together: the etcd restore replaces the
 * store the resource restore writes into. Each refuses to start while the other's workflow runs. An ACM hub restore,
 * made of resource restores, excludes both and is excluded by them.
 */
async function refuseWhileRunning(deps: Pick<ActivityDeps, 'temporalClient'>, id: string, message: string) {
  try {
    const description = await deps.temporalClient().workflow.getHandle(id).describe();
    if (description.status.name === 'RUNNING') throw nonRetryable(FailureTypes.RestoreConflict, message);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return;
    throw err;
  }
}

export function refuseWhileEtcdRestoreRuns(deps: Pick<ActivityDeps, 'temporalClient'>, cluster: string) {
  const id = workflowIds.etcdRestore(cluster);
  return refuseWhileRunning(
    deps,
    id,
    `an etcd restore of ${cluster} is running (workflow ${id}); restore its resources once it has ended (lifeboat restore status ${cluster} --kind etcd)`,
  );
}

export function refuseWhileAcmRestoreRuns(deps: Pick<ActivityDeps, 'temporalClient'>, cluster: string, then: string) {
  const id = workflowIds.acmRestore(cluster);
  return refuseWhileRunning(
    deps,
    id,
    `an ACM hub restore of ${cluster} is running (workflow ${id}); ${then} once it has ended (lifeboat restore status ${cluster} --kind acm)`,
  );
}

export function refuseWhileResourceRestoreRuns(
  deps: Pick<ActivityDeps, 'temporalClient'>,
  cluster: string,
  then = 'restore etcd',
) {
  const id = workflowIds.resourceRestore(cluster);
  return refuseWhileRunning(
    deps,
    id,
    `a resource restore of ${cluster} is running (workflow ${id}); ${then} once it has ended (lifeboat restore status ${cluster} --kind resources)`,
  );
}
