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


def _generate(server: TestServer, n: int, days: int) -> None:
    now = datetime.now(timezone.utc)
    server.post(
        "/_test/events/generate",
        {"count": n, "start": (now - timedelta(days=days)).isoformat(), "end": now.isoformat()},
    )


def test_export_events_jsonl_resumes_after_a_failure(server: TestServer, tmp_path: Path) -> None:
    import json

    _generate(server, 2500, 3)
    out = tmp_path / "events.jsonl"
    # The preflight, the count and the first page answer; then the private API fails past the
    # client's retries (one attempt and three retries): the export stops after one page, with its
    # checkpoint kept.
    server.faults([{"latency_ms": 0, "route": "admin"}] * 3 + [{"status": 500, "route": "admin"}] * 4)
    first = run(server, "export_events.py", str(out), "--page-size", "1000")
    assert first.returncode == 1, first.stderr
    assert "run the same command again" in first.stderr
    state = Path(str(out) + ".checkpoint.json")
    assert json.loads(state.read_text())["checkpoint"]["rows"] == 1000
    assert server.stats()["faults_pending"] == 0, "every fault was met by the first run"
    second = run(server, "export_events.py", str(out), "--page-size", "1000")
    assert second.returncode == 0, second.stderr
    assert "resuming after 1000 rows" in second.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 2500 and len({r["uuid"] for r in rows}) == 2500, "nothing repeated or skipped"
    assert "wrote 2500 events" in second.stdout
    assert not state.exists()


def test_export_events_csv_with_an_event_filter(server: TestServer, tmp_path: Path) -> None:
    _generate(server, 300, 2)
    out = tmp_path / "events.csv"
    done = run(server, "export_events.py", str(out), "--format", "csv", "--event", "$pageview")
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(out.open()))
    assert rows[0][:2] == ["uuid", "event"] and len(rows) == 301
    assert {r[1] for r in rows[1:]} == {"$pageview"}


def test_export_events_refuses_a_key_without_the_scope(server: TestServer, tmp_path: Path) -> None:
    env = dict(
        os.environ,
        POSTHOG_HOST=server.url,
        POSTHOG_PERSONAL_API_KEY=server.personal_key(["feature_flag:read"]),
    )
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "export_events.py"), str(tmp_path / "x.jsonl")],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "query:read" in done.stderr
    assert not (tmp_path / "x.jsonl").exists()
