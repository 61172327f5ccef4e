import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** The typed search attributes Lifeboat sets on its workflows; `lifeboat setup` and the dev stack register them. */
export const LifeboatCluster = defineSearchAttributeKey('LifeboatCluster', SearchAttributeType.KEYWORD);
export const LifeboatPolicy = defineSearchAttributeKey('LifeboatPolicy', SearchAttributeType.KEYWORD);
export const LifeboatKind = defineSearchAttributeKey('LifeboatKind', SearchAttributeType.KEYWORD);
export const LifeboatPhase = defineSearchAttributeKey('LifeboatPhase', SearchAttributeType.KEYWORD);
export const LifeboatBackup = defineSearchAttributeKey('LifeboatBackup', SearchAttributeType.KEYWORD);

/** Set by the server on every scheduled run: the schedule's nominal time, the only clock backups are named by. */
export const TemporalScheduledStartTime = defineSearchAttributeKey(
  'TemporalScheduledStartTime',
  SearchAttributeType.DATETIME,
);

/** The values of LifeboatKind, one per workflow type: what `LifeboatKind="..."` finds in the UI. */
export const LifeboatKinds = {
  etcdBackup: 'etcd-backup',
  resourceBackup: 'resource-backup',
  acmBackup: 'acm-backup',
  etcdRestore: 'etcd-restore',
  resourceRestore: 'resource-restore',
  acmRestore: 'acm-restore',
  retention: 'retention',
  storageCheck: 'storage-check',
} as const;

export type LifeboatKindValue = (typeof LifeboatKinds)[keyof typeof LifeboatKinds];

/**
 * Set on an ACM hub backup schedule that paused itself because another hub writes backups to the same location: the
 * two hub ids (`BackupCollision: <this> <other>`), so `LifeboatPaused != ""` finds every such schedule.
 */
export const LifeboatPaused = defineSearchAttributeKey('LifeboatPaused', SearchAttributeType.KEYWORD);

export const lifeboatSearchAttributes = [
  LifeboatCluster,
  LifeboatPolicy,
  LifeboatKind,
  LifeboatPhase,
  LifeboatBackup,
  LifeboatPaused,
] as const;

/** `--search-attribute Name=Keyword` flags for `temporal server start-dev`. */
export function searchAttributeFlags(): string[] {
  return lifeboatSearchAttributes.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]);
}
