"""Streaming exports: JSONL and CSV of generated events, resume after a fault, I/O errors."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, List

import pytest

import posthog_sdk
from posthog_sdk import AdminClient

from conftest import PERSONAL_KEY, TestServer

START = "2026-01-01T00:00:00Z"
END = "2026-01-02T00:00:00Z"
WINDOW = {
    "after": datetime(2026, 1, 1, tzinfo=timezone.utc),
    "before": datetime(2026, 1, 3, tzinfo=timezone.utc),
    "event": "$pageview",
}


def generate(server: TestServer, count: int, event: str = "$pageview") -> None:
    server.post("/_test/events/generate", {"count": count, "event": event, "start": START, "end": END})


def count(admin: AdminClient, event: str = "$pageview") -> int:
    r = admin.query(
        "SELECT count() FROM events WHERE event = {e} AND timestamp >= {a} AND timestamp < {b}",
        {"e": event, "a": START, "b": "2026-01-03T00:00:00Z"},
    )
    return int(r.results[0][0])


def test_jsonl_export_of_events(admin: AdminClient, server: TestServer, tmp_path: Path) -> None:
    generate(server, 1234)
    generate(server, 100, "signup")
    progress: List[int] = []
    checkpoints: List[Any] = []
    out = tmp_path / "events.jsonl"
    report = admin.export(
        out,
        events=WINDOW,
        page_size=500,
        on_progress=progress.append,
        on_checkpoint=checkpoints.append,
    )
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert report.rows == len(rows) == count(admin) == 1234
    assert report.pages == 3 and progress == [500, 1000, 1234]
    assert [c["rows"] for c in checkpoints] == progress
    assert set(rows[0]) == {"uuid", "event", "timestamp", "distinct_id", "properties"}
    assert {r["event"] for r in rows} == {"$pageview"}
    assert len({r["uuid"] for r in rows}) == 1234
    assert report.checkpoint["position"]["kind"] == "keyset"
    assert report.checkpoint["bytes"] == out.stat().st_size


def test_csv_export_to_a_file_object(admin: AdminClient, server: TestServer) -> None:
    generate(server, 321)
    buf = io.BytesIO()
    report = admin.export(buf, events=WINDOW, format="csv", page_size=100)
    table = list(csv.reader(io.StringIO(buf.getvalue().decode())))
    assert table[0] == ["uuid", "event", "timestamp", "distinct_id", "properties"]
    assert report.rows == len(table) - 1 == count(admin) == 321
    assert json.loads(table[1][4])["$browser"]


def test_hogql_export_and_text_file(admin: AdminClient, server: TestServer, tmp_path: Path) -> None:
    generate(server, 250)
    out = tmp_path / "q.csv"
    with open(out, "w") as text:
        report = admin.export(
            text,
            hogql="SELECT uuid, properties.$browser AS browser FROM events WHERE event = {e} ORDER BY uuid",
            values={"e": "$pageview"},
            format="csv",
            page_size=100,
        )
    lines = out.read_text().splitlines()
    assert lines[0] == "uuid,browser" and len(lines) == 251 == report.rows + 1
    assert report.checkpoint["position"] == {"kind": "offset", "offset": 250}


def test_resume_from_checkpoint_after_a_fault(server: TestServer, tmp_path: Path) -> None:
    generate(server, 1000)
    out = tmp_path / "resume.jsonl"
    with AdminClient(PERSONAL_KEY, host=server.url, max_retries=0) as admin:
        # three pages pass, the fourth request fails
        server.faults([{"route": "admin", "latency_ms": 0}] * 3 + [{"route": "admin", "status": 500}])
        with pytest.raises(posthog_sdk.ServerError) as info:
            admin.export(out, events=WINDOW, page_size=100)
        cp = info.value.checkpoint
        assert cp is not None and cp["rows"] == 300 and cp["pages"] == 3
        assert len(out.read_text().splitlines()) == 300
        # a stored checkpoint (JSON text) resumes exactly there; a stray tail is cut off
        with open(out, "a") as f:
            f.write('{"partial": ')
        report = admin.export(out, events=WINDOW, page_size=100, checkpoint=json.dumps(cp))
        assert report.rows == 700 and report.checkpoint["rows"] == 1000
        rows = [json.loads(line) for line in out.read_text().splitlines()]
        assert len({r["uuid"] for r in rows}) == len(rows) == count(admin) == 1000
        keys = [(r["timestamp"], r["uuid"]) for r in rows]
        assert keys == sorted(keys)  # keyset order across the two runs


def test_write_errors_are_io_errors_with_a_checkpoint(admin: AdminClient, server: TestServer) -> None:
    generate(server, 300)

    class Flaky(io.RawIOBase):
        def __init__(self) -> None:
            self.calls = 0

        def writable(self) -> bool:
            return True

        def write(self, b: Any) -> int:
            self.calls += 1
            if self.calls == 2:
                raise OSError("disk full")
            return len(b)

    with pytest.raises(posthog_sdk.PostHogIOError) as info:
        admin.export(Flaky(), events=WINDOW, page_size=100)
    err = info.value
    assert err.kind == "io" and isinstance(err, OSError)
    assert isinstance(err.__cause__, OSError) and str(err.__cause__) == "disk full"
    assert err.checkpoint is not None and err.checkpoint["rows"] == 100


def test_unwritable_path_is_an_io_error(admin: AdminClient, tmp_path: Path) -> None:
    with pytest.raises(posthog_sdk.PostHogIOError):
        admin.export(tmp_path / "missing" / "out.jsonl", events=WINDOW)


def test_bad_export_arguments(admin: AdminClient, tmp_path: Path) -> None:
    out = tmp_path / "x"
    with pytest.raises(posthog_sdk.InvalidInputError):
        admin.export(out, hogql="SELECT uuid FROM events LIMIT 5")
    with pytest.raises(posthog_sdk.InvalidInputError):
        admin.export(out, events=WINDOW, format="parquet")
    with pytest.raises(posthog_sdk.InvalidInputError):
        admin.export(out, events=WINDOW, hogql="SELECT uuid FROM events")
    with pytest.raises(posthog_sdk.InvalidInputError):
        admin.export(out, events=WINDOW, checkpoint="{not json")
    with pytest.raises(TypeError):
        admin.export(out, events={"after": START, "colour": "red"})
