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
  etcdRestore: 'etcd-restore',
  resourceRestore: 'resource-restore',
  retention: 'retention',
  storageCheck: 'storage-check',
} as const;

export type LifeboatKindValue = (typeof LifeboatKinds)[keyof typeof LifeboatKinds];

export const lifeboatSearchAttributes = [
  LifeboatCluster,
  LifeboatPolicy,
  LifeboatKind,
  LifeboatPhase,
  LifeboatBackup,
] as const;

/** `--search-attribute Name=Keyword` flags for `temporal server start-dev`. */
export function searchAttributeFlags(): string[] {
  return lifeboatSearchAttributes.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]);
}
