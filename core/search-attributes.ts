import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** The typed search attributes Lifeboat sets on its workflows; `lifeboat setup` and the dev stack register them. */
export const LifeboatCluster = defineSearchAttributeKey('LifeboatCluster', SearchAttributeType.KEYWORD);
export const LifeboatPolicy = defineSearchAttributeKey('LifeboatPolicy', SearchAttributeType.KEYWORD);
export const LifeboatKind = defineSearchAttributeKey('LifeboatKind', SearchAttributeType.KEYWORD);
export const LifeboatPhase = defineSearchAttributeKey('LifeboatPhase', SearchAttributeType.KEYWORD);
export const LifeboatBackup = defineSearchAttributeKey('LifeboatBackup', SearchAttributeType.KEYWORD);

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
