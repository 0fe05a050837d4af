#!/usr/bin/env bash
# Differential test of posthog-sdk (bindings/node) against posthog-node@5.70.0, from any directory:
# npm install here (posthog-node pinned, posthog-sdk by path), build the test server and the
# addon (debug), then `node --test` on this folder. Network: the npm registry and 127.0.0.1 only.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

(cd "$repo" && cargo build -q -p posthog-testserver)
export POSTHOG_TESTSERVER_BIN="${POSTHOG_TESTSERVER_BIN:-$repo/target/debug/posthog-testserver}"

# Writes posthog-sdk.<platform>.node, index.js and index.d.ts in bindings/node (generated files).
(cd "$repo/bindings/node" && npm ci --no-audit --no-fund --loglevel=error && npx napi build --platform --js index.js --dts index.d.ts)

cd "$here"
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
else
  npm install --no-audit --no-fund --loglevel=error
fi

node --test "$here"
