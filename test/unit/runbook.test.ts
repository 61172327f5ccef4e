import { describe, expect, it } from 'vitest';
import {
  abortedBy,
  abortedMessage,
  notApprovedMessage,
  onFailure,
  pendingSteps,
  pointOfNoReturn,
  refusedMessage,
  renderRunbook,
  rolledBackMessage,
  stepDone,
  stepFailed,
  stepStarted,
  stepWaiting,
  withPointOfNoReturn,
  type RunbookStep,
  type StepProgress,
} from '../../core/runbook.js';

const step = (kind: string, pointOfNoReturn = false): RunbookStep => ({
  kind,
  title: `do ${kind}`,
  touches: [],
  pointOfNoReturn,
});

describe('the point of no return', () => {
  it('is inherited by every step after it', () => {
    const steps = withPointOfNoReturn([
      step('check'),
      step('pause'),
      step('delete', true),
      step('restore'),
      step('up'),
    ]);
    expect(steps.map((s) => [s.kind, s.pointOfNoReturn])).toEqual([
      ['check', false],
      ['pause', false],
      ['delete', true],
      ['restore', true],
      ['up', true],
    ]);
  });

  it('a runbook without one can roll back from every step', () => {
    const steps = withPointOfNoReturn([step('a'), step('b')]);
    expect(steps.every((s) => !s.pointOfNoReturn)).toBe(true);
    expect(pointOfNoReturn(steps)).toBeUndefined();
  });

  it('is the first step that cannot roll back', () => {
    expect(pointOfNoReturn(withPointOfNoReturn([step('a'), step('b', true), step('c')]))).toBe('b');
  });

  it('splits what a failure leads to: a rollback before it, an operator from it on', () => {
    expect(onFailure(step('pause'))).toBe('roll-back');
    expect(onFailure(step('delete', true))).toBe('wait-for-operator');
  });

  it('does not change the plan it is given', () => {
    const plan = [step('a'), step('b', true), step('c')];
    withPointOfNoReturn(plan);
    expect(plan[2]!.pointOfNoReturn).toBe(false);
  });
});

describe('step transitions', () => {
  const [pending] = pendingSteps([step('restore', true)]) as [StepProgress];

  it('a fresh plan is all pending', () => {
    expect(pending).toEqual({ ...step('restore', true), state: 'pending' });
  });

  it('runs, fails with its error, and a retry clears the error but keeps the last end time', () => {
    const failed = stepFailed(stepStarted(pending, 't1'), 't2', 'Job failed');
    expect(failed).toMatchObject({ state: 'failed', startedAt: 't1', endedAt: 't2', error: 'Job failed' });
    const waiting = stepWaiting(failed);
    expect(waiting).toMatchObject({ state: 'waiting', startedAt: 't1', error: 'Job failed' });
    const retried = stepStarted(waiting, 't3');
    expect(retried).toEqual({ ...step('restore', true), state: 'running', startedAt: 't3', endedAt: 't2' });
    expect(stepDone(retried, 't4')).toMatchObject({ state: 'done', startedAt: 't3', endedAt: 't4' });
  });

  it('a gate waits from the moment it is reached', () => {
    expect(stepWaiting(pending, 't0')).toMatchObject({ state: 'waiting', startedAt: 't0' });
  });

  it('each transition is a new value: the progress already answered stays as it was', () => {
    stepStarted(pending, 't1');
    expect(pending.state).toBe('pending');
  });
});

describe('failure messages', () => {
  const subject = 'restore of c1';

  it('an operator abort names who and why', () => {
    expect(abortedBy({ by: 'ada', reason: 'wrong backup' })).toBe('aborted by ada (wrong backup)');
    expect(abortedBy({ by: 'ada' })).toBe('aborted by ada');
  });

  it('a refusal says nothing changed, once', () => {
    expect(refusedMessage(subject, 'preflight', 'sha256 differs.')).toBe(
      'restore of c1 refused in preflight: sha256 differs. Nothing was changed.',
    );
    expect(refusedMessage(subject, 'planning', 'no backup; nothing was changed')).toBe(
      'restore of c1 refused in planning: no backup; nothing was changed',
    );
  });

  it('an unanswered or aborted approval', () => {
    expect(notApprovedMessage(subject, 'not approved within 1h')).toBe(
      'restore of c1 not approved within 1h; nothing was changed',
    );
  });

  it('a rollback says why and how things are now', () => {
    expect(rolledBackMessage(subject, { cancelled: true }, 'All is as it was.')).toBe(
      'restore of c1 was cancelled. All is as it was.',
    );
    expect(rolledBackMessage(subject, { error: 'scale-down timed out' }, 'All is as it was.')).toBe(
      'restore of c1 failed before the point of no return: scale-down timed out. All is as it was.',
    );
  });

  it('an abort past the point of no return says where, why, what it left and what to run', () => {
    const stranded = { state: 'The cluster stays paused: etcd is at 0', next: 'Run the restore again.' };
    expect(
      abortedMessage(subject, { kind: 'restore-members', why: 'aborted by ada', lastError: 'boom' }, stranded),
    ).toBe(
      'restore of c1 stopped at "restore-members" after the point of no return: aborted by ada. ' +
        'The cluster stays paused: etcd is at 0. Last error: boom. Run the restore again.',
    );
    expect(abortedMessage(subject, { kind: 'x', why: 'cancelled', lastError: undefined }, stranded)).toContain(
      'Last error: none.',
    );
  });
});

describe('renderRunbook', () => {
  it('shows each step with its state, marks the point of no return, errors and what it waits for', () => {
    const steps = pendingSteps(withPointOfNoReturn([step('pause'), step('delete', true), step('restore')]));
    const progress = {
      phase: 'waiting-for-operator' as const,
      steps: [
        { ...steps[0]!, state: 'done' as const },
        { ...steps[1]!, state: 'done' as const },
        { ...steps[2]!, state: 'waiting' as const, error: 'Job failed' },
      ],
      waiting: { for: 'operator' as const, hint: 'lifeboat restore retry c1' },
    };
    expect(renderRunbook('**Restore of c1**', progress)).toBe(
      [
        '**Restore of c1**',
        '',
        '✓ pause: do pause',
        '✓ delete: do delete (point of no return)',
        '⏸ restore: do restore',
        '    error: Job failed',
        '',
        'Waiting for operator: lifeboat restore retry c1',
      ].join('\n'),
    );
  });
});
