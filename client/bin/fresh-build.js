import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The entry of the CLI built in `dir` if every file it was built from is as it was then (same mtime and size, as its
 * stamp lifeboat.inputs.json says: build/input-stamp.ts writes it), else undefined. A stat per source, about a
 * millisecond for all of them: an added file counts only once an import names it, and that import is an edit.
 */
export function freshBuild(dir, root) {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(join(dir, 'lifeboat.inputs.json'), 'utf8'));
  } catch {
    return undefined;
  }
  for (const [path, [mtimeMs, size]] of Object.entries(stamp.inputs)) {
    const now = statSync(join(root, path), { throwIfNoEntry: false });
    if (now?.mtimeMs !== mtimeMs || now.size !== size) return undefined;
  }
  return join(dir, stamp.entry);
}
