/**
 * Every failure type Lifeboat throws, by what a caller can do about it. Workflows and activities name types through
 * these constants only; the CLI and tests read them back from the failure.
 */

/**
 * Failures that no retry can fix: activities throw them non-retryable with a message that says what to change,
 * and workflows list them in nonRetryableErrorTypes as a second line of defence.
 */
export const FailureTypes = {
  InvalidConfig: 'InvalidConfig',
  MissingCredentials: 'MissingCredentials',
  StorageAccessDenied: 'StorageAccessDenied',
  BucketNotFound: 'BucketNotFound',
  BackupNotFound: 'BackupNotFound',
  ChecksumMismatch: 'ChecksumMismatch',
  SnapshotJobFailed: 'SnapshotJobFailed',
  RestoreJobFailed: 'RestoreJobFailed',
  RevisionMismatch: 'RevisionMismatch',
  /** A resource restore's options that do not fit the backup or the target (a mapping, a filter, a kind). */
  InvalidRestoreRequest: 'InvalidRestoreRequest',
  /** The restore identity may not create or patch some kinds it would restore (preflight's access review). */
  RestorePermissionDenied: 'RestorePermissionDenied',
  /** Another restore of the same cluster (etcd or resources) is running. */
  RestoreConflict: 'RestoreConflict',
  /** An ACM hub restore would activate while the hub that wrote the backups still writes them. */
  OldHubAlive: 'OldHubAlive',
} as const;

export type FailureType = keyof typeof FailureTypes;

export const nonRetryableFailureTypes: string[] = Object.values(FailureTypes);

/** Failures that a later attempt may not see (a member restarting): thrown retryable, so the activity retries. */
export const TransientFailureTypes = {
  EtcdUnavailable: 'EtcdUnavailable',
  /** The cluster's own API did not answer (a resource backup's discovery or listing): the next attempt may reach it. */
  KubernetesApiUnavailable: 'KubernetesApiUnavailable',
} as const;

/** How a workflow ends when it does not succeed; each message says what state the cluster was left in. */
export const OutcomeTypes = {
  /** A backup whose attempts ran past its `giveUpAfter`. */
  BackupGaveUp: 'BackupGaveUp',
  /** A restore that stopped before its first step: nothing was changed. */
  RestoreRefused: 'RestoreRefused',
  /** A restore that failed before its point of no return and undid what it had done. */
  RestoreRolledBack: 'RestoreRolledBack',
  /** A restore an operator aborted (or whose approval was refused). */
  RestoreAborted: 'RestoreAborted',
  /** A restore whose approval gate was not answered in time. */
  ApprovalTimedOut: 'ApprovalTimedOut',
  /** An ACM hub backup that found another hub's newer set in its history: nothing written, the schedule paused. */
  BackupCollision: 'BackupCollision',
} as const;
