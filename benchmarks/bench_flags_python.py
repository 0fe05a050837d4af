"""Local feature-flag evaluation: posthog-sdk (ours, through the Python binding) beside the
official `posthog` package (posthog-python 7.91.1).

Both SDKs load the same 53 flag definitions (`flag_definitions.json`) from the local test
server with the flags secure key and then evaluate LOCALLY only (no `/flags` request, no
`$feature_flag_called` event): one multivariate flag, one property-filter flag, and all 53
flags at once, for a realistic context (person properties, a company group). Ours runs twice,
through `posthog_sdk.Client` and through the drop-in `posthog_sdk.Posthog`. Each runs in its
own child process; times are timeit-style, best of N repeats, per call (and single flag
evaluations per second).

Setup (once; the official package is a benchmark dependency only, never a test dependency):

    target/py-venv/bin/python -m maturin develop --release -m bindings/python/Cargo.toml
    target/py-venv/bin/python -m pip install posthog==7.91.1
    cargo build -p posthog-testserver
    target/py-venv/bin/python benchmarks/bench_flags_python.py
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import timeit
from typing import Any, Callable, Dict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVER_BIN = os.environ.get(
    "POSTHOG_TESTSERVER_BIN", os.path.join(ROOT, "target", "debug", "posthog-testserver")
)
SECURE_KEY = "phs_testsecurekey"
OFFICIAL_VERSION = "7.91.1"

DISTINCT_ID = "user-4242"
PERSON = {
    "email": "ada@acme.com",
    "plan": "pro",
    "country": "US",
    "age": 36,
    "app_version": "2.4.1",
}
GROUPS = {"company": "acme"}
GROUP_PROPS = {"company": {"plan": "enterprise", "employees": 250}}
MULTIVARIATE = "exp-checkout-flow"
PROPERTY_FLAG = "pro-us-adults"

CASES = [
    ("multivariate flag (`%s`)" % MULTIVARIATE, "multivariate"),
    ("property-filter flag (`%s`)" % PROPERTY_FLAG, "property"),
    ("all 53 flags (`get_all_flags`)", "all"),
]


def measure(fn: Callable[[], Any], repeat: int) -> float:
    """Best per-call time in seconds over `repeat` runs of an auto-sized loop."""
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()  # at least 0.2 s per run
    return min(timer.repeat(repeat=repeat, number=number)) / number


def child(sdk: str, url: str, repeat: int) -> None:
    ctx: Dict[str, Any] = {
        "person_properties": PERSON,
        "groups": GROUPS,
        "group_properties": GROUP_PROPS,
        "only_evaluate_locally": True,
    }
    if sdk == "ours":
        import posthog_sdk

        client: Any = posthog_sdk.Client(
            "phc_bench", host=url, personal_api_key=SECURE_KEY, flush_interval=3600
        )
        version = posthog_sdk.__version__
    elif sdk == "ours-posthog":
        import posthog_sdk

        client = posthog_sdk.Posthog("phc_bench", host=url, personal_api_key=SECURE_KEY)
        client.load_feature_flags()
        version = posthog_sdk.__version__
    else:
        logging.disable(logging.CRITICAL)
        import posthog
        from posthog import Posthog

        version = posthog.VERSION
        if version != OFFICIAL_VERSION:
            print(f"warning: posthog {version} installed, not {OFFICIAL_VERSION}", file=sys.stderr)
        client = Posthog("phc_bench", host=url, personal_api_key=SECURE_KEY)
        client.load_feature_flags()

    def one(key: str) -> Any:
        return client.get_feature_flag(key, DISTINCT_ID, send_feature_flag_events=False, **ctx)

    calls: Dict[str, Callable[[], Any]] = {
        "multivariate": lambda: one(MULTIVARIATE),
        "property": lambda: one(PROPERTY_FLAG),
        "all": lambda: client.get_all_flags(DISTINCT_ID, **ctx),
    }
    answers = {name: fn() for name, fn in calls.items()}  # warm-up, and the values to compare
    assert answers["multivariate"] is not None, "definitions were not loaded"
    timings = {name: measure(fn, repeat) for name, fn in calls.items()}
    client.shutdown()
    print(json.dumps({"version": version, "answers": answers, "seconds": timings}))


def run_child(sdk: str, url: str, repeat: int) -> Dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", sdk, "--url", url, "--repeat", str(repeat)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="timing runs per case (best kept)")
    parser.add_argument("--child", choices=["ours", "ours-posthog", "official"],
                        help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.url, args.repeat)
        return

    server = subprocess.Popen([SERVER_BIN, "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().strip()  # type: ignore[union-attr]
        ours = run_child("ours", url, args.repeat)
        drop_in = run_child("ours-posthog", url, args.repeat)
        official = run_child("official", url, args.repeat)
    finally:
        server.kill()
        server.wait()

    agree = ours["answers"] == official["answers"] == drop_in["answers"]
    print(f"Python {sys.version.split()[0]}; local evaluation of 53 flag definitions; "
          f"best of {args.repeat}; µs per call\n")
    print(f"| case | posthog-sdk {ours['version']} `Client` | posthog-sdk `Posthog` (drop-in) "
          f"| posthog {official['version']} | speed-up (drop-in) |")
    print("|---|---:|---:|---:|---:|")
    for label, name in CASES:
        a, d = ours["seconds"][name] * 1e6, drop_in["seconds"][name] * 1e6
        b = official["seconds"][name] * 1e6
        print(f"| {label} | {a:.2f} µs | {d:.2f} µs | {b:.2f} µs | {b / d:.1f}× |")
    for label, name in CASES[:2]:
        a, d, b = (1 / r["seconds"][name] for r in (ours, drop_in, official))
        print(f"| {label}, evaluations/s | {a:,.0f} | {d:,.0f} | {b:,.0f} | |")
    print()
    print("answers agree" if agree else "ANSWERS DIFFER:\n  ours: %s\n  official: %s"
          % (ours["answers"], official["answers"]))


if __name__ == "__main__":
    main()
