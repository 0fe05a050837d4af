"""Runs one scenario with one package, in its own interpreter (module-level state is global):

    python runner.py <posthog|posthog_sdk> <scenario> <server url> <output file>

Writes {"observed": <the scenario's record>} or {"uncaught": "<neutral exception>",
"traceback": "..."} to the output file. The harness collects what reached the server after
this process has exited (so the exit hooks' deliveries are included)."""

from __future__ import annotations

import importlib
import json
import os
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import scenarios  # noqa: E402
from server import Server  # noqa: E402


def main() -> int:
    package, name, url, output = sys.argv[1:5]
    module = importlib.import_module(package)
    srv = Server(url)
    try:
        record = {"observed": scenarios.SCENARIOS[name](module, srv)}
    except BaseException as e:  # noqa: BLE001 - recorded, compared like everything else
        record = {"uncaught": scenarios.neutral_exc(e), "traceback": traceback.format_exc()}
    with open(output, "w", encoding="utf-8") as f:
        json.dump(record, f, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
