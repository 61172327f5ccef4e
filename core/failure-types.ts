/**
 * Failure types that no retry can fix: activities throw them non-retryable with a message that says what to change,
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
} as const;

export type FailureType = keyof typeof FailureTypes;

export const nonRetryableFailureTypes: string[] = Object.values(FailureTypes);
