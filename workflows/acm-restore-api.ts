import type { CleanupReport } from '../activities/acm/hub-cleanup.js';
import type { AutoImportReport } from '../activities/acm/hub-restore.js';
import { defineQuery } from '@temporalio/workflow';
import type { AcmRestorePlan } from '../core/acm/restore-plan.js';
import type { AcmRestoreStepKind } from '../core/acm/restore-run.js';
import type { OutcomeCounts, ResourceRestoreOutcome } from '../core/resources/restore-run.js';
import type { RunbookProgress } from '../core/runbook.js';

/**
 * What the ACM hub restore workflow accepts and answers: its input, its progress query and (from the runbook engine)
 * the operator updates approve, retry and abort. Clients import these definitions (they carry no workflow code).
 */

export type { AcmRestoreInput, AcmRestoreStepKind } from '../core/acm/restore-run.js';
export { abortRestore, approveRestore, retryRestore } from './runbook-api.js';

/** One step's resource restore, as it ended. */
export interface AcmStepResult {
  step: string;
  backup: string;
  restore: string;
  outcome: ResourceRestoreOutcome;
  counts: OutcomeCounts;
  /** Items that failed, as `<resource> <namespace>/<name>: <reason>`. */
  failed: string[];
}

export interface AcmRestoreProgress extends RunbookProgress<AcmRestoreStepKind> {
  hub: string;
  fromCluster: string;
  restore: string;
  /** Known once planned: which backup each type comes from, and the warnings of the plan. */
  plan?: AcmRestorePlan;
  results: AcmStepResult[];
  /** The activation check's finding (or the operator's override). */
  activation?: string;
  autoImport?: AutoImportReport;
  /** What the cleanup deleted (`--cleanup-before-restore restored|all`). */
  cleanup?: CleanupReport;
}

export type AcmRestoreResult = AcmRestoreProgress;

export const acmRestoreProgress = defineQuery<AcmRestoreProgress>('progress');
