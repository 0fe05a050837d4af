"""Exports PostHog events in a date range to JSON Lines, CSV, Parquet or a pandas DataFrame.

    export POSTHOG_PERSONAL_API_KEY=phx_...        # a key with the query:read scope only
    export POSTHOG_HOST=https://eu.posthog.com      # optional (default: US Cloud)
    python export_events.py events.jsonl --after 2026-11-01 --before 2026-12-01 [--event '$pageview']
    python export_events.py events.csv --format csv
    python export_events.py events.parquet --format parquet    # needs pyarrow
    python export_events.py events.pkl --format pandas         # needs pandas (a pickled DataFrame)

The key is read from the environment, never from the command line (it would show in `ps`
and in your shell history). Before the export starts, the script checks the key has the
scope it needs. Progress goes to stderr (tqdm when installed).

Resumable: after every page the checkpoint is kept in `<output>.checkpoint.json`; when the
export stops (network, rate limit, Ctrl-C), run the same command again and it continues where
it stopped, without repeating or skipping a row. Pages are asked fresh from PostHog (never
from its cache) and shrink by themselves when a query hits PostHog's time limit.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, Optional

import posthog_sdk


def parse_time(text: str) -> datetime:
    """A date (`2026-11-01`) or an ISO time; naive times are UTC."""
    t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def progress_bar(total: int) -> Callable[[int], None]:
    """tqdm when installed, else a small bar of our own on stderr."""
    try:
        from tqdm import tqdm  # type: ignore[import-untyped, import-not-found, unused-ignore]
    except ImportError:
        tqdm = None
    if tqdm is not None:
        bar = tqdm(total=total, unit="rows", file=sys.stderr)
        seen = [0]

        def update_tqdm(rows: int) -> None:
            bar.update(rows - seen[0])
            seen[0] = rows

        return update_tqdm

    def update(rows: int) -> None:
        done = min(rows / total, 1.0) if total else 1.0
        filled = int(done * 30)
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {rows}/{total} rows")
        if rows >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return update


def convert(jsonl: str, out: str, fmt: str) -> None:
    """Turns the exported JSON Lines into Parquet (pyarrow) or a pickled DataFrame (pandas)."""
    if fmt == "parquet":
        try:
            import pyarrow.json as pj  # type: ignore[import-untyped, import-not-found, unused-ignore]
            import pyarrow.parquet as pq  # type: ignore[import-untyped, import-not-found, unused-ignore]
        except ImportError:
            raise SystemExit("--format parquet needs pyarrow: pip install pyarrow")
        pq.write_table(pj.read_json(jsonl), out)
    else:
        try:
            import pandas  # type: ignore[import-untyped, import-not-found, unused-ignore]
        except ImportError:
            raise SystemExit("--format pandas needs pandas: pip install pandas")
        frame = pandas.read_json(jsonl, lines=True)
        frame.to_pickle(out)
        print(frame.describe(include="all").T.head(10), file=sys.stderr)
    os.remove(jsonl)


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("output")
    ap.add_argument("--after", type=parse_time, help="start (inclusive); default 7 days ago")
    ap.add_argument("--before", type=parse_time, help="end (exclusive); default now")
    ap.add_argument("--event", help="only this event name, e.g. $pageview")
    ap.add_argument("--format", choices=["jsonl", "csv", "parquet", "pandas"], default="jsonl")
    ap.add_argument("--page-size", type=int, default=10_000)
    a = ap.parse_args()

    state_path = a.output + ".checkpoint.json"
    # Parquet and pandas are written from JSON Lines once the export is complete.
    written = a.output if a.format in ("jsonl", "csv") else a.output + ".jsonl.part"
    wire_format = "csv" if a.format == "csv" else "jsonl"
    checkpoint: Optional[Dict[str, Any]] = None
    before = a.before or datetime.now(timezone.utc)
    after = a.after or before - timedelta(days=7)
    job = {"after": after.isoformat(), "before": before.isoformat(), "event": a.event, "format": a.format}
    if os.path.exists(state_path):
        with open(state_path) as f:
            saved = json.load(f)
        if a.after is None and a.before is None:
            job = saved["job"]  # resuming: the same window as the first run
        if saved["job"] != job:
            print(f"{state_path} belongs to another export ({saved['job']}); remove it to start over", file=sys.stderr)
            return 2
        resumed: Dict[str, Any] = saved["checkpoint"]
        checkpoint = resumed
        print(f"resuming after {resumed['rows']} rows", file=sys.stderr)
    after, before = parse_time(job["after"]), parse_time(job["before"])

    def save(cp: Dict[str, Any]) -> None:
        tmp = state_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"job": job, "checkpoint": cp}, f)
        os.replace(tmp, state_path)

    try:
        admin = posthog_sdk.AdminClient()  # POSTHOG_PERSONAL_API_KEY, POSTHOG_HOST
    except posthog_sdk.PostHogError as e:
        print(f"cannot start: {e}", file=sys.stderr)
        return 2
    with admin:
        try:
            admin.preflight(["export", "query"])
        except posthog_sdk.PostHogError as e:
            print(f"the key cannot export: {e}", file=sys.stderr)
            return 2
        where = "timestamp >= {a} AND timestamp < {b}" + (" AND event = {e}" if job["event"] else "")
        values = {"a": after.isoformat(), "b": before.isoformat()}
        if job["event"]:
            values["e"] = job["event"]
        total = admin.query(f"SELECT count() FROM events WHERE {where}", values, fresh=True).results[0][0]
        events: Dict[str, Any] = {"after": after, "before": before}
        if job["event"]:
            events["event"] = job["event"]
        try:
            report = admin.export(
                written,
                events=events,
                format=wire_format,
                page_size=a.page_size,
                checkpoint=checkpoint,
                on_progress=progress_bar(int(total)),
                on_checkpoint=save,
            )
        except (posthog_sdk.PostHogError, KeyboardInterrupt) as e:
            print(f"\nexport stopped ({type(e).__name__}: {e}); run the same command again to resume", file=sys.stderr)
            return 1
    if a.format in ("parquet", "pandas"):
        convert(written, a.output, a.format)
    if os.path.exists(state_path):
        os.remove(state_path)
    print(f"wrote {report.checkpoint['rows']} events to {a.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
