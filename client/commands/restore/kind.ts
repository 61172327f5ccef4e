import type { Command } from 'commander';
import { Option } from 'commander';

/**
 * Which restore `restore status|approve|retry|abort CLUSTER` mean: an etcd, a resource or an ACM hub restore. They
 * never run together on one cluster (activities/restore-exclusion.ts) — except an ACM hub restore's own steps, which
 * are resource restores — so without --kind the running one is meant (the hub restore, over its step).
 */
export const RESTORE_KINDS = ['etcd', 'resources', 'acm'] as const;
export type RestoreKind = (typeof RESTORE_KINDS)[number];

/** How messages name a restore of that kind. */
export const RESTORE_KIND_NAMES: Record<RestoreKind, string> = {
  etcd: 'etcd restore',
  resources: 'resource restore',
  acm: 'ACM hub restore',
};

/** The --kind option, checked by commander (anything else is bad input, exit 2). */
export function addKindOption(command: Command): Command {
  return command.addOption(
    new Option('-k, --kind <kind>', 'etcd, resources or acm (default: the one running for the cluster)').choices(
      RESTORE_KINDS,
    ),
  );
}
