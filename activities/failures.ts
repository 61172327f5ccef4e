import { ApplicationFailure } from '@temporalio/common';
import type { FailureType } from '../core/failure-types.js';

export function nonRetryable(type: FailureType, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true });
}
