import { ApplicationFailure } from '@temporalio/common';
import type { FailureType, TransientFailureTypes } from '../core/failure-types.js';

export function nonRetryable(type: FailureType, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true });
}

/** A failure the next attempt may not see: named, so callers can tell it apart, and left to the retry policy. */
export function transient(
  type: (typeof TransientFailureTypes)[keyof typeof TransientFailureTypes],
  message: string,
): ApplicationFailure {
  return ApplicationFailure.create({ type, message });
}
