import { RecentlyUsed } from './recently-used.js';

/**
 * Namespaces a restore has already seen on its target, remembered on this worker across the restore's steps. Each
 * step used to ask the API for every namespace of its items again: an ACM hub's managed-clusters step restores ten
 * kinds into the same 3,500 cluster namespaces, so the GETs came to half as many requests as the creates. A worker
 * that has not seen a namespace (another worker, a restart) asks once, so this only ever saves requests; a namespace
 * deleted while the restore runs makes a create fail as not found, and the step then forgets it and makes it again
 * (step.ts).
 */

/** Restores remembered at once: a worker runs a few restores at a time. */
const byRestore = new RecentlyUsed<Set<string>>(8);

export function knownNamespaces(target: string, restore: string): Set<string> {
  return byRestore.get(`${target}\u0000${restore}`, () => new Set());
}
