import { heartbeat, sleep } from '@temporalio/activity';

/**
 * Kubernetes reports in well under a second here, and a restore is a sequence of such waits, so the interval adds
 * up; every wait on Kubernetes (Jobs, Pods, claims) looks this often.
 */
export const POLL_MS = 200;

/** What one look found: the end of the wait (and what it yields), or not yet (and what to heartbeat meanwhile). */
export type Look<T> = { done: true; value: T } | { done: false; progress: unknown };

export const done = <T>(value: T): Look<T> => ({ done: true, value });
export const notYet = (progress: unknown): Look<never> => ({ done: false, progress });

/**
 * Looks until a look says done, heartbeating its progress in between: heartbeats keep a long wait alive, and the
 * activity's sleep ends when the activity is cancelled or times out, so such an activity stops here.
 */
export async function waitUntil<T>(look: () => Promise<Look<T>>): Promise<T> {
  for (;;) {
    const seen = await look();
    if (seen.done) return seen.value;
    heartbeat(seen.progress);
    await sleep(POLL_MS);
  }
}

/** waitUntil for a condition: `check` answers true, or says what it sees (heartbeated with what is awaited). */
export function waitFor(what: string, check: () => Promise<string | true>): Promise<void> {
  return waitUntil(async () => {
    const state = await check();
    return state === true ? done(undefined) : notYet({ waitingFor: what, state });
  });
}
