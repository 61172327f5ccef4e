import { ApplicationFailure, CancelledFailure, TerminatedFailure, TimeoutFailure } from '@temporalio/client';
import { failureMessage } from '../../../core/failures.js';
import { workflowFailureCause } from '../../temporal.js';

export interface RestoreFailure {
  type?: string;
  message: string;
}

/**
 * How a restore ended, when it did not complete: its own failure (the message says what state the cluster is in) or
 * what ended the workflow from outside (terminated, cancelled, timed out), typed so a person sees which at a glance.
 */
export function restoreFailure(err: unknown): RestoreFailure {
  const cause = workflowFailureCause(err);
  if (cause instanceof ApplicationFailure)
    return { ...(cause.type ? { type: cause.type } : {}), message: failureMessage(cause) };
  if (cause instanceof TerminatedFailure)
    return { type: 'Terminated', message: `the workflow was terminated${cause.message ? ` (${cause.message})` : ''}` };
  if (cause instanceof CancelledFailure) return { type: 'Cancelled', message: 'the workflow was cancelled' };
  if (cause instanceof TimeoutFailure) return { type: 'TimedOut', message: 'the workflow timed out' };
  return { message: failureMessage(cause) };
}

/** `(Type): message`, as the follow and status outputs say it after their own prefix. */
export function formatFailure(failure: RestoreFailure): string {
  return `${failure.type ? ` (${failure.type})` : ''}: ${failure.message}`;
}
