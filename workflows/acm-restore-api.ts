import type { CleanupReport } from '../activities/acm/hub-cleanup.js';
import type { AutoImportReport } from '../activities/acm/hub-restore.js';
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { AcmRestorePlan } from '../core/acm/restore-plan.js';
import type { AcmRestoreStepKind, AcmStepResult } from '../core/acm/restore-run.js';
import type { RunbookProgress } from '../core/runbook.js';

/**
 * What the ACM hub restore workflow accepts and answers: its input, its progress query and (from the runbook engine)
 * the operator updates approve, retry and abort. Clients import these definitions (they carry no workflow code).
 */

export type { AcmRestoreInput, AcmRestoreStepKind, AcmStepResult } from '../core/acm/restore-run.js';
export { abortRestore, approveRestore, retryRestore } from './runbook-api.js';

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
  /** What the cleanup deleted (`--cleanup-before-restore restored|all`; in a sync, its last round's). */
  cleanup?: CleanupReport;
  /** A passive sync's state: set while it runs and kept after its activation. */
  sync?: AcmSyncProgress;
}

export interface AcmSyncProgress {
  intervalMs: number;
  /** Looks for newer backups so far, over every run of the sync (it continues as new). */
  rounds: number;
  /** Rounds that found a newer credentials or resources backup and restored it. */
  restoredRounds: number;
  /** The backups restored last. */
  restored: AcmRestorePlan['backups'];
  lastCheckAt?: string;
  /** When the next look is due, while the sync waits. */
  nextCheckAt?: string;
  /** The last round's failure (the sync goes on and looks again at the next round). */
  lastError?: string;
  /** Who activated it, and when: the sync then runs the activation and ends. */
  activatedBy?: string;
}

/** The operator's activation of a passive sync (`lifeboat restore acm activate HUB`). */
export interface ActivateRequest {
  by: string;
  /** Activate although the old hub wrote a recent set, for this reason (as --old-hub-gone). */
  oldHubGone?: string;
}

export type AcmRestoreResult = AcmRestoreProgress;

export const acmRestoreProgress = defineQuery<AcmRestoreProgress>('progress');

/** Ends a passive sync's waiting: plan the latest of every type, then the activation. Refused when not syncing. */
export const activateAcmRestore = defineUpdate<string, [ActivateRequest]>('activate');
