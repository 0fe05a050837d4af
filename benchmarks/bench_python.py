"""Capture throughput and memory: posthog-sdk (ours) beside the official `posthog` package.

Each SDK runs in its own child process against the local test server, so memory figures do not
mix. Measures the time `capture()` holds the caller (enqueue), the time until every event is
delivered (capture + flush), and the peak RSS growth.

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

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROPS = {"plan": "pro", "seats": 12, "trial": False, "$current_url": "https://example.com/pricing",
         "tags": ["a", "b"], "nested": {"k": 1.5}}


def child(sdk: str, url: str, n: int) -> None:
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if sdk == "posthog-sdk":
        import posthog_sdk

        client = posthog_sdk.Client("phc_bench", host=url, flush_at=100, max_queue_size=n)
        t0 = time.perf_counter()
        for i in range(n):
            client.capture("pageview", distinct_id=f"user-{i % 100}", properties=PROPS)
        t1 = time.perf_counter()
        client.flush()
    else:
        from posthog import Posthog

        client = Posthog("phc_bench", host=url, flush_at=100, max_queue_size=n, gzip=True)
        t0 = time.perf_counter()
        for i in range(n):
            client.capture("pageview", distinct_id=f"user-{i % 100}", properties=PROPS)
        t1 = time.perf_counter()
        client.flush()
    t2 = time.perf_counter()
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    client.shutdown()
    print(json.dumps({"capture_us": (t1 - t0) / n * 1e6, "delivered_s": t2 - t0, "rss_mb": (rss1 - rss0) / 1024}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--child", nargs=2, metavar=("SDK", "URL"))
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
        for sdk in ["posthog-sdk", "posthog"]:
            urllib.request.urlopen(urllib.request.Request(url + "/_test/reset", method="POST")).read()
            out = subprocess.run([sys.executable, __file__, "--n", str(args.n), "--child", sdk, url],
                                 check=True, capture_output=True, text=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
            stats = json.load(urllib.request.urlopen(url + "/_test/stats"))
            rows.append((sdk, r, stats["unique_uuids"]))
        print(f"Python {sys.version.split()[0]}, {args.n} events with 6 properties, local test server")
        print("| SDK | capture() per event | capture + flush, all delivered | peak RSS growth | events delivered |")
        print("|---|---|---|---|---|")
        for sdk, r, got in rows:
            print(f"| {sdk} | {r['capture_us']:.1f} µs | {r['delivered_s'] * 1000:.0f} ms | {r['rss_mb']:.1f} MB | {got} |")
    finally:
        server.kill()


if __name__ == "__main__":
    main()
