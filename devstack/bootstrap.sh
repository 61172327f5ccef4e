#!/bin/sh
# The two README commands land here: `npm start` (bootstrap.sh start) and `npm test` (bootstrap.sh test).
# A fresh clone has no node_modules and no built servers; install and build what is missing, then run.
set -eu
# Node 20 is supported by this project; the SDK's notice about its future Node 22 floor is noise in every run.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
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
  echo "Installing npm dependencies..." >&2
  npm install --no-audit --no-fund >&2
fi

mode="${1:-}"
[ $# -gt 0 ] && shift
case "$mode" in
  start)
    exec node --import tsx devstack/cli.ts "$@"
    ;;
  test)
    # Build (or find cached) server binaries first, with progress, so the test run itself does not stall silently.
    node --import tsx devstack/tools/cli.ts >/dev/null
    exec npx vitest run "$@"
    ;;
  *)
    echo "usage: devstack/bootstrap.sh start|test [args...]" >&2
    exit 2
    ;;
esac
