import { ParentClosePolicy, startChild, workflowInfo } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError, type RetryPolicy } from '@temporalio/common';
import { nonRetryableFailureTypes } from '../core/failure-types.js';
import { workflowIds } from '../core/naming.js';
import { TemporalScheduledStartTime } from '../core/search-attributes.js';
import { retention } from './retention.js';

/**
 * What every backup workflow does alike, whatever it backs up: the time it is named by, and the retention sweep it
 * starts once the backup exists (ARCHITECTURE.md, "Names" and "Adding a kind of backup").
 */

/** Retries of a backup's long step (the upload): ten attempts with backoff up to 2 minutes, about 12 minutes. */
export const uploadRetry: RetryPolicy = {
  initialInterval: '5s',
  backoffCoefficient: 2,
  maximumInterval: '2m',
  maximumAttempts: 10,
  nonRetryableErrorTypes: nonRetryableFailureTypes,
};

/** Retries of its commit (a few small PUTs, idempotent): worth many attempts, the data is already stored. */
export const commitRetry: RetryPolicy = {
  initialInterval: '2s',
  maximumInterval: '1m',
  maximumAttempts: 20,
  nonRetryableErrorTypes: nonRetryableFailureTypes,
};

/**
 * The backup's nominal time: the schedule's (TemporalScheduledStartTime), else the caller's trigger time of a one-off
 * backup, else the run's start. Never the clock at a later point: a retry or a replay must find its own backup.
 */
export function nominalTime(input: { requestedAt?: string }): { time: Date; oneOff: boolean } {
  const scheduled = workflowInfo().typedSearchAttributes.get(TemporalScheduledStartTime);
  if (scheduled) return { time: scheduled, oneOff: false };
  return { time: input.requestedAt ? new Date(input.requestedAt) : workflowInfo().startTime, oneOff: true };
}

/** Every new backup may push an old one out: start the policy's retention sweep, unless one is already running. */
export async function startRetention(cluster: string, policy: string): Promise<void> {
  try {
    await startChild(retention, {
      args: [{ cluster, policy }],
      workflowId: workflowIds.retention(cluster, policy),
      parentClosePolicy: ParentClosePolicy.ABANDON,
      staticSummary: `retention of ${cluster}/${policy} after a backup`,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
