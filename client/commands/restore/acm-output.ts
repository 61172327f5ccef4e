import type { AcmRestoreProgress, AcmRestoreResult } from '../../../workflows/acm-restore-api.js';
import { humanDuration, table, utc, wrap } from '../../output.js';

/**
 * How an ACM hub restore reads for people: which backup each type came from, the plan's warnings, one row per step
 * with its counts, the activation check, and one line per managed cluster for the auto-import. Pure.
 */

export function acmPlanLines(result: Pick<AcmRestoreResult, 'plan'>): string[] {
  const plan = result.plan;
  if (!plan) return [];
  const b = plan.backups;
  return [
    `credentials ${b.credentials ?? 'skip'}, resources ${b.resources ?? 'skip'}, generic ${b.generic ?? 'none'}, ` +
      `managed clusters ${b.managedClusters ?? 'skip'}`,
    ...plan.warnings.map((w) => `warning: ${w}`),
  ];
}

export function acmStepTable(result: Pick<AcmRestoreResult, 'results'>): string | undefined {
  if (result.results.length === 0) return undefined;
  return table(
    ['step', 'backup', 'outcome', 'created', 'updated', 'unchanged', 'skipped', 'failed'],
    result.results.map((r) => [
      r.step,
      r.backup,
      r.outcome,
      r.counts.created,
      r.counts.updated,
      r.counts.unchanged,
      r.counts.skipped,
      r.counts.failed,
    ]),
  );
}

export function acmAutoImportTable(result: Pick<AcmRestoreResult, 'autoImport'>): string | undefined {
  const clusters = result.autoImport?.clusters ?? [];
  if (clusters.length === 0) return undefined;
  return table(
    ['managed cluster', 'auto-import', 'why'],
    clusters.map((c) => [c.cluster, c.action, wrap(c.message, 70)]),
  );
}

/** The cleanup's counts per part, the first objects it deleted and what it could not delete. */
export function acmCleanupLines(result: Pick<AcmRestoreResult, 'cleanup'>): string[] {
  const cleanup = result.cleanup;
  if (!cleanup) return [];
  const parts = Object.entries(cleanup.deleted).map(([part, n]) => `${part} ${n}`);
  const total = Object.values(cleanup.deleted).reduce((a, b) => a + b, 0);
  return [
    `cleanup (${cleanup.mode}): deleted ${total} (${parts.join(', ')})`,
    ...cleanup.examples.map((e) => `  deleted ${e}`),
    ...(total > cleanup.examples.length ? [`  and ${total - cleanup.examples.length} more`] : []),
    ...cleanup.failed.map((f) => `  not deleted: ${f}`),
  ];
}

/** The whole report printed when a followed restore ends. */
export function acmResultReport(result: AcmRestoreResult, took: string): string {
  const failed = result.results.flatMap((r) => r.failed.map((f) => `  ${r.step}: ${f}`));
  const activated = result.results.some((r) => r.step === 'managed-clusters');
  return [
    `ACM hub restore ${result.restore} of ${result.hub} from ${result.fromCluster} completed in ${took}`,
    ...acmPlanLines(result),
    acmStepTable(result),
    ...(failed.length > 0 ? ['items that failed:', ...failed] : []),
    activated
      ? `activation: ${result.activation ?? 'checked'}`
      : 'not activated: the managed clusters were skipped (restore them later with --managed-clusters latest)',
    acmAutoImportTable(result),
    ...acmCleanupLines(result),
  ]
    .filter((line): line is string => line !== undefined)
    .join('\n');
}

/** Items failed in any step, and objects the cleanup could not delete: the restore completed with errors. */
export function acmFailedCount(result: Pick<AcmRestoreResult, 'results' | 'cleanup'>): number {
  return result.results.reduce((n, r) => n + r.counts.failed, 0) + (result.cleanup?.failed.length ?? 0);
}

/** The status command's fields of a hub restore. */
export function acmStatusFields(progress: AcmRestoreProgress | undefined): [string, string][] {
  if (!progress) return [['phase', '(unknown: no worker answered the progress query)']];
  return [
    ['hub restore', `${progress.restore} onto ${progress.hub} from ${progress.fromCluster}`],
    ['phase', progress.phase],
    ...acmPlanLines(progress).map((line, i): [string, string] => [i === 0 ? 'backups' : '', line]),
    ...acmSyncFields(progress),
    ...(progress.activation ? [['activation', progress.activation] as [string, string]] : []),
  ];
}

/** A passive sync's state: rounds, what it restored last, when it looks next, and how to activate it. */
export function acmSyncFields(progress: Pick<AcmRestoreProgress, 'sync' | 'hub'>): [string, string][] {
  const sync = progress.sync;
  if (!sync) return [];
  const b = sync.restored;
  return [
    [
      'sync',
      `every ${humanDuration(sync.intervalMs)}; ${sync.rounds} looks, ${sync.restoredRounds} found newer backups and restored them`,
    ],
    ['restored last', `credentials ${b.credentials ?? 'skip'}, resources ${b.resources ?? 'skip'}`],
    ...(sync.nextCheckAt ? [['next look', utc(sync.nextCheckAt)] as [string, string]] : []),
    ...(sync.lastError ? [['last round failed', sync.lastError] as [string, string]] : []),
    sync.activatedBy
      ? ['activated', `by ${sync.activatedBy}`]
      : [
          'activate',
          `lifeboat restore acm activate ${progress.hub}   (or end the sync: lifeboat restore abort ${progress.hub} --kind acm)`,
        ],
  ];
}
