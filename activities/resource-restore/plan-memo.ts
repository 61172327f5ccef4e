import type { RestorePlan } from '../../core/resources/restore-plan.js';
import type { RestoreStepInput } from '../../core/resources/restore-run.js';
import { RecentlyUsed } from './recently-used.js';

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
const plans = new RecentlyUsed<Promise<MemoPlan>>(2);

export function memoPlan(input: RestoreStepInput, make: () => Promise<MemoPlan>): Promise<MemoPlan> {
  const key = [input.restore, input.source.location, input.source.resourceListKey, input.groupResources.join(',')].join(
    '\u0000',
  );
  return plans.get(key, () => {
    const pending = make();
    // A failed read is not remembered: the retry reads again.
    pending.catch(() => plans.forget(key));
    return pending;
  });
}
