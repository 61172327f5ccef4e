import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { LifeboatPhase } from '../core/search-attributes.js';

/**
 * Phase bookkeeping, the same in every workflow: the LifeboatPhase search attribute (what the UI lists and filters
 * runs by), the UI's current details, and the phase the workflow's progress query answers.
 */
export interface Phases<P extends string> {
  /**
   * Enters `phase`. `details` (passed through `render` when given) replace the UI's current details; without them
   * they stay. `alsoSet` goes into the same upsert: a run's identity with its first phase is one command, as the
   * recorded histories have it.
   */
  enter(phase: P, details?: string, alsoSet?: SearchAttributeUpdatePair[]): void;
  /** New current details within the phase (a batch further on). */
  describe(details: string): void;
}

export function trackPhases<P extends string>(
  options: {
    /** The progress a query answers: its phase follows. */
    progress?: { phase: P };
    /** The current details from what `enter` was given, e.g. a heading added, or the whole runbook redrawn. */
    render?: (details: string | undefined) => string | undefined;
  } = {},
): Phases<P> {
  const { progress, render = (details) => details } = options;
  return {
    enter(phase, details, alsoSet = []) {
      if (progress) progress.phase = phase;
      upsertSearchAttributes([...alsoSet, { key: LifeboatPhase, value: phase }]);
      const rendered = render(details);
      if (rendered !== undefined) setCurrentDetails(rendered);
    },
    describe(details) {
      setCurrentDetails(details);
    },
  };
}
