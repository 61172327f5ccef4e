import type { ResourceBackupManifest } from '../manifest.js';
import type { ResourceBackupCounters } from './model.js';

/**
 * How a resource backup reads to a person while it runs and once it is done: the UI's current details of the
 * workflow, and the words for its outcome. Pure, so the workflow and the CLI say the same thing.
 */

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "resource N of M (current), items, bytes, warnings, errors", from the archive activity's latest counters. */
export function countersDetails(counters: ResourceBackupCounters): string {
  const { resourcesDone, resourcesTotal, current } = counters;
  const where =
    current !== undefined
      ? `resource ${Math.min(resourcesDone + 1, resourcesTotal)} of ${resourcesTotal} (${current})`
      : `${resourcesDone} of ${count(resourcesTotal, 'resource')} done`;
  return [
    where,
    count(counters.items, 'item'),
    count(counters.bytes, 'byte') + ' stored',
    count(counters.warnings, 'warning'),
    count(counters.errors, 'error'),
  ].join(', ');
}

/** Completed, or Completed with N warnings / N errors (both when there are both): what Velero's PartiallyFailed hides. */
export function outcomeText(manifest: Pick<ResourceBackupManifest, 'outcome' | 'counts'>): string {
  const { warnings, errors } = manifest.counts;
  switch (manifest.outcome) {
    case 'Completed':
      return 'Completed';
    case 'CompletedWithWarnings':
      return `Completed with ${count(warnings, 'warning')}`;
    case 'CompletedWithErrors':
      return `Completed with ${count(errors, 'error')}${warnings > 0 ? ` and ${count(warnings, 'warning')}` : ''}`;
  }
}
