import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { PlannedSkip } from '../core/resources/restore-plan.js';
import type {
  OutcomeCounts,
  ResourceRestoreOutcome,
  RestoreSource,
  StepCounters,
  StepReport,
  StepSummary,
} from '../core/resources/restore-run.js';
import type { RunbookProgress } from '../core/runbook.js';
import type { ResourceRestoreStepKind } from '../core/resources/restore-runbook.js';

/**
 * What the resource restore workflow accepts and answers: its request, its progress query and (from the runbook
 * engine) the operator updates approve, retry and abort. Clients import these definitions (they carry no workflow code).
 */

export type { ResourceRestoreRequest } from '../core/resources/restore-run.js';
export { abortRestore, approveRestore, retryRestore } from './runbook-api.js';

export { restoreStepKind, type ResourceRestoreStepKind } from '../core/resources/restore-runbook.js';

export interface ResourceRestoreProgress extends RunbookProgress<ResourceRestoreStepKind> {
  target: string;
  restore: string;
  dryRun: boolean;
  /** Known once planned. */
  backup?: string;
  source?: RestoreSource;
  planned: number;
  counts: OutcomeCounts;
  /** The step running now, as its activity last reported it. */
  current?: { groupResource: string; done: number; total: number };
}

export interface ResourceRestoreResult {
  target: string;
  restore: string;
  backup: string;
  source: RestoreSource;
  dryRun: boolean;
  outcome: ResourceRestoreOutcome;
  counts: OutcomeCounts;
  plan: StepSummary[];
  steps: StepReport[];
  /** What the plan left out, grouped (whole resources, namespaces, items), each with its reason. */
  skipped: PlannedSkip[];
  warnings: string[];
  /** The record in the bucket (lifeboat-restore.json), when the restore kept one. */
  recordKey?: string;
}

export const resourceRestoreProgress = defineQuery<ResourceRestoreProgress>('progress');

/** Sent by the step activity every few seconds (activities cannot import workflows/: the name is repeated there). */
export const resourceRestoreCounters = defineSignal<[StepCounters]>('restore-counters');
