#!/usr/bin/env bash
# Every test in every language: Rust (fmt, clippy, unit + integration + examples), Python
# (pytest), Node (node --test) and Kotlin on the JVM (JUnit via Maven). Installs what it needs
# (maturin and pytest into a venv under target/, npm packages, Maven artefacts).
# Then the npm package as users install it (tests/npm-install: npm pack, npm install of the
# tarball, which builds the addon from the packed Rust sources, and a round trip).
# Then PostHog's SDK compliance-harness adapters (Rust, Python, Node) against the test server,
# and the differential suites: the same usage code through posthog==7.91.1 / posthog-node@5.70.0
# and through this package, compared (tests/differential).
# Usage: scripts/test-all.sh [rust|python|node|npm-install|kotlin|compliance|differential ...]   (default: all)
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CARGO_INCREMENTAL=0
export CARGO_PROFILE_DEV_DEBUG=0
export CARGO_PROFILE_DEV_BUILD_OVERRIDE_DEBUG=0
export CARGO_TERM_COLOR=never
export POSTHOG_TESTSERVER_BIN="$root/target/debug/posthog-testserver"

suites=("$@")
[ ${#suites[@]} -eq 0 ] && suites=(rust python node npm-install kotlin compliance differential)

passed=0
failed=0
failed_names=()

run() {
  local name=$1
  shift
  echo
  echo "=== $name: $* ==="
  local start=$SECONDS
  if "$@"; then
    passed=$((passed + 1))
    echo "=== $name: passed in $((SECONDS - start)) s ==="
  else
    failed=$((failed + 1))
    failed_names+=("$name")
    echo "=== $name: FAILED after $((SECONDS - start)) s ==="
  fi
}

rust() {
  cargo fmt --all --check &&
    cargo build --workspace --exclude posthog-sdk-python --exclude posthog-sdk-node --all-targets &&
    cargo clippy --workspace --exclude posthog-sdk-python --exclude posthog-sdk-node --all-targets -- -D warnings &&
    cargo test &&
    cargo clippy -p posthog-core --features parquet --all-targets -- -D warnings &&
    cargo test -p posthog-core --features parquet --test admin parquet &&
    cargo run -q -p posthog-sdk-examples --bin demo
}

for s in "${suites[@]}"; do
  case "$s" in
    rust) run rust rust ;;
    python) run python bash bindings/python/test.sh ;;
    node) run node bash bindings/node/test.sh ;;
    npm-install) run npm-install bash tests/npm-install/test.sh ;;
    kotlin) run kotlin bash bindings/uniffi/test.sh ;;
    compliance) run compliance bash tests/compliance/test.sh ;;
    differential)
      run differential-python bash tests/differential/python/test.sh
      run differential-node bash tests/differential/node/test.sh
      ;;
    *) echo "unknown suite: $s" >&2; exit 2 ;;
  esac
done

echo
[ $failed -gt 0 ] && echo "failed suites: ${failed_names[*]}"
echo "suites: $passed passed, $failed failed"
[ $failed -eq 0 ]
