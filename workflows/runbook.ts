import type { Duration, SearchAttributeUpdatePair } from '@temporalio/common';
import {
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  condition,
  isCancellation,
  setHandler,
  upsertSearchAttributes,
  type QueryDefinition,
} from '@temporalio/workflow';
import { OutcomeTypes } from '../core/failure-types.js';
import { failureMessage, rootCause } from '../core/failures.js';
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
  type OperatorDecision,
  type RunbookPhase,
  type RunbookProgress,
  type RunbookStep,
  type StepProgress,
  type Stranded,
} from '../core/runbook.js';
import { trackPhases, type Phases } from './phase.js';
import { abortRestore, approveRestore, retryRestore } from './runbook-api.js';

/** What a runbook says to people: in failure messages, the UI's current details and the hints at its gates. */
export interface RunbookTexts<P> {
  /** Starts every failure message: "restore of c1". */
  subject: string;
  /** The first line of the UI's current details. */
  heading: (progress: P) => string;
  /** What to run when the runbook waits at its approval gate, and for an operator after a failure. */
  hints: { approval: string; operator: string };
}

/** How a runbook that does not complete leaves things: known once it is planned. */
export interface RunbookOutcomes {
  /** After a rollback before the point of no return. */
  rolledBack: string;
  /** After an abort past the point of no return, asked at that moment. */
  stranded: () => Stranded;
}

/** How a step before the point of no return is undone in a rollback. */
export type Undo<T> =
  /** Once the step succeeded, from what it returned. */
  | { undo: (result: T) => Promise<unknown> }
  /** Even if it failed: for a step that can fail half-way (a scale-down that stopped some pods). */
  | { undoEvenIfFailed: () => Promise<unknown> };

type Decision = { action: 'retry' | 'abort' } & OperatorDecision;

const now = () => new Date(Date.now()).toISOString();

/**
 * Runs a restore runbook by the rules of core/runbook.ts, with its bookkeeping: the progress the query answers, the
 * phase, the UI's current details, the approval gate, the undo stack and the operator's retry or abort. The workflow
 * says only what each step does; this says what happens when one fails.
 */
export class Runbook<K extends string, P extends RunbookProgress<K>> {
  /** Operator retries so far: a step run again gets a new generation, so the Jobs it starts get fresh names. */
  retries = 0;
  private approval: OperatorDecision | undefined;
  private decision: Decision | undefined;
  private readonly undos: { kind: K; run: () => Promise<unknown> }[] = [];
  private outcomes: RunbookOutcomes | undefined;
  private readonly phases: Phases<RunbookPhase<K>>;
  /** The failure an abort inside a step ended the runbook with: it passes through the step's own failure handling. */
  private ended: ApplicationFailure | undefined;

  constructor(
    query: QueryDefinition<P>,
    readonly progress: P,
    private readonly texts: RunbookTexts<P>,
  ) {
    this.phases = trackPhases<RunbookPhase<K>>({
      progress,
      render: () => renderRunbook(texts.heading(progress), progress),
    });
    setHandler(query, () => progress);
    this.handleOperators();
  }

  /** Says which run this is (its search attributes), then starts planning. */
  begin(identity: SearchAttributeUpdatePair[]): void {
    upsertSearchAttributes(identity);
    this.enter('planning');
  }

  /** Work before there is a plan (finding the backup, inspecting the cluster): a failure refuses the runbook. */
  async refusing<T>(stage: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (err) {
      throw this.refused(stage, err);
    }
  }

  plan(steps: readonly RunbookStep<K>[], outcomes: RunbookOutcomes): void {
    this.progress.steps = pendingSteps(steps);
    this.outcomes = outcomes;
  }

  /**
   * A new plan for a runbook that is under way (a passive sync planning its activation): the steps it shares with
   * the old plan keep their progress.
   */
  replan(steps: readonly RunbookStep<K>[]): void {
    const before = new Map(this.progress.steps.map((s) => [s.kind, s]));
    this.progress.steps = pendingSteps(steps).map((s) => {
      const old = before.get(s.kind);
      return old ? { ...s, ...old, title: s.title } : s;
    });
  }

  /** A step already done by an earlier run (a continued sync): shown done, with why, without running it. */
  doneBefore(kind: K, why: string): void {
    this.planned(kind);
    this.update(kind, (s) => ({ ...stepDone(s, now()), title: `${s.title} (${why})` }));
  }

  /**
   * A long wait inside a running step (a sync between its rounds) for `until`, at most `timeout`, that an operator
   * may end with abort, which ends the runbook aborted. True when `until` came true.
   */
  async waitOrAbort(kind: K, timeout: Duration, until: () => boolean, waiting: { for: 'activation'; hint: string }) {
    this.decision = undefined;
    this.progress.waiting = waiting;
    try {
      const answered = await condition(() => until() || this.decision?.action === 'abort', timeout);
      // Set by the abort handler meanwhile, which the compiler cannot see.
      const decision = this.decision as Decision | undefined;
      if (decision?.action === 'abort') throw (this.ended = this.aborted(kind, abortedBy(decision)));
      return answered;
    } finally {
      delete this.progress.waiting;
    }
  }

  /** A step that only reads (preflight): a failure refuses the runbook, since nothing has changed yet. */
  check<T>(kind: K, action: () => Promise<T>): Promise<T> {
    return this.refusing(kind, () => this.run(kind, action));
  }

  /**
   * The approval gate, if the plan has one: an abort or no answer within `timeout` ends the runbook, as `leftAs` says
   * (unchanged, for a gate before the first write).
   */
  async gate(kind: K, timeout: Duration, leftAs?: string): Promise<void> {
    if (!this.progress.steps.some((s) => s.kind === kind)) return;
    this.update(kind, (s) => stepWaiting(s, now()));
    this.progress.waiting = { for: 'approval', hint: this.texts.hints.approval };
    this.enter('waiting-for-approval');
    const answered = await condition(() => this.approval !== undefined || this.decision?.action === 'abort', timeout);
    delete this.progress.waiting;
    const at = now();
    const { approval, decision } = this;
    if (approval) {
      this.update(kind, (s) => ({ ...stepDone(s, at), title: `approved by ${approval.by}` }));
      return;
    }
    const why = answered && decision ? abortedBy(decision) : `not approved within ${String(timeout)}`;
    this.update(kind, (s) => stepFailed(s, at, why));
    this.enter('aborted');
    throw ApplicationFailure.create({
      type: answered ? OutcomeTypes.RestoreAborted : OutcomeTypes.ApprovalTimedOut,
      nonRetryable: true,
      message: notApprovedMessage(this.texts.subject, why, leftAs),
    });
  }

  /**
   * A step that changes something. Before the point of no return a failure or a cancellation undoes the steps done
   * so far, newest first, and ends the runbook rolled back; from it on the step runs until it succeeds or an operator
   * aborts.
   */
  async change<T>(kind: K, action: () => Promise<T>, undo?: Undo<T>): Promise<T> {
    if (onFailure(this.planned(kind)) === 'wait-for-operator') {
      if (undo) throw new Error(`step ${kind} is past the point of no return: it cannot have an undo`);
      // A cancellation that arrived while the last step was finishing still counts: never cross the point of no
      // return with a cancel pending.
      if (kind === pointOfNoReturn(this.progress.steps) && CancellationScope.current().consideredCancelled)
        throw await this.rollBack(new CancelledFailure('cancelled before the point of no return'));
      return this.untilDone(kind, action);
    }
    try {
      if (undo && 'undoEvenIfFailed' in undo) this.undos.push({ kind, run: undo.undoEvenIfFailed });
      const result = await this.run(kind, action);
      if (undo && 'undo' in undo) this.undos.push({ kind, run: () => undo.undo(result) });
      return result;
    } catch (err) {
      throw await this.rollBack(err);
    }
  }

  complete(): void {
    this.enter('completed');
  }

  private enter(phase: RunbookPhase<K>): void {
    this.phases.enter(phase);
  }

  /** Runs one step with its bookkeeping: state, times, phase and the UI's current details. */
  private async run<T>(kind: K, action: () => Promise<T>): Promise<T> {
    this.planned(kind);
    this.update(kind, (s) => stepStarted(s, now()));
    this.enter(kind);
    try {
      const result = await action();
      this.update(kind, (s) => stepDone(s, now()));
      return result;
    } catch (err) {
      const error = failureMessage(err);
      this.update(kind, (s) => stepFailed(s, now(), error));
      this.progress.lastError = error;
      throw err;
    }
  }

  /** Past the point of no return: each failure waits for an operator to retry the step or abort the runbook. */
  private async untilDone<T>(kind: K, action: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await this.run(kind, action);
      } catch (err) {
        if (err === this.ended) throw err;
        if (isCancellation(err)) throw this.aborted(kind, 'the workflow was cancelled');
        const decision = await this.operatorDecision(kind);
        if (decision.action === 'abort') throw this.aborted(kind, abortedBy(decision));
        this.retries += 1;
      }
    }
  }

  private async operatorDecision(kind: K): Promise<Decision> {
    this.decision = undefined;
    this.progress.waiting = { for: 'operator', hint: this.texts.hints.operator };
    this.update(kind, (s) => stepWaiting(s));
    this.enter('waiting-for-operator');
    let decision: Decision | undefined;
    try {
      await condition(() => (decision = this.decision) !== undefined);
    } catch (cancelled) {
      if (isCancellation(cancelled)) throw this.aborted(kind, 'the workflow was cancelled');
      throw cancelled;
    } finally {
      delete this.progress.waiting;
    }
    return decision!;
  }

  /** Undoes what was done, newest first, whatever cancellation is pending: a cluster left half-paused is worse. */
  private async rollBack(err: unknown): Promise<ApplicationFailure> {
    this.enter('rolling-back');
    await CancellationScope.nonCancellable(async () => {
      for (const { kind, run } of this.undos.reverse()) {
        await run();
        this.update(kind, (s) => ({ ...s, state: 'rolled-back' }));
      }
    });
    this.enter('rolled-back');
    return ApplicationFailure.create({
      type: OutcomeTypes.RestoreRolledBack,
      nonRetryable: true,
      message: rolledBackMessage(
        this.texts.subject,
        isCancellation(err) ? { cancelled: true } : { error: failureMessage(err) },
        this.outcomes!.rolledBack,
      ),
      cause: err instanceof Error ? err : undefined,
    });
  }

  private aborted(kind: K, why: string): ApplicationFailure {
    this.update(kind, (s) => ({ ...s, state: 'failed' }));
    this.enter('aborted');
    return ApplicationFailure.create({
      type: OutcomeTypes.RestoreAborted,
      nonRetryable: true,
      message: abortedMessage(
        this.texts.subject,
        { kind, why, lastError: this.progress.lastError },
        this.outcomes!.stranded(),
      ),
    });
  }

  /** Ended before anything changed: the cause's own type and message, and that nothing changed. */
  private refused(stage: string, err: unknown): unknown {
    if (isCancellation(err)) return err;
    const cause = rootCause(err);
    return ApplicationFailure.create({
      type: (cause instanceof ApplicationFailure ? cause.type : undefined) ?? OutcomeTypes.RestoreRefused,
      nonRetryable: true,
      message: refusedMessage(this.texts.subject, stage, failureMessage(err)),
    });
  }

  private planned(kind: K): StepProgress<K> {
    const step = this.progress.steps.find((s) => s.kind === kind);
    if (!step) throw new Error(`step ${kind} is not in the plan`);
    return step;
  }

  private update(kind: K, change: (step: StepProgress<K>) => StepProgress<K>): void {
    const i = this.progress.steps.findIndex((s) => s.kind === kind);
    const step = this.progress.steps[i];
    if (step) this.progress.steps[i] = change(step);
  }

  private handleOperators(): void {
    const { progress } = this;
    setHandler(
      approveRestore,
      (by) => {
        this.approval = by;
        progress.approvedBy = by.by;
        return `approved by ${by.by}`;
      },
      {
        validator: (_decision: OperatorDecision) => {
          if (progress.waiting?.for !== 'approval') throw new Error('this restore is not waiting for approval');
        },
        description: 'Approve the restore waiting at its approval gate: { by }',
      },
    );
    const decide = (action: Decision['action']) => (by: OperatorDecision) => {
      this.decision = { action, ...by };
      return `${action} requested by ${by.by}`;
    };
    setHandler(retryRestore, decide('retry'), {
      validator: (_decision: OperatorDecision) => {
        if (progress.waiting?.for !== 'operator') throw new Error('no step is waiting for an operator to retry it');
      },
      description: 'Run the failed step again: { by }',
    });
    setHandler(abortRestore, decide('abort'), {
      validator: (_decision: OperatorDecision) => {
        if (!progress.waiting) throw new Error('this restore is not waiting for an operator; cancel it instead');
      },
      description: 'End the restore (after the point of no return the cluster stays paused): { by, reason? }',
    });
  }
}
