import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { RestoreStep, RestoreStepKind } from '../core/restore-plan.js';

/**
 * What the etcd restore workflow accepts and answers: its request, its progress query and its operator updates.
 * Clients import these definitions (they carry no workflow code).
 */

// The request is core's (activities read it too); the workflow's API re-exports it for its clients.
export type { EtcdRestoreRequest } from '../core/etcd-restore-request.js';

export type RestoreStepState = 'pending' | 'running' | 'done' | 'failed' | 'waiting' | 'rolled-back';

export interface RestoreStepProgress extends RestoreStep {
  state: RestoreStepState;
  startedAt?: string;
  endedAt?: string;
  error?: string;
}

export type RestorePhase =
  | 'planning'
  | RestoreStepKind
  | 'waiting-for-approval'
  | 'waiting-for-operator'
  | 'rolling-back'
  | 'completed'
  | 'rolled-back'
  | 'aborted';

export interface EtcdRestoreProgress {
  cluster: string;
  /** The backup name, or the object key for a foreign snapshot; known once planned. */
  backup?: string;
  phase: RestorePhase;
  steps: RestoreStepProgress[];
  /** Set while the workflow waits for a person: what for, and what to run. */
  waiting?: { for: 'approval' | 'operator'; hint: string };
  approvedBy?: string;
  lastError?: string;
}

export interface EtcdRestoreResult {
  cluster: string;
  backup: string;
  revision: string;
  members: string[];
  steps: RestoreStepProgress[];
}

export interface OperatorDecision {
  by: string;
  reason?: string;
}

export const etcdRestoreProgress = defineQuery<EtcdRestoreProgress>('progress');
/** Lets a restore waiting at its approval gate go on. */
export const approveRestore = defineUpdate<string, [OperatorDecision]>('approve');
/** Runs a step that kept failing after the point of no return once more. */
export const retryRestore = defineUpdate<string, [OperatorDecision]>('retry');
/** Ends a restore: before the point of no return after rolling back, after it leaving the cluster paused. */
export const abortRestore = defineUpdate<string, [OperatorDecision]>('abort');
