import { defineQuery } from '@temporalio/workflow';
import type { RestoreStepKind } from '../core/restore-plan.js';
import type { RunbookPhase, RunbookProgress, StepProgress, StepState } from '../core/runbook.js';

/**
 * What the etcd restore workflow accepts and answers: its request, its progress query and its operator updates.
 * Clients import these definitions (they carry no workflow code).
 */

// The request is core's (activities read it too); the workflow's API re-exports it for its clients.
export type { EtcdRestoreRequest } from '../core/etcd-restore-request.js';
export type { OperatorDecision } from '../core/runbook.js';
export { abortRestore, approveRestore, retryRestore } from './runbook-api.js';

export type RestoreStepState = StepState;
export type RestoreStepProgress = StepProgress<RestoreStepKind>;
export type RestorePhase = RunbookPhase<RestoreStepKind>;

export interface EtcdRestoreProgress extends RunbookProgress<RestoreStepKind> {
  cluster: string;
  /** The backup name, or the object key for a foreign snapshot; known once planned. */
  backup?: string;
}

export interface EtcdRestoreResult {
  cluster: string;
  backup: string;
  revision: string;
  members: string[];
  steps: RestoreStepProgress[];
}

export const etcdRestoreProgress = defineQuery<EtcdRestoreProgress>('progress');
