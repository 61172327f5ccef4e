/**
 * Namespaces a restore has already seen on its target, remembered on this worker across the restore's steps. Each
 * step used to ask the API for every namespace of its items again: an ACM hub's managed-clusters step restores ten
 * kinds into the same 3,500 cluster namespaces, so the GETs came to half as many requests as the creates. A worker
 * that has not seen a namespace (another worker, a restart) asks once, so this only ever saves requests; a namespace
 * deleted while the restore runs makes a create fail as not found, and the step then forgets it and makes it again
 * (step.ts).
 */

/** Restores remembered at once, the least recently used forgotten first: a worker runs a few restores at a time. */
const MAX_RESTORES = 8;

const byRestore = new Map<string, Set<string>>();

export function knownNamespaces(target: string, restore: string): Set<string> {
  const key = `${target}\u0000${restore}`;
  let known = byRestore.get(key);
  if (known) {
    byRestore.delete(key);
  } else {
    known = new Set();
    if (byRestore.size >= MAX_RESTORES) byRestore.delete(byRestore.keys().next().value!);
  }
  byRestore.set(key, known);
  return known;
}
