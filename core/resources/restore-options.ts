import { namespacePatternIssue, parseSelector, resourceNameIssue } from '../config/filters.js';
import type { ApiResource } from './model.js';
import type { ExistingResourcePolicy, NamespaceMapping, RestoreOptions } from './restore-model.js';
import { resolveRestoreResource } from './restore-filters.js';
import { neverRestored } from './restore-skips.js';
import { namespaceSelected } from './selection.js';

/**
 * A restore request checked before anything is read or written: `--namespace-mapping` parsed, and every option
 * checked against the backup, each problem naming its field, its flag and the fix (as core/config reports a config's
 * problems: all at once). The CLI prints them and exits 2. Pure.
 */

export interface RestoreOptionIssue {
  /** Path into RestoreOptions, as core/config's issue paths: `filters.includedResources[1]`, `namespaceMapping`. */
  field: string;
  /** The CLI flag that sets it: `--include-resources`. */
  flag: string;
  message: string;
}

/** Each option's flag of `lifeboat restore resources` (Velero's flag names). */
export const RESTORE_OPTION_FLAGS = {
  'filters.includedNamespaces': '--include-namespaces',
  'filters.excludedNamespaces': '--exclude-namespaces',
  'filters.includedResources': '--include-resources',
  'filters.excludedResources': '--exclude-resources',
  'filters.includeClusterResources': '--include-cluster-resources',
  'filters.labelSelector': '--selector',
  'filters.orLabelSelectors': '--or-selector',
  namespaceMapping: '--namespace-mapping',
  existingResourcePolicy: '--existing-resource-policy',
  restoreStatus: '--restore-status',
  preserveNodePorts: '--preserve-node-ports',
} as const;

type OptionField = keyof typeof RESTORE_OPTION_FLAGS;

function issue(field: OptionField, message: string, index?: number): RestoreOptionIssue {
  return {
    field: index === undefined ? field : `${field}[${index}]`,
    flag: RESTORE_OPTION_FLAGS[field],
    message,
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// Namespace mapping

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function namespaceNameIssue(name: string, role: 'source' | 'target'): string | undefined {
  if (DNS_LABEL.test(name) && name.length <= 63) return undefined;
  return `${role} "${name}" is not a namespace name: use at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit`;
}

/** The problems of a mapping's entries (in the order given): names, self-mappings, duplicates, merges and chains. */
function mappingIssues(entries: readonly (readonly [string, string])[]): RestoreOptionIssue[] {
  const issues: RestoreOptionIssue[] = [];
  const add = (message: string) => issues.push(issue('namespaceMapping', message));
  const targets = new Map<string, string[]>();
  const sources = new Map<string, string[]>();
  for (const [source, target] of entries) {
    const problem = namespaceNameIssue(source, 'source') ?? namespaceNameIssue(target, 'target');
    if (problem) {
      add(`"${source}:${target}": ${problem}`);
      continue;
    }
    if (source === target) {
      add(`"${source}:${target}" maps ${source} onto itself; remove the entry (unmapped namespaces keep their name)`);
      continue;
    }
    sources.set(source, [...(sources.get(source) ?? []), target]);
    targets.set(target, [...(targets.get(target) ?? []), source]);
  }
  for (const [source, to] of sources) {
    if (to.length > 1) add(`${source} is mapped more than once (to ${to.join(' and ')}); keep one entry for it`);
  }
  for (const [target, from] of targets) {
    if (from.length > 1)
      add(
        `${from.join(' and ')} are all mapped to ${target}: their objects would mix in one namespace, and same-named ones collide; map each to its own namespace`,
      );
    if (sources.has(target))
      add(
        `${target} is both the target of ${from[0]}:${target} and the source of ${target}:${sources.get(target)![0]}: mappings do not chain (${from[0]}'s objects land in ${target}, ${target}'s leave it); map ${from[0]} straight to where it should go, or to a namespace no other entry uses`,
      );
  }
  return issues;
}

export type NamespaceMappingResult =
  { ok: true; mapping: NamespaceMapping } | { ok: false; issues: RestoreOptionIssue[] };

/** `--namespace-mapping old:new,old2:new2` (Velero's syntax; spaces around entries are allowed). */
export function parseNamespaceMapping(text: string): NamespaceMappingResult {
  if (text.trim() === '')
    return {
      ok: false,
      issues: [
        issue('namespaceMapping', 'is empty; give old:new pairs joined by commas, e.g. prod:staging,web:web-copy'),
      ],
    };
  const issues: RestoreOptionIssue[] = [];
  const entries: [string, string][] = [];
  text.split(',').forEach((raw, i) => {
    const entry = raw.trim();
    const parts = entry.split(':');
    if (entry === '') {
      issues.push(issue('namespaceMapping', `entry ${i + 1} is empty; remove the extra comma`));
    } else if (parts.length !== 2) {
      issues.push(
        issue(
          'namespaceMapping',
          `entry ${i + 1} "${entry}" is not old:new; write one ":" between the two names, e.g. prod:staging`,
        ),
      );
    } else if (parts[0] === '' || parts[1] === '') {
      issues.push(
        issue(
          'namespaceMapping',
          `entry ${i + 1} "${entry}" lacks the ${parts[0] === '' ? 'source (before ":")' : 'target (after ":")'}; write old:new, e.g. prod:staging`,
        ),
      );
    } else {
      entries.push([parts[0]!, parts[1]!]);
    }
  });
  issues.push(...mappingIssues(entries));
  return issues.length === 0 ? { ok: true, mapping: Object.fromEntries(entries) } : { ok: false, issues };
}

/** The namespace an object of namespace `ns` (as backed up) is restored into. */
export function mappedNamespace(mapping: NamespaceMapping, ns: string): string {
  return Object.hasOwn(mapping, ns) ? mapping[ns]! : ns;
}

// ---------------------------------------------------------------------------------------------------------------------
// The whole request

const POLICIES: readonly string[] = ['none', 'update'] satisfies ExistingResourcePolicy[];

export interface RestoreValidationContext {
  /** The target's discovery, to resolve short names and kinds. */
  discovery?: ApiResource[];
  /** The backup's namespaces, to refuse a mapping onto a namespace the restore also brings back under its name. */
  backupNamespaces?: readonly string[];
}

function holds(backup: readonly string[]): string {
  return backup.length === 0 ? 'it holds no resources' : `it holds ${backup.join(', ')}`;
}

/**
 * Every problem of a restore request against the backup it restores (its groupResources), or []. Options may come
 * straight from the command line, so the types are checked too.
 */
export function validateRestoreOptions(
  options: RestoreOptions,
  backupGroupResources: readonly string[],
  context: RestoreValidationContext = {},
): RestoreOptionIssue[] {
  const issues: RestoreOptionIssue[] = [];
  const { filters } = options;
  const backup = [...backupGroupResources].sort();

  for (const field of ['includedNamespaces', 'excludedNamespaces'] as const) {
    filters[field].forEach((p, i) => {
      const problem = namespacePatternIssue(p);
      if (problem) issues.push(issue(`filters.${field}`, problem, i));
    });
  }
  for (const field of ['includedResources', 'excludedResources'] as const) {
    filters[field].forEach((name, i) => {
      const problem = resourceNameIssue(name);
      if (problem) return issues.push(issue(`filters.${field}`, problem, i));
      if (field === 'excludedResources') return;
      if (filters.excludedResources.includes(name))
        return issues.push(
          issue(
            `filters.${field}`,
            `"${name}" is also excluded (--exclude-resources); remove it from one of the two`,
            i,
          ),
        );
      const never = resolveRestoreResource(name, backup, context.discovery)
        .map((gr) => neverRestored(gr))
        .find((n) => n !== undefined);
      if (never && !/[*?[]/.test(name))
        issues.push(
          issue(
            `filters.${field}`,
            `"${name}" (${never.groupResource}) is never restored: ${never.reason}; remove it from --include-resources`,
            i,
          ),
        );
    });
  }
  if (filters.includeClusterResources !== undefined && typeof filters.includeClusterResources !== 'boolean')
    issues.push(issue('filters.includeClusterResources', 'must be true or false, or left out for the default'));

  const hasLabel = filters.labelSelector !== undefined;
  const hasOr = (filters.orLabelSelectors ?? []).length > 0;
  if (hasLabel && hasOr)
    issues.push(
      issue(
        'filters.labelSelector',
        'is given with --or-selector: use one of the two (put the requirements of --selector into each --or-selector)',
      ),
    );
  if (hasLabel) {
    const parsed = parseSelector(filters.labelSelector!);
    if (!parsed.ok) issues.push(issue('filters.labelSelector', parsed.error));
  }
  (filters.orLabelSelectors ?? []).forEach((s, i) => {
    const parsed = parseSelector(s);
    if (!parsed.ok) issues.push(issue('filters.orLabelSelectors', parsed.error, i));
  });

  if (!POLICIES.includes(options.existingResourcePolicy))
    issues.push(
      issue(
        'existingResourcePolicy',
        `"${String(options.existingResourcePolicy)}" is not a policy: use none (leave existing objects as they are) or update (patch them to the backup's version)`,
      ),
    );

  options.restoreStatus.forEach((name, i) => {
    if (name === '*') return;
    const found = resolveRestoreResource(name, backup, context.discovery).filter((gr) => backup.includes(gr));
    if (found.length === 0)
      issues.push(
        issue(
          'restoreStatus',
          `"${name}" names no resource of this backup (${holds(backup)}); use one of those, or "*"`,
          i,
        ),
      );
  });

  issues.push(...mappingIssues(Object.entries(options.namespaceMapping)));
  if (context.backupNamespaces) {
    // A mapping onto a namespace the restore also brings back under its own name merges the two: refused like two
    // sources mapped onto one target.
    const restored = context.backupNamespaces.filter(
      (ns) =>
        !Object.hasOwn(options.namespaceMapping, ns) &&
        namespaceSelected(
          {
            included: filters.includedNamespaces.length === 0 ? ['*'] : filters.includedNamespaces,
            excluded: filters.excludedNamespaces,
          },
          ns,
        ),
    );
    for (const [source, target] of Object.entries(options.namespaceMapping)) {
      if (restored.includes(target))
        issues.push(
          issue(
            'namespaceMapping',
            `${source}:${target}: the backup's namespace ${target} is restored too, so both would mix in ${target}; map ${source} to another namespace, or exclude ${target} (--exclude-namespaces ${target})`,
          ),
        );
    }
  }
  return issues;
}
