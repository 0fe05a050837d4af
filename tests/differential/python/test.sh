#!/usr/bin/env bash
# Differential tests: the same usage code run with the official `posthog==7.91.1` and with
# `posthog_sdk`, both against the local test server; the two records are compared.
# Runs from any directory. Extra arguments go to pytest.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
VENV="$REPO/target/py-venv"
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

if [ -x "$VENV/bin/python" ]; then
    PY="$VENV/bin/python"
elif [ -x "$VENV/Scripts/python.exe" ]; then
    PY="$VENV/Scripts/python.exe"
else
    "${PYTHON:-python3}" -m venv "$VENV"
    if [ -x "$VENV/bin/python" ]; then PY="$VENV/bin/python"; else PY="$VENV/Scripts/python.exe"; fi
fi
# pyo3's build script re-runs whenever the interpreter it sees changes: pin it everywhere.
export PYO3_PYTHON="$PY"
export VIRTUAL_ENV="$VENV"

"$PY" -m pip install --quiet --disable-pip-version-check "maturin==1.16.0" "pytest>=7" "posthog==7.91.1"
# The provider SDKs of the LLM-analytics scenarios (scenarios_ai.py), pinned.
"$PY" -m pip install --quiet --disable-pip-version-check "openai==3.63.0" "anthropic==2.17.0"

cargo build --quiet --manifest-path "$REPO/Cargo.toml" -p posthog-testserver
export POSTHOG_TESTSERVER_BIN="${POSTHOG_TESTSERVER_BIN:-$REPO/target/debug/posthog-testserver}"

"$PY" -m maturin develop --quiet --manifest-path "$REPO/bindings/python/Cargo.toml"

cd "$HERE"
"$PY" -m pytest -q -p no:cacheprovider "$HERE" "$@"
