import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure, TimeoutFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { failureMessage, rootCause } from '../../core/failures.js';

const app = ApplicationFailure.create({ type: 'BackupNotFound', message: 'no backup named b1', nonRetryable: true });
const inActivity = (cause: Error) =>
  new ActivityFailure('activity failed', 'readManifest', '3', 'NON_RETRYABLE_FAILURE', undefined, cause);

describe('rootCause', () => {
  it("unwraps an activity's failure to the activity's own error", () => {
    expect(rootCause(inActivity(app))).toBe(app);
  });

  it('unwraps a child workflow and a timeout that carries the last attempt', () => {
    // As the SDK decodes one: the constructor takes no cause, the failure converter sets it.
    const timeout = Object.assign(new TimeoutFailure('activity timeout', undefined, 'SCHEDULE_TO_CLOSE'), {
      cause: app,
    });
    const child = new ChildWorkflowFailure(
      'default',
      { workflowId: 'w', runId: 'r' },
      'etcdBackup',
      'TIMEOUT',
      inActivity(timeout),
    );
    expect(rootCause(child)).toBe(app);
  });

  it('stops at a timeout without a cause, and at an application failure that has one', () => {
    const bare = new TimeoutFailure('activity timeout', undefined, 'HEARTBEAT');
    expect(rootCause(inActivity(bare))).toBe(bare);
    const withCause = ApplicationFailure.create({ message: 'outer', cause: new Error('inner') });
    expect(rootCause(withCause)).toBe(withCause);
  });

  it('passes anything that is not a wrapper through', () => {
    const plain = new Error('plain');
    expect(rootCause(plain)).toBe(plain);
    expect(rootCause('text')).toBe('text');
  });
});

describe('failureMessage', () => {
  it("is the root cause's message", () => {
    expect(failureMessage(inActivity(app))).toBe('no backup named b1');
  });

  it("falls back to the wrapper's message when the cause has none, and stringifies non-errors", () => {
    expect(failureMessage(inActivity(new Error('')))).toBe('activity failed');
    expect(failureMessage(42)).toBe('42');
  });
});
