import { ActivityFailure, ChildWorkflowFailure, TemporalFailure, TimeoutFailure } from '@temporalio/common';

/**
 * The failure that says what went wrong. Temporal wraps an activity's or a child workflow's own error (in
 * ActivityFailure, ChildWorkflowFailure) and a timeout carries the last attempt's failure as its cause; those wrappers
 * say only where it happened. Unwraps them; anything else (an ApplicationFailure, a cancellation) is the answer.
 */
export function rootCause(err: unknown): unknown {
  let failure = err;
  while (isWrapper(failure) && failure.cause) failure = failure.cause;
  return failure;
}

function isWrapper(err: unknown): err is TemporalFailure {
  return err instanceof ActivityFailure || err instanceof ChildWorkflowFailure || err instanceof TimeoutFailure;
}

/** The message of rootCause(err), for a person to read. */
export function failureMessage(err: unknown): string {
  const cause = rootCause(err);
  if (cause instanceof Error) return cause.message || (err instanceof Error ? err.message : '') || cause.name;
  return String(cause);
}
