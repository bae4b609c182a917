#!/usr/bin/env bash
# `npm run mutants`: StrykerJS 10 refuses Node < 22 and the project's machines have Node 20, so use
# the machine's node when it is new enough, else Node 22 from the npm registry (the `node` package
# ships the binary; npx caches it). Extra arguments go to `stryker run` (e.g. --mutate 'src/pagecache/*.ts').
set -euo pipefail
cd "$(dirname "$0")/../.."
stryker=node_modules/@stryker-mutator/core/bin/stryker.js
if [ "$(node -p 'process.versions.node.split(".")[0]')" -ge 22 ]; then
  exec node "$stryker" run "$@"
fi
exec npx -y node@22 "$stryker" run "$@"
