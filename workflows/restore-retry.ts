import type { RetryPolicy } from '@temporalio/workflow';
import { nonRetryableFailureTypes } from '../core/failure-types.js';

/**
 * How a restore's activities are retried, etcd's and resource restores' alike: a few quick attempts for what a retry
 * can fix (an API or a store that blinked), never for the failures whose type says a retry cannot (bad input, no
 * access, a damaged backup); past them the runbook asks an operator.
 */
export const restoreActivityRetry: RetryPolicy = {
  initialInterval: '2s',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  maximumAttempts: 5,
  nonRetryableErrorTypes: nonRetryableFailureTypes,
};
