/**
 * Where each resource's entries begin in a Lifeboat archive, so a restore step can start reading there instead of at
 * the archive's first byte. A tar.gz has no index of its own, and one gzip stream can only be decompressed from its
 * start; but Lifeboat's archive is a series of gzip members (activities/storage/gzip-members.ts), each a valid start.
 * An entry of the index names the stored byte where the member holding the resource's first tar entry starts, and how
 * many decompressed bytes of that member come before that entry. Without it (a Velero-written or an encrypted
 * archive) a step reads from the start, as before; with it, the step skips the members before its resource, which on
 * an ACM hub's managed-clusters backup (ten kinds one after the other) was most of what the restore decompressed.
 */

export interface ArchiveIndexEntry {
  /** Velero's name of the resource (`secrets`, `managedclusters.cluster.open-cluster-management.io`). */
  resource: string;
  /** The stored (compressed) byte offset of the gzip member that holds the resource's first entry. */
  offset: number;
  /** Decompressed bytes of that member before the entry. */
  skip: number;
}

/** One gzip member as it was written: its input (tar) bytes and its output (stored) bytes. */
export interface MemberSizes {
  input: number;
  output: number;
}

/**
 * The index, from the tar offset of each resource's first entry (in the order written) and the members' sizes in
 * order. A resource whose first entry lies beyond the members given (which cannot happen for a complete archive)
 * gets no entry: its step then reads from the start.
 */
export function buildArchiveIndex(
  starts: readonly { resource: string; tarOffset: number }[],
  members: readonly MemberSizes[],
): ArchiveIndexEntry[] {
  const index: ArchiveIndexEntry[] = [];
  let member = 0;
  let inputStart = 0;
  let outputStart = 0;
  const sorted = [...starts].sort((a, b) => a.tarOffset - b.tarOffset);
  for (const { resource, tarOffset } of sorted) {
    while (member < members.length && inputStart + members[member]!.input <= tarOffset) {
      inputStart += members[member]!.input;
      outputStart += members[member]!.output;
      member++;
    }
    if (member >= members.length) break;
    index.push({ resource, offset: outputStart, skip: tarOffset - inputStart });
  }
  return index;
}

/** Where a step reading only `resource` may start: undefined means from the archive's first byte. */
export function indexEntryFor(
  index: readonly ArchiveIndexEntry[] | undefined,
  resource: string,
): ArchiveIndexEntry | undefined {
  return index?.find((e) => e.resource === resource);
}
