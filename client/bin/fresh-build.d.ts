/** fresh-build.js: the entry of the CLI built in `dir` while the sources under `root` are as it was built from. */
export function freshBuild(dir: string, root: string): string | undefined;
