"""Exports the last 7 days of $pageview events to a CSV file, with a progress bar on stderr.

    POSTHOG_PERSONAL_API_KEY=phx_... [POSTHOG_HOST=https://eu.posthog.com] \\
        python export_pageviews.py [pageviews.csv]

Resumable: the checkpoint is kept next to the output (`<output>.checkpoint.json`) after every
page; run the script again after a failure and it continues where it stopped.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, Optional

import posthog_sdk


def progress_bar(total: int) -> Callable[[int], None]:
    """tqdm when installed, else a tiny bar of our own on stderr."""
    try:
        from tqdm import tqdm  # type: ignore[import-untyped]
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


def main() -> int:
    out = sys.argv[1] if len(sys.argv) > 1 else "pageviews.csv"
    state = out + ".checkpoint.json"
    before = datetime.now(timezone.utc)
    after = before - timedelta(days=7)
    checkpoint: Optional[Dict[str, Any]] = None
    if os.path.exists(state):
        with open(state) as f:
            saved = json.load(f)
        checkpoint, after, before = (
            saved["checkpoint"],
            datetime.fromisoformat(saved["after"]),
            datetime.fromisoformat(saved["before"]),
        )

    def save(cp: Dict[str, Any]) -> None:
        with open(state, "w") as f:
            json.dump({"checkpoint": cp, "after": after.isoformat(), "before": before.isoformat()}, f)

    # the personal key (and host) come from POSTHOG_PERSONAL_API_KEY / POSTHOG_HOST
    with posthog_sdk.AdminClient() as admin:
        total = admin.query(
            "SELECT count() FROM events WHERE event = '$pageview' AND timestamp >= {a} AND timestamp < {b}",
            {"a": after.isoformat(), "b": before.isoformat()},
        ).results[0][0]
        try:
            report = admin.export(
                out,
                events={"after": after, "before": before, "event": "$pageview"},
                format="csv",
                page_size=1000,
                checkpoint=checkpoint,
                on_progress=progress_bar(int(total)),
                on_checkpoint=save,
            )
        except posthog_sdk.PostHogError as e:
            print(f"export stopped ({e}); run again to resume", file=sys.stderr)
            return 1
    os.remove(state)
    print(f"wrote {report.checkpoint['rows']} pageviews to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
