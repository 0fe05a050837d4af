#!/usr/bin/env bash
# Drives the three SDK compliance adapters (Rust, Python, Node) through the whole adapter
# interface of PostHog's SDK test harness against the local test server, with one shared
# driver (tests/compliance/driver.py). Runs from any directory.
#
# Builds the test server and the Rust adapter. Assumes what the binding suites build first
# (scripts/test-all.sh runs them before this): the venv target/py-venv with posthog_sdk
# installed (bindings/python/test.sh) and the Node addon (bindings/node/test.sh). An adapter
# whose prerequisites are missing counts as a failure.
#   tests/compliance/test.sh [rust|python|node ...]     (default: all three)
# Ends with `compliance: N passed, M failed`; exits non-zero on any failure.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

which=("$@")
[ ${#which[@]} -eq 0 ] && which=(rust python node)

if ! (cd "$repo" && cargo build --quiet -p posthog-testserver -p posthog-compliance-adapter); then
  echo "compliance: 0 passed, 1 failed (cargo build)"
  exit 1
fi
server="$repo/target/debug/posthog-testserver"

# The driver needs only the standard library: any Python 3.9+ (the venv's if there is one).
if [ -x "$repo/target/py-venv/bin/python" ]; then py="$repo/target/py-venv/bin/python"; else py="${PYTHON:-python3}"; fi

args=(--server-bin "$server")
for a in "${which[@]}"; do
  case "$a" in
    rust)
      args+=(--adapter "rust=$repo/target/debug/posthog-compliance-adapter --port 0")
      ;;
    python)
      venv_py="$repo/target/py-venv/bin/python"
      if [ -x "$venv_py" ] && "$venv_py" -c 'import posthog_sdk' 2>/dev/null; then
        args+=(--adapter "python=$venv_py $here/python/adapter.py --port 0")
      else
        args+=(--missing "python=no target/py-venv with posthog_sdk: run bindings/python/test.sh first")
      fi
      ;;
    node)
      if ls "$repo"/bindings/node/posthog-sdk.*.node >/dev/null 2>&1 && command -v node >/dev/null; then
        args+=(--adapter "node=node $here/node/adapter.mjs --port 0")
      else
        args+=(--missing "node=the Node addon is not built: run bindings/node/test.sh first")
      fi
      ;;
    *) echo "unknown adapter: $a (rust, python, node)" >&2; exit 2 ;;
  esac
done

exec "$py" "$here/driver.py" "${args[@]}"
