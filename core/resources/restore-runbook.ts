import { withPointOfNoReturn, type RunbookStep, type Stranded } from '../runbook.js';
import type { PlannedRestore } from './restore-run.js';

/**
 * A resource restore as a runbook (core/runbook.ts): preflight, the approval gate when asked, one step per resource
 * of the plan, the record. Its point of no return is the first step that writes: before it nothing has changed, so a
 * failure just ends the restore; from it on a step that keeps failing waits for an operator to retry or abort it
 * (objects already restored stay: a restore never deletes).
 */

export type ResourceRestoreStepKind = 'preflight' | 'approval' | `restore ${string}` | 'record';

/** The runbook step of a plan step: `restore configmaps`. */
export function restoreStepKind(groupResource: string): ResourceRestoreStepKind {
  return `restore ${groupResource}`;
}

export function resourceRestoreRunbook(
  planned: Pick<PlannedRestore, 'steps' | 'results' | 'target' | 'source'>,
  options: { requireApproval: boolean; dryRun: boolean },
): RunbookStep<ResourceRestoreStepKind>[] {
  const steps: RunbookStep<ResourceRestoreStepKind>[] = [
    {
      kind: 'preflight',
      title: 'check the archive, the target and the restore identity',
      touches: [planned.source.archiveKey, `the API of ${planned.target} (read)`],
      pointOfNoReturn: false,
    },
  ];
  if (options.requireApproval && !options.dryRun) {
    steps.push({ kind: 'approval', title: 'wait for an operator to approve', touches: [], pointOfNoReturn: false });
  }
  planned.steps.forEach((step, i) => {
    const count = step.items + step.related;
    steps.push({
      kind: restoreStepKind(step.groupResource),
      title: `${options.dryRun ? 'compare' : 'restore'} ${count} ${step.groupResource}: ${step.reason}`,
      touches: [`${step.groupResource} in ${planned.target}${options.dryRun ? ' (read)' : ''}`],
      pointOfNoReturn: !options.dryRun && i === 0,
    });
  });
  if (planned.results && !options.dryRun) {
    steps.push({
      kind: 'record',
      title: 'write the restore record beside its per-item results',
      touches: [`lifeboat-restore.json in ${planned.results.location}`],
      pointOfNoReturn: false,
    });
  }
  return withPointOfNoReturn(steps);
}

/** What an abort after the point of no return leaves behind. */
export function strandedResourceRestore(target: string, restore: string, done: number, total: number): Stranded {
  return {
    state: `${done} of ${total} steps of restore ${restore} ran: what they restored stays in ${target} (labelled lifeboat.dev/restore=${restore})`,
    next: `Start the restore again to finish it (objects already there are left unchanged), or remove them with kubectl delete -l lifeboat.dev/restore=${restore} across the kinds restored.`,
  };
}
