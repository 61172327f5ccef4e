import type { LifeboatConfig } from '../../../core/config/schema.js';
import type { RestoreOptions } from '../../../core/resources/restore-model.js';
import {
  parseNamespaceMapping,
  RESTORE_OPTION_FLAGS,
  validateRestoreOptions,
  type RestoreOptionIssue,
} from '../../../core/resources/restore-options.js';
import type { ResourceRestoreRequest } from '../../../core/resources/restore-run.js';
import { CliError, ExitCode } from '../../exit-codes.js';

/**
 * `lifeboat restore resources`' flags → the workflow's ResourceRestoreRequest, checked against the config and core's
 * restore-option rules before anything starts. Pure (the clock and the user come in), so tests need no Temporal.
 */

/** The command line as commander hands it over: lists and booleans still as text. */
export interface ResourcesFlags {
  cluster: string;
  backup?: string;
  fromCluster?: string;
  policy?: string;
  includeNamespaces?: string;
  excludeNamespaces?: string;
  includeResources?: string;
  excludeResources?: string;
  selector?: string;
  orSelector?: string[];
  includeClusterResources?: string;
  namespaceMapping?: string;
  existingResourcePolicy?: string;
  restoreStatus?: string;
  preserveNodePorts?: boolean;
  dryRun?: boolean;
  requireApproval?: boolean;
  veleroLocation?: string;
  veleroPrefix?: string;
  file: string;
}

/** `a, b,,c` → [a, b, c]: Velero's comma lists, blanks dropped. */
export function commaList(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** One line per problem, each naming its flag: what the CLI prints before exiting 2. */
export function formatIssues(issues: readonly RestoreOptionIssue[]): string {
  return issues.map((i) => `${i.flag}: ${i.message}`).join('\n');
}

export function bad(message: string): CliError {
  return new CliError(message, ExitCode.BadInput);
}

const flagOf = RESTORE_OPTION_FLAGS;

/** --include-cluster-resources is Velero's tri-state: left out, true or false. */
function triState(text: string | undefined): { value?: boolean; issue?: RestoreOptionIssue } {
  if (text === undefined) return {};
  if (text === 'true' || text === 'false') return { value: text === 'true' };
  return {
    issue: {
      field: 'filters.includeClusterResources',
      flag: flagOf['filters.includeClusterResources'],
      message: `"${text}" is not true or false; pass true, false, or leave the flag out for the default (cluster-scoped objects the restored ones need)`,
    },
  };
}

/**
 * The options as core/resources/restore-options.ts checks them. Problems that need the backup (does --restore-status
 * name one of its resources) are left to the workflow's planning, which fails InvalidRestoreRequest (exit 2 too).
 */
export function restoreOptionsFromFlags(flags: ResourcesFlags): RestoreOptions {
  const issues: RestoreOptionIssue[] = [];
  let namespaceMapping: Record<string, string> = {};
  if (flags.namespaceMapping !== undefined) {
    const parsed = parseNamespaceMapping(flags.namespaceMapping);
    if (parsed.ok) namespaceMapping = parsed.mapping;
    else issues.push(...parsed.issues);
  }
  const clusterResources = triState(flags.includeClusterResources);
  if (clusterResources.issue) issues.push(clusterResources.issue);
  const options: RestoreOptions = {
    filters: {
      includedNamespaces: commaList(flags.includeNamespaces),
      excludedNamespaces: commaList(flags.excludeNamespaces),
      includedResources: commaList(flags.includeResources),
      excludedResources: commaList(flags.excludeResources),
      ...(clusterResources.value !== undefined ? { includeClusterResources: clusterResources.value } : {}),
      ...(flags.selector !== undefined ? { labelSelector: flags.selector } : {}),
      ...(flags.orSelector?.length ? { orLabelSelectors: flags.orSelector } : {}),
    },
    namespaceMapping,
    existingResourcePolicy: (flags.existingResourcePolicy ?? 'none') as RestoreOptions['existingResourcePolicy'],
    restoreStatus: commaList(flags.restoreStatus),
    preserveNodePorts: Boolean(flags.preserveNodePorts),
  };
  // The mapping's own problems are already in `issues` when it did not parse; a parsed one is checked again there.
  issues.push(...validateRestoreOptions(options, []).filter((i) => !i.field.startsWith('restoreStatus')));
  if (issues.length > 0) throw bad(formatIssues(issues));
  return options;
}

export function clusterByFlag(config: LifeboatConfig, flag: string, name: string, file: string) {
  const cluster = config.clusters.find((c) => c.name === name);
  if (cluster) return cluster;
  const known = config.clusters.map((c) => c.name).join(', ') || 'none';
  throw bad(
    `${flag} ${name}: no such cluster in ${file} (known: ${known}); name one of those, or add it under clusters.`,
  );
}

/** Where the backup comes from: a cluster's own (or another's, --from-cluster), or a stock Velero's location. */
function source(config: LifeboatConfig, flags: ResourcesFlags, target: string) {
  if (flags.veleroPrefix !== undefined && !flags.veleroLocation)
    throw bad('--velero-prefix goes with --velero-location: name the storage location that holds the Velero prefix.');
  if (flags.veleroLocation) {
    if (flags.fromCluster || flags.policy)
      throw bad(
        `--velero-location reads a backup stock Velero wrote, which has no Lifeboat cluster or policy: drop ${flags.fromCluster ? '--from-cluster' : '--policy'}.`,
      );
    if (!config.storageLocations.some((l) => l.name === flags.veleroLocation)) {
      const known = config.storageLocations.map((l) => l.name).join(', ') || 'none';
      throw bad(
        `--velero-location ${flags.veleroLocation}: no such storage location in ${flags.file} (known: ${known}); add one under storageLocations with the bucket Velero writes to.`,
      );
    }
    return { velero: { location: flags.veleroLocation, prefix: (flags.veleroPrefix ?? '').replace(/^\/+|\/+$/g, '') } };
  }
  const from = flags.fromCluster ? clusterByFlag(config, '--from-cluster', flags.fromCluster, flags.file).name : target;
  if (flags.policy) {
    const policies = config.resourceBackups.filter((p) => p.cluster === from);
    if (!policies.some((p) => p.name === flags.policy))
      throw bad(
        `--policy ${flags.policy}: cluster ${from} has no resource-backup policy of that name (known: ` +
          `${policies.map((p) => p.name).join(', ') || 'none'}).`,
      );
  }
  return {
    ...(flags.fromCluster && from !== target ? { fromCluster: from } : {}),
    ...(flags.policy ? { policy: flags.policy } : {}),
  };
}

/** The workflow's input; every problem of the command line is a CliError with exit 2 that names the flag. */
export function resourceRestoreRequest(
  config: LifeboatConfig,
  flags: ResourcesFlags,
  now: Date,
  requestedBy: string,
): ResourceRestoreRequest {
  const target = clusterByFlag(config, '--cluster', flags.cluster, flags.file).name;
  if (!flags.backup)
    throw bad(
      '--backup: say what to restore: --backup latest (the newest complete resource backup) or --backup <name> (see lifeboat backups list -k resources).',
    );
  const from = source(config, flags, target);
  const options = restoreOptionsFromFlags(flags);
  return {
    target,
    backup: flags.backup,
    ...from,
    options,
    ...(flags.dryRun ? { dryRun: true } : {}),
    ...(flags.requireApproval && !flags.dryRun ? { requireApproval: true } : {}),
    requestedBy,
    requestedAt: now.toISOString(),
  };
}
