import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { AcmTypedBackup } from '../core/acm/hub-backup.js';
import type { ResourceBackupCounters } from '../core/resources/model.js';

/**
 * What the resource backup workflow accepts and answers: its input, its progress query, and the progress signal its
 * archive activity sends (a workflow cannot read its activity's heartbeats, and its current details should show
 * "resource N of M, items, bytes" live). Clients and activities import these definitions (they carry no workflow code).
 */

export interface ResourceBackupInput {
  cluster: string;
  policy: string;
  /** For one-off backups: the trigger time (ISO-8601) chosen by the caller, so a re-run names the same backup. */
  requestedAt?: string;
  /**
   * Set when this is one typed backup of an ACM hub backup set (workflows/acm-backup.ts): `policy` is then the typed
   * name (`<acm policy>-<type>`), the selection is this, not a resourceBackups policy's, and retention is the set's.
   */
  acm?: AcmTypedBackup;
}

export type ResourceBackupPhase = 'archiving' | 'committing' | 'done';

export interface ResourceBackupProgress extends ResourceBackupCounters {
  backup: string;
  phase: ResourceBackupPhase;
  manifestKey?: string;
}

export const resourceBackupProgress = defineQuery<ResourceBackupProgress>('progress');

/** Sent by the archive activity every few seconds (throttled), so the workflow's details follow the listing. */
export const resourceBackupCounters = defineSignal<[ResourceBackupCounters]>('counters');
