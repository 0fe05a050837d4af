#!/usr/bin/env bash
# Benchmarks, ours beside the official SDKs. Usage: scripts/bench.sh [rust|python|node|faults ...]
# (default: rust python node). Builds what it measures in release: the test server, the Node
# addon (`npm run build`) and the Python extension (`maturin develop --release`).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CARGO_INCREMENTAL=0
suites=("$@")
[ ${#suites[@]} -eq 0 ] && suites=(rust python node)
cargo build -q -p posthog-testserver
# The server shares the 2 cores with the SDK under test: a release build, so it is not the limit.
cargo build -q --release -p posthog-testserver
export POSTHOG_TESTSERVER_BIN="$root/target/release/posthog-testserver"
for s in "${suites[@]}"; do
  case "$s" in
    rust) cargo bench -p posthog-core --bench pipeline -- --warm-up-time 1 --measurement-time 4 ;;
    python)
      py="$root/target/py-venv/bin/python"
      "$py" -m pip install -q "posthog==7.91.1"
      # A release test server: the debug one would be the bottleneck of delivered events/s.
      cargo build -q --release -p posthog-testserver
      export POSTHOG_TESTSERVER_BIN="${POSTHOG_TESTSERVER_BIN:-$root/target/release/posthog-testserver}"
      "$py" benchmarks/bench_python.py
      "$py" benchmarks/bench_flags_python.py ;;
    node)
      (cd bindings/node && npm ci --silent --no-audit --no-fund && npm run build --silent)
      npm install --silent --prefix benchmarks/node
      node benchmarks/bench_node.mjs ;;
    faults)
      # Loss, duplicates and drain under an outage, 503s and a burst (about 10 minutes).
      "$root/target/py-venv/bin/python" -m pip install -q "posthog==7.91.1"
      npm install --silent --prefix benchmarks/node
      POSTHOG_TESTSERVER_BIN="$root/target/debug/posthog-testserver" \
        "$root/target/py-venv/bin/python" benchmarks/bench_faults.py ;;
  esac
done
