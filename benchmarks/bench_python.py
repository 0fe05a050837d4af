"""Capture cost and throughput: posthog-sdk (ours) beside the official `posthog` package.

Each SDK runs in its own child process against the local test server, so CPU and memory
figures do not mix. Every SDK is at its default batch settings; only `max_queue_size` is set
(to the number of events), so nothing is dropped. Measured per SDK:

- `capture()` per call: each call timed on its own with `time.perf_counter_ns` (p50, p99.9;
  the timer's own cost, an empty call timed the same way, is printed beside);
- delivered events/s: events / (capture loop + `flush()` until the server has them all);
- CPU per delivered event: the process's CPU time (every thread) over capture + flush, / events;
- peak RSS growth over the run.

Rows: ours through the drop-in `posthog_sdk.Posthog` and through `posthog_sdk.Client`, and
the official `posthog.Posthog`. Build ours with `maturin develop --release` first.

    scripts/bench.sh python      # or: target/py-venv/bin/python benchmarks/bench_python.py
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import urllib.request
from typing import Any, Callable, Dict, List

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROPS = {"plan": "pro", "seats": 12, "trial": False, "$current_url": "https://example.com/pricing",
         "tags": ["a", "b"], "nested": {"k": 1.5}}
SDKS = {
    "ours-posthog": "posthog-sdk `Posthog` (drop-in)",
    "ours-client": "posthog-sdk `Client`",
    "official": "posthog (official) `Posthog`",
}


def percentile(sorted_ns: List[int], q: float) -> float:
    return sorted_ns[min(len(sorted_ns) - 1, int(len(sorted_ns) * q))] / 1000.0


def child(sdk: str, url: str, n: int) -> None:
    ids = [f"user-{i % 100}" for i in range(100)]
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    client: Any
    if sdk == "ours-posthog":
        import posthog_sdk

        client = posthog_sdk.Posthog("phc_bench", host=url, max_queue_size=n)
        version = posthog_sdk.__version__
    elif sdk == "ours-client":
        import posthog_sdk

        client = posthog_sdk.Client("phc_bench", host=url, max_queue_size=n)
        version = posthog_sdk.__version__
    else:
        import posthog
        from posthog import Posthog

        client = Posthog("phc_bench", host=url, max_queue_size=n)
        version = posthog.VERSION
    capture: Callable[..., Any] = client.capture
    pc = time.perf_counter_ns
    # The timer's own cost: an empty call timed the same way.
    empty: List[int] = []

    def nothing(event: str, distinct_id: str, properties: Dict[str, Any]) -> None:
        return None

    for i in range(2000):
        t = pc()
        nothing("pageview", distinct_id=ids[i % 100], properties=PROPS)
        empty.append(pc() - t)
    times = [0] * n
    cpu0 = time.process_time()
    t0 = pc()
    for i in range(n):
        t = pc()
        capture("pageview", distinct_id=ids[i % 100], properties=PROPS)
        times[i] = pc() - t
    t1 = pc()
    client.flush()
    t2 = pc()
    cpu = time.process_time() - cpu0
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    client.shutdown()
    times.sort()
    empty.sort()
    print(json.dumps({
        "version": version,
        "p50_us": percentile(times, 0.5),
        "p99_us": percentile(times, 0.99),
        "p999_us": percentile(times, 0.999),
        "max_us": times[-1] / 1000.0,
        "timer_us": percentile(empty, 0.5),
        "loop_s": (t1 - t0) / 1e9,
        "delivered_s": (t2 - t0) / 1e9,
        "cpu_us_per_event": cpu / n * 1e6,
        "rss_mb": (rss1 - rss0) / 1024,
    }))


def post(url: str) -> None:
    urllib.request.urlopen(urllib.request.Request(url, method="POST")).read()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--child", nargs=2, metavar=("SDK", "URL"))
    ap.add_argument("--sdks", default=",".join(SDKS), help="comma-separated: " + ", ".join(SDKS))
    args = ap.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.n)
        return
    binary = os.environ.get("POSTHOG_TESTSERVER_BIN", os.path.join(ROOT, "target", "debug", "posthog-testserver"))
    server = subprocess.Popen([binary, "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        rows = []
        for sdk in args.sdks.split(","):
            post(url + "/_test/reset")
            out = subprocess.run([sys.executable, __file__, "--n", str(args.n), "--child", sdk, url],
                                 check=True, capture_output=True, text=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
            stats = json.load(urllib.request.urlopen(url + "/_test/stats"))
            rows.append((sdk, r, stats["unique_uuids"]))
        print(f"Python {sys.version.split()[0]}, {args.n} events with 6 properties, default batch "
              "settings (max_queue_size = events), local test server")
        print("| SDK | capture() p50 | p99 | p99.9 | max | delivered events/s "
              "| CPU per delivered event | peak RSS growth | delivered |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for sdk, r, got in rows:
            print(f"| {SDKS.get(sdk, sdk)} {r['version']} | {r['p50_us']:.2f} µs | {r['p99_us']:.2f} µs "
                  f"| {r['p999_us']:.1f} µs | {r['max_us'] / 1000:.1f} ms "
                  f"| {args.n / r['delivered_s']:,.0f} "
                  f"| {r['cpu_us_per_event']:.1f} µs | {r['rss_mb']:.1f} MB | {got} |")
        print(f"(per-call times include the timer's own cost: an empty call timed the same way "
              f"takes {rows[0][1]['timer_us']:.2f} µs p50)")
    finally:
        server.kill()
        server.wait()


if __name__ == "__main__":
    main()
