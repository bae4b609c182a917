#!/usr/bin/env bash
# What `npm test` needs besides the main package (run as its `pretest`): TypeDoc in tools/apidoc, for
# the test that the API reference is current; dependency-cruiser in tools/deps, for the import-graph
# test; and Debian's chromium, for the timeline test. Each is installed only when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x tools/apidoc/node_modules/.bin/typedoc ]; then
  npm ci --prefix tools/apidoc --no-audit --no-fund >/dev/null
fi
if [ ! -x tools/deps/node_modules/.bin/depcruise ]; then
  npm ci --prefix tools/deps --no-audit --no-fund >/dev/null
fi
if ! command -v chromium >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 \
    || { apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends chromium >/dev/null 2>&1; } \
    || { echo "test-deps: could not install Debian's chromium (apt-get install chromium)" >&2; exit 1; }
fi
