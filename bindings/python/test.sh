#!/usr/bin/env bash
# The test command of the Python binding; runs from any directory.
#   venv at <repo>/target/py-venv (created if missing), maturin + pytest, the test server,
#   the extension in debug mode, then pytest. Extra arguments go to pytest.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
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

"$PY" -m pip install --quiet --disable-pip-version-check "maturin==1.16.0" "pytest>=7" "mypy>=1.10"
# The provider SDKs the LLM-analytics wrappers (posthog_sdk.ai) are tested against, pinned.
"$PY" -m pip install --quiet --disable-pip-version-check "openai==3.63.0" "anthropic==2.17.0"

cargo build --quiet --manifest-path "$REPO/Cargo.toml" -p posthog-testserver
export POSTHOG_TESTSERVER_BIN="${POSTHOG_TESTSERVER_BIN:-$REPO/target/debug/posthog-testserver}"

"$PY" -m maturin develop --quiet --manifest-path "$HERE/Cargo.toml"

cd "$HERE"
"$PY" -m pytest -q tests "$@"

# Types of the public API and the examples: pyright (from the npm registry, into
# target/pyright; skipped without npm) and mypy --strict.
if command -v npm >/dev/null 2>&1; then
    PYRIGHT="$REPO/target/pyright/node_modules/.bin/pyright"
    [ -x "$PYRIGHT" ] || npm install --silent --prefix "$REPO/target/pyright" pyright
    "$PYRIGHT" --pythonpath "$PY" "$REPO/examples/python" "$HERE/python/posthog_sdk"
else
    echo "npm not found: pyright check skipped" >&2
fi
if "$PY" -c "import mypy" 2>/dev/null; then
    "$PY" -m mypy --strict "$HERE/python/posthog_sdk" "$REPO"/examples/python/*.py
fi
