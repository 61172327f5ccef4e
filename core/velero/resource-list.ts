import { goJsonLine, goSorted } from './go-json.js';

/**
 * The content of `<backup>-resource-list.json.gz` (gzip is the caller's): what `velero backup describe --details`
 * lists. Velero's backedUpItemsMap.ResourceMap: `<group>/<version>/<Kind>` (`apps/v1/Deployment`, core `v1/Pod`) to
 * the sorted `<namespace>/<name>` of each item, or `<name>` for cluster-scoped ones.
 *
 * Every entry is held until the end, as Velero holds it: about 100 bytes an item, 30 MB for 300k items.
 */
export class ResourceList {
  private readonly byKind = new Map<string, Set<string>>();

  /** Records one backed-up item; adding it again changes nothing (an item is in the archive once). */
  add(apiVersion: string, kind: string, namespace: string | undefined, name: string): void {
    const key = `${apiVersion}/${kind}`;
    let entries = this.byKind.get(key);
    if (!entries) {
      entries = new Set();
      this.byKind.set(key, entries);
    }
    entries.add(namespace ? `${namespace}/${name}` : name);
  }

  /** Keys sorted (Go marshals maps so), each list sorted. */
  toJSON(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const key of goSorted(this.byKind.keys())) out[key] = goSorted(this.byKind.get(key)!);
    return out;
  }

  /** Compact JSON and a newline, as Go's json.Encoder writes it. */
  serialize(): string {
    return goJsonLine(this.toJSON());
  }
}

/** Reads a resource list written by Lifeboat or stock Velero; throws on text that is not one. */
export function parseResourceList(text: string): Record<string, string[]> {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('a resource list must be a JSON object of "<apiVersion>/<Kind>" to lists of names');
  }
  const entries = Object.entries(value as Record<string, unknown>);
  for (const [key, names] of entries) {
    if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) {
      throw new Error(`resource list: "${key}" must be a list of names`);
    }
  }
  return Object.fromEntries(entries) as Record<string, string[]>;
}
