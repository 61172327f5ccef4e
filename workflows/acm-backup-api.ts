import type { LabelResult } from '../activities/acm/credential-labels.js';
import { defineQuery } from '@temporalio/workflow';
import type { AcmBackupType } from '../core/acm/backup-selection.js';

/** What the ACM hub backup workflow accepts and answers; clients import these (they carry no workflow code). */

export interface AcmBackupInput {
  cluster: string;
  /** The acmBackups policy. */
  policy: string;
  /** For one-off sets: the trigger time (ISO-8601) chosen by the caller, so a re-run names the same set. */
  requestedAt?: string;
}

export type AcmBackupPhase = 'planning' | 'labelling' | 'backing-up' | 'done' | 'collision';

export interface AcmTypedResult {
  type: AcmBackupType;
  backup: string;
  outcome?: string;
  items?: number;
}

export interface AcmBackupProgress {
  /** The set's nominal time (ISO-8601), which every typed backup's name carries. */
  set: string;
  phase: AcmBackupPhase;
  hub?: string;
  typed: AcmTypedResult[];
  skipped: AcmBackupType[];
  /** The credential labels set before the backups (the operator's pre-backup step), and those the API refused. */
  labels?: LabelResult;
}

export const acmBackupProgress = defineQuery<AcmBackupProgress>('progress');
