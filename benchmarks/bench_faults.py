"""Fault benchmark: what each SDK loses, duplicates and how long it takes to drain under an
outage, 30 % 503s and a synchronous burst — posthog-sdk beside the official `posthog` and
`posthog-node`, every one at its defaults (only the host is set), in one run.

Each SDK runs in its own child process against the local test server:

* outage — the server answers 503 for `--outage` seconds (60) from the start, while the app
  captures 1 000 events/s for `--run` seconds (30) and keeps running (a server process) until
  the outage is over, then calls `shutdown()` with its default bound. With
  `storage_dir`/`storageDir` a second process opens the same directory afterwards (a restart)
  and delivers anything the first left there.
* 503s — every third request of the first 3 000 answers 503 (and five in a row at the start);
  10 000 events as fast as possible, then `shutdown()`.
* burst — 100 000 synchronous `capture()` calls, then `shutdown()`.

Lost = captured − unique events stored; duplicated = stored copies beyond the first; drain =
from the last capture (outage: from the end of the outage) until `shutdown()` returned, plus
the restart where there is one.

    scripts/bench.sh faults        # or: target/py-venv/bin/python benchmarks/bench_faults.py
    ... bench_faults.py --scale 0.1   # every duration and count ×0.1, for a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NODE_CHILD = os.path.join(ROOT, "benchmarks", "bench_faults_node.mjs")
PROPS = {"plan": "pro", "seats": 12, "$current_url": "https://example.com/pricing"}


def capture_all(client, spec) -> int:
    """Captures at `rate` events/s for `run` seconds, or `n` events at once; returns how many."""
    if spec.get("rate"):
        rate, total = spec["rate"], int(spec["rate"] * spec["run"])
        t0 = time.monotonic()
        for i in range(total):
            if i % 10 == 0:
                ahead = t0 + i / rate - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
            client.capture(distinct_id=f"user-{i % 100}", event="pageview", properties=PROPS)
        return total
    for i in range(spec["n"]):
        client.capture(distinct_id=f"user-{i % 100}", event="pageview", properties=PROPS)
    return spec["n"]


def child(spec: dict) -> None:
    """One SDK run; prints a JSON line."""
    extra = {"storage_dir": spec["dir"]} if spec.get("dir") else {}
    if spec["sdk"] == "posthog-sdk":
        from posthog_sdk import Posthog
    else:
        from posthog import Posthog
    client = Posthog("phc_bench_faults", host=spec["url"], **extra)
    if spec.get("restart"):
        t0 = time.monotonic()
        client.shutdown()
        print(json.dumps({"captured": 0, "drain_s": time.monotonic() - t0}))
        return
    start = time.monotonic()
    captured = capture_all(client, spec)
    if spec.get("until"):
        time.sleep(max(0.0, start + spec["until"] - time.monotonic()))
    t0 = time.monotonic()
    client.shutdown()
    print(json.dumps({"captured": captured, "drain_s": time.monotonic() - t0}))


def post(url: str, path: str, body) -> None:
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req).read()


def run_child(lang: str, spec: dict) -> dict:
    if lang == "python":
        cmd = [sys.executable, __file__, "--child", json.dumps(spec)]
    else:
        cmd = ["node", NODE_CHILD, "--child", json.dumps(spec)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=1800).stdout
    return json.loads(out.strip().splitlines()[-1])


def scenario(url: str, lang: str, sdk: str, name: str, scale: float, args, disk: bool) -> dict:
    post(url, "/_test/reset", {})
    spec = {"sdk": sdk, "url": url}
    if name == "outage":
        post(url, "/_test/outage", {"seconds": args.outage * scale})
        spec.update(rate=1000, run=args.run * scale, until=args.outage * scale)
    elif name == "503s":
        faults = [{"status": 503}] * 5
        faults += [{"status": 503} if i % 3 == 0 else {"latency_ms": 0} for i in range(3000)]
        post(url, "/_test/faults", faults)
        spec["n"] = int(10_000 * scale)
    else:
        spec["n"] = int(100_000 * scale)
    tmp = tempfile.mkdtemp(prefix="posthog-bench-") if disk else None
    try:
        if tmp:
            spec["dir"] = tmp
        r = run_child(lang, spec)
        drain = r["drain_s"]
        if tmp:
            again = run_child(lang, {**spec, "restart": True})
            drain += again["drain_s"]
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    stats = json.load(urllib.request.urlopen(url + "/_test/stats"))
    got = stats["unique_uuids"]
    return {"captured": r["captured"], "lost": r["captured"] - got, "dup": stats["duplicate_events"],
            "drain_s": drain}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--outage", type=float, default=60.0)
    ap.add_argument("--run", type=float, default=30.0)
    ap.add_argument("--only", default="outage,503s,burst")
    ap.add_argument("--langs", default="python,node")
    args = ap.parse_args()
    if args.child:
        child(json.loads(args.child))
        return
    binary = os.environ.get("POSTHOG_TESTSERVER_BIN", os.path.join(ROOT, "target", "debug", "posthog-testserver"))
    server = subprocess.Popen([binary, "--port", "0"], stdout=subprocess.PIPE, text=True)
    sdks = {"python": [("posthog-sdk", False), ("posthog-sdk", True), ("posthog", False)],
            "node": [("posthog-sdk", False), ("posthog-sdk", True), ("posthog-node", False)]}
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        rows = []
        for name in args.only.split(","):
            for lang in args.langs.split(","):
                for sdk, disk in sdks[lang]:
                    if disk and name != "outage":
                        continue
                    r = scenario(url, lang, sdk, name, args.scale, args, disk)
                    label = f"{sdk} ({lang}{', storage_dir' if disk else ''})"
                    rows.append((name, label, r))
                    print(f"{name:7} {label:40} {json.dumps(r)}", file=sys.stderr, flush=True)
        print(f"{time.strftime('%Y-%m-%d')}, scale {args.scale}: outage {args.outage * args.scale:.0f} s from the start "
              f"of a {args.run * args.scale:.0f} s run at 1 000 events/s, shutdown after it; 503s: {int(10_000 * args.scale)} events; "
              f"burst: {int(100_000 * args.scale)} events. Defaults, local test server.")
        print("| scenario | SDK | captured | lost | duplicated | drain |")
        print("|---|---|---|---|---|---|")
        for name, label, r in rows:
            print(f"| {name} | {label} | {r['captured']} | {r['lost']} | {r['dup']} | {r['drain_s']:.1f} s |")
    finally:
        server.kill()


if __name__ == "__main__":
    main()
