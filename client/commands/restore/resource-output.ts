import type { ItemOutcome } from '../../../core/resources/restore-model.js';
import type { PlannedSkip } from '../../../core/resources/restore-plan.js';
import type { OutcomeCounts, StepReport } from '../../../core/resources/restore-run.js';
import type { ResourceRestoreProgress, ResourceRestoreResult } from '../../../workflows/resource-restore-api.js';
import { plural, table, wrap } from '../../output.js';

/**
 * How a resource restore reads for people: the table of outcomes per resource and target namespace, the items that
 * did not simply come back with their reasons, and what the plan left out. Pure: tests call these directly.
 */

const OUTCOMES: readonly ItemOutcome[] = ['created', 'unchanged', 'updated', 'skipped', 'failed'];

/** A dry run creates and updates nothing: its columns say what would happen. */
function outcomeHeads(dryRun: boolean): string[] {
  return dryRun
    ? ['would create', 'unchanged', 'would update', 'would skip', 'would fail']
    : ['created', 'unchanged', 'updated', 'skipped', 'failed'];
}

const count = (c: Partial<OutcomeCounts>, o: ItemOutcome) => c[o] ?? 0;

/** One row per step and target namespace ('-' for cluster-scoped objects), then the total. */
export function outcomeTable(steps: readonly StepReport[], total: OutcomeCounts, dryRun: boolean): string {
  const rows: (string | number)[][] = [];
  for (const step of steps) {
    const namespaces = Object.keys(step.byNamespace).sort();
    if (namespaces.length === 0) rows.push([step.groupResource, '-', ...OUTCOMES.map(() => 0)]);
    for (const ns of namespaces) {
      const c = step.byNamespace[ns]!;
      rows.push([step.groupResource, ns || '-', ...OUTCOMES.map((o) => count(c, o))]);
    }
  }
  rows.push(['total', '', ...OUTCOMES.map((o) => total[o])]);
  return table(['resource', 'namespace', ...outcomeHeads(dryRun)], rows);
}

/** Items that were (or would be) updated, skipped or failed, with their reasons; `only` narrows to one outcome. */
export function notableTable(steps: readonly StepReport[], only?: ItemOutcome): string | undefined {
  const items = steps.flatMap((s) => s.notable).filter((i) => !only || i.outcome === only);
  if (items.length === 0) return undefined;
  return table(
    ['outcome', 'resource', 'namespace', 'name', 'reason'],
    items.map((i) => [
      i.outcome,
      i.groupResource,
      i.targetNamespace && i.targetNamespace !== i.namespace
        ? `${i.namespace} → ${i.targetNamespace}`
        : (i.namespace ?? '-'),
      i.name,
      wrap(i.reason ?? '', 60),
    ]),
  );
}

/** Where a step listed only part of its notable items, where the rest are. */
export function omittedLines(steps: readonly StepReport[]): string[] {
  return steps
    .filter((s) => s.notableOmitted > 0)
    .map(
      (s) =>
        `${s.groupResource}: ${plural(s.notableOmitted, 'more item')} not listed` +
        (s.resultsKey ? ` (all of them in ${s.resultsKey})` : ''),
    );
}

/** What the plan left out (whole resources, namespaces, items), each with its reason. */
export function skippedTable(skipped: readonly PlannedSkip[]): string | undefined {
  if (skipped.length === 0) return undefined;
  return table(
    ['resource', 'namespace', 'name', 'items', 'skipped because'],
    skipped.map((s) => [
      s.groupResource,
      s.namespace ?? '-',
      s.name ?? '-',
      s.items,
      wrap(`${s.skip.reason} (${s.skip.code})`, 60),
    ]),
  );
}

/** The headline: what was restored from where, and how it ended. */
export function resultHeadline(r: ResourceRestoreResult, took: string): string {
  const what = r.dryRun ? `dry run of restore ${r.restore}` : `restore ${r.restore}`;
  const outcome = r.outcome === 'Completed' ? 'Completed' : `Completed with ${plural(r.counts.failed, 'error')}`;
  const verb = r.dryRun ? '(nothing was written)' : `in ${took}`;
  return `${what} of ${r.target} from backup ${r.backup}: ${outcome} ${verb}`;
}

/** Everything printed once a resource restore ended: headline, counts, then reasons. */
export function resultReport(r: ResourceRestoreResult, took: string): string {
  const parts = [resultHeadline(r, took), outcomeTable(r.steps, r.counts, r.dryRun)];
  // A dry run shows everything that would not simply be created or left as is; a real restore, what failed.
  const notable = notableTable(r.steps, r.dryRun ? undefined : 'failed');
  if (notable) parts.push(r.dryRun ? 'Items that would not be created or left unchanged:' : 'Failed items:', notable);
  parts.push(...omittedLines(r.steps));
  const skipped = r.dryRun ? skippedTable(r.skipped) : undefined;
  if (skipped) parts.push('Left out by the plan:', skipped);
  if (!r.dryRun && r.skipped.length > 0)
    parts.push(
      `${plural(
        r.skipped.reduce((n, s) => n + s.items, 0),
        'item',
      )} left out by the plan (see --dry-run for why).`,
    );
  for (const w of r.warnings) parts.push(`warning: ${w}`);
  if (r.recordKey) parts.push(`record: ${r.recordKey}`);
  return parts.join('\n');
}

/** `created 3, unchanged 1, failed 2`: the outcomes that occurred, for progress and status lines. */
export function countsText(c: OutcomeCounts): string {
  const parts = OUTCOMES.filter((o) => c[o] > 0).map((o) => `${o} ${c[o]}`);
  return parts.length > 0 ? parts.join(', ') : 'no items yet';
}

/** The running step, `configmaps 120/300`, or undefined between steps. */
export function currentText(p: Pick<ResourceRestoreProgress, 'current'>): string | undefined {
  return p.current ? `${p.current.groupResource} ${p.current.done}/${p.current.total}` : undefined;
}

/** The fields `restore status` prints for a resource restore, after the workflow's own. */
export function resourceStatusFields(p: ResourceRestoreProgress | undefined): [string, string][] {
  if (!p) return [['phase', '(unknown: no worker answered the progress query)']];
  return [
    ['restore', `${p.restore}${p.dryRun ? ' (dry run)' : ''}`],
    ['backup', p.backup ?? '(not planned yet)'],
    ['phase', p.phase],
    ['current step', currentText(p) ?? '-'],
    ['items', `${countsText(p.counts)}${p.planned ? ` (of ${p.planned} planned)` : ''}`],
    ...(p.approvedBy ? ([['approved by', p.approvedBy]] as [string, string][]) : []),
  ];
}
