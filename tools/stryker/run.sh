#!/usr/bin/env bash
# `npm run mutants`: mutation testing with StrykerJS (config: tools/stryker/stryker.config.mjs).
# Stryker lives in this folder, not in the main package: StrykerJS 10 declares Node >= 22, and the
# project's machines have Node 20, where installing it with the package made `npm ci` print an
# EBADENGINE warning per package. This script installs the folder when it is missing, then runs
# Stryker from the repository root with the machine's node when it is new enough, else with Node 22
# from the npm registry (the `node` package ships the binary; npx caches it). vitest, the vitest
# config and the sources come from the main package (run `npm ci` there first).
# Extra arguments go to `stryker run` (e.g. --mutate 'src/pagecache/*.ts').
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../.."
if [ ! -x node_modules/.bin/vitest ]; then
  echo "mutants: the main package is not installed (run npm ci first)" >&2
  exit 2
fi
if [ ! -f "$here/node_modules/@stryker-mutator/core/bin/stryker.js" ]; then
  npm ci --prefix "$here" --no-audit --no-fund --engine-strict=false --loglevel=error
fi
stryker="$here/node_modules/@stryker-mutator/core/bin/stryker.js"
config=tools/stryker/stryker.config.mjs
if [ "$(node -p 'process.versions.node.split(".")[0]')" -ge 22 ]; then
  exec node "$stryker" run "$config" "$@"
fi
exec npx -y node@22 "$stryker" run "$config" "$@"
