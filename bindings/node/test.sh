#!/usr/bin/env bash
# The self-contained test of the Node binding, from any directory:
# npm ci, build the test server and the addon (debug), run `node --test`.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

cd "$here"
npm ci --no-audit --no-fund --loglevel=error

(cd "$repo" && cargo build --quiet -p posthog-testserver)
export POSTHOG_TESTSERVER_BIN="${POSTHOG_TESTSERVER_BIN:-$repo/target/debug/posthog-testserver}"

# Writes posthog-sdk.<platform>.node, index.js and index.d.ts next to package.json.
npx napi build --platform --js index.js --dts index.d.ts

if [ "${CI:-}" = "true" ]; then
  # The committed loader and types must match what the build just generated.
  git -C "$here" diff --exit-code -- index.js index.d.ts
fi

node --test
