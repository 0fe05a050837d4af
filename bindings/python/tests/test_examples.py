"""Runs every example of examples/python as a subprocess against the test server."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from conftest import PERSONAL_KEY, REPO, TestServer

EXAMPLES = REPO / "examples" / "python"


def run(server: TestServer, script: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, POSTHOG_HOST=server.url, POSTHOG_PERSONAL_API_KEY=PERSONAL_KEY)
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_export_pageviews(server: TestServer, tmp_path: Path) -> None:
    now = datetime.now(timezone.utc)
    server.post(
        "/_test/events/generate",
        {"count": 2500, "start": (now - timedelta(days=10)).isoformat(), "end": now.isoformat()},
    )
    out = tmp_path / "pageviews.csv"
    done = run(server, "export_pageviews.py", str(out))
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(out.open()))
    assert rows[0][:2] == ["uuid", "event"]
    assert 1000 < len(rows) - 1 < 2500  # the last 7 of 10 days
    assert f"wrote {len(rows) - 1} pageviews" in done.stdout
    assert "rows" in done.stderr  # the progress bar
    assert not Path(str(out) + ".checkpoint.json").exists()


def test_toggle_flag(server: TestServer) -> None:
    done = run(server, "toggle_flag.py", "example-flag")
    assert done.returncode == 0, done.stderr
    assert "active=False" in done.stdout and "active=True" in done.stdout
    assert "deleted" in done.stdout
