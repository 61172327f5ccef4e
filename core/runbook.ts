/**
 * A restore runbook as data: its steps, their states, and the rule that splits it at the point of no return. Before
 * that step a failure undoes everything done so far; from it on there is no "as it was" to go back to, so a step
 * that keeps failing waits for an operator to retry or abort it. workflows/runbook.ts runs a runbook by these rules;
 * the etcd restore (core/restore-plan.ts) is one, the resource restore will be another.
 */

export interface RunbookStep<K extends string = string> {
  kind: K;
  title: string;
  /** What the step reads or changes, for the plan shown before approval. */
  touches: string[];
  /** From this step on the old data is gone: failures wait for an operator instead of rolling back. */
  pointOfNoReturn: boolean;
}

export type StepState = 'pending' | 'running' | 'done' | 'failed' | 'waiting' | 'rolled-back';

export interface StepProgress<K extends string = string> extends RunbookStep<K> {
  state: StepState;
  startedAt?: string;
  endedAt?: string;
  error?: string;
}

/** Where a runbook is: planning, one of its steps, waiting for a person, or how it ended. */
export type RunbookPhase<K extends string = string> =
  | 'planning'
  | K
  | 'waiting-for-approval'
  | 'waiting-for-operator'
  | 'rolling-back'
  | 'completed'
  | 'rolled-back'
  | 'aborted';

export interface RunbookProgress<K extends string = string> {
  phase: RunbookPhase<K>;
  steps: StepProgress<K>[];
  /** Set while the runbook waits for a person: what for, and what to run. */
  waiting?: { for: 'approval' | 'operator' | 'activation'; hint: string };
  approvedBy?: string;
  lastError?: string;
}

/** Who approved, retried or aborted, and why: what an operator sends. */
export interface OperatorDecision {
  by: string;
  reason?: string;
}

/** Steps after the point of no return inherit it: none of them may roll back to "as it was". */
export function withPointOfNoReturn<S extends RunbookStep>(steps: readonly S[]): S[] {
  const cut = steps.findIndex((s) => s.pointOfNoReturn);
  return steps.map((s, i) => ({ ...s, pointOfNoReturn: cut >= 0 && i >= cut }));
}

/** The step that is the point of no return (the first that cannot roll back), if the runbook has one. */
export function pointOfNoReturn<K extends string>(steps: readonly RunbookStep<K>[]): K | undefined {
  return steps.find((s) => s.pointOfNoReturn)?.kind;
}

/** What a failing step leads to: undoing what was done before the point of no return, an operator's call after. */
export function onFailure(step: Pick<RunbookStep, 'pointOfNoReturn'>): 'roll-back' | 'wait-for-operator' {
  return step.pointOfNoReturn ? 'wait-for-operator' : 'roll-back';
}

/** Every step of a fresh plan, not started yet. */
export function pendingSteps<K extends string>(plan: readonly RunbookStep<K>[]): StepProgress<K>[] {
  return plan.map((s) => ({ ...s, state: 'pending' }));
}

// A step's transitions, each a new value: the progress query answers whatever the workflow holds at that moment.

export function stepStarted<K extends string>(step: StepProgress<K>, at: string): StepProgress<K> {
  const { error: _, ...rest } = step;
  return { ...rest, state: 'running', startedAt: at };
}

export function stepDone<K extends string>(step: StepProgress<K>, at: string): StepProgress<K> {
  return { ...step, state: 'done', endedAt: at };
}

export function stepFailed<K extends string>(step: StepProgress<K>, at: string, error: string): StepProgress<K> {
  return { ...step, state: 'failed', endedAt: at, error };
}

/** Waiting for a person: at a gate from `at` on, or (without it) a failed step waiting to be retried. */
export function stepWaiting<K extends string>(step: StepProgress<K>, at?: string): StepProgress<K> {
  return at === undefined ? { ...step, state: 'waiting' } : { ...step, state: 'waiting', startedAt: at };
}

// Why a runbook ended, as the failure message says it. `subject` starts each ("restore of c1").

/** "aborted by ada (wrong backup)". */
export function abortedBy(decision: OperatorDecision): string {
  return `aborted by ${decision.by}${decision.reason ? ` (${decision.reason})` : ''}`;
}

/** Stopped before anything was changed (planning, a check, the approval gate). */
export function refusedMessage(subject: string, stage: string, message: string): string {
  return `${subject} refused in ${stage}: ${message}${/nothing was changed/i.test(message) ? '' : ' Nothing was changed.'}`;
}

export function notApprovedMessage(subject: string, why: string, leftAs = 'nothing was changed'): string {
  return `${subject} ${why}; ${leftAs}`;
}

/** Rolled back before the point of no return; `state` says what everything is like now. */
export function rolledBackMessage(
  subject: string,
  why: { cancelled: true } | { error: string },
  state: string,
): string {
  const what = 'cancelled' in why ? 'was cancelled' : `failed before the point of no return: ${why.error}`;
  return `${subject} ${what}. ${state}`;
}

/** What an abort after the point of no return leaves behind, and how to finish the job. */
export interface Stranded {
  /** What stays as the runbook left it ("The cluster stays paused: ..."). */
  state: string;
  /** What to run once the cause is fixed. */
  next: string;
}

export function abortedMessage(
  subject: string,
  at: { kind: string; why: string; lastError: string | undefined },
  stranded: Stranded,
): string {
  return (
    `${subject} stopped at "${at.kind}" after the point of no return: ${at.why}. ` +
    `${stranded.state}. Last error: ${at.lastError ?? 'none'}. ${stranded.next}`
  );
}

const stateMarks: Record<StepState, string> = {
  pending: '·',
  running: '▶',
  done: '✓',
  failed: '✗',
  waiting: '⏸',
  'rolled-back': '↩',
};

/** The UI's "current details": a heading, then the runbook with each step's state. */
export function renderRunbook(heading: string, progress: RunbookProgress): string {
  const cut = pointOfNoReturn(progress.steps);
  const lines = [heading, ''];
  for (const s of progress.steps) {
    lines.push(`${stateMarks[s.state]} ${s.kind}: ${s.title}${s.kind === cut ? ' (point of no return)' : ''}`);
    if (s.error) lines.push(`    error: ${s.error}`);
  }
  if (progress.waiting) lines.push('', `Waiting for ${progress.waiting.for}: ${progress.waiting.hint}`);
  return lines.join('\n');
}
