import type { RestorePlan } from '../../core/resources/restore-plan.js';
import type { RestoreStepInput } from '../../core/resources/restore-run.js';

/**
 * The plan of a restore, kept on this worker between its steps. Every step needs the whole plan (which step it is,
 * and which controller owners come back too), and used to read the backup's resource list and plan it again: on an
 * ACM hub of 3,500 clusters that is 100,000 entries parsed and planned per step, for each of some forty steps. The
 * inputs cannot change within a restore (its request, its backup's resource list, the discovery it planned with), so
 * the key is the restore and its source; a worker that has not planned it (another worker, a restart) plans it again.
 */

export interface MemoPlan {
  plan: RestorePlan;
  /** `<groupResource>|<namespace>/<name>` of every item the plan restores, related items included. */
  planned: Set<string>;
}

/** Plans kept at once: a worker runs a few restores at a time, and a plan of a large backup holds every item's ref. */
const MAX_PLANS = 2;

const plans = new Map<string, Promise<MemoPlan>>();

export function memoPlan(input: RestoreStepInput, make: () => Promise<MemoPlan>): Promise<MemoPlan> {
  const key = [input.restore, input.source.location, input.source.resourceListKey, input.groupResources.join(',')].join(
    '\u0000',
  );
  let pending = plans.get(key);
  if (pending) {
    plans.delete(key);
  } else {
    pending = make();
    // A failed read is not remembered: the retry reads again.
    pending.catch(() => plans.delete(key));
    if (plans.size >= MAX_PLANS) plans.delete(plans.keys().next().value!);
  }
  plans.set(key, pending);
  return pending;
}
