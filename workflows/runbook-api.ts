import { defineUpdate } from '@temporalio/workflow';
import type { OperatorDecision } from '../core/runbook.js';

/**
 * The operator updates every restore runbook answers (workflows/runbook.ts registers them), so the CLI's approve,
 * retry and abort work on any of them. Clients import these definitions (they carry no workflow code).
 */

/** Lets a restore waiting at its approval gate go on. */
export const approveRestore = defineUpdate<string, [OperatorDecision]>('approve');
/** Runs a step that kept failing after the point of no return once more. */
export const retryRestore = defineUpdate<string, [OperatorDecision]>('retry');
/** Ends a restore: before the point of no return after rolling back, after it leaving the cluster paused. */
export const abortRestore = defineUpdate<string, [OperatorDecision]>('abort');
