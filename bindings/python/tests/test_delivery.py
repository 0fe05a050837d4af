"""flush, retries under faults, stats, hooks, shutdown, context manager, exit hook."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import threading

import pytest

import posthog_sdk
from conftest import API_KEY


def test_flush_returns_a_report_and_nothing_is_lost_under_503s(server, make_client):
    client = make_client(max_retries=5)
    server.faults([{"status": 503}, {"status": 503}, {"status": 502}])
    uuids = {client.capture("e", f"user-{i}", {"i": i}) for i in range(20)}
    assert None not in uuids and len(uuids) == 20
    report = client.flush(timeout=30)
    assert isinstance(report, posthog_sdk.FlushReport)
    assert report.sent == 20
    assert report.failed == 0
    assert report.retried == 3
    events = server.wait(20)
    assert {e["uuid"] for e in events} == uuids
    assert len(events) == 20  # each event stored once
    stats = client.stats()
    assert stats.sent == 20 and stats.retried == 3 and stats.pending == 0


def test_flush_with_nothing_queued_sends_nothing(server, make_client):
    client = make_client()
    assert client.flush() == posthog_sdk.FlushReport(sent=0, failed=0, dropped=0, retried=0, undelivered=0)
    assert server.requests() == []


def test_stats_counters(server, make_client):
    client = make_client()
    for i in range(3):
        client.capture("e", "d")
    s = client.stats()
    assert isinstance(s, posthog_sdk.Stats)
    assert (s.queued, s.pending, s.accepted, s.sent) == (3, 3, 3, 0)
    client.flush()
    s = client.stats()
    assert (s.queued, s.pending, s.accepted, s.sent, s.dropped) == (0, 0, 3, 3, 0)


def test_stats_fields_match_the_core(make_client):
    """A counter added to the core must be added to posthog_sdk.Stats too."""
    import dataclasses

    client = make_client()
    native = client._native.stats()
    assert set(native) == {f.name for f in dataclasses.fields(posthog_sdk.Stats)}


def test_on_error_gets_invalid_request_error_on_400(server, make_client, recorder):
    client = make_client(on_error=recorder)
    server.faults([
        {"status": 400, "headers": {"Content-Type": "application/json", "X-Request-Id": "req-py-1"},
         "body": '{"type":"validation_error","code":"invalid_input","detail":"bad","attr":"batch"}'}
    ])
    client.capture("e", "d")
    # flush waits without the GIL: the worker calls on_error (which needs it) before the batch
    # resolves, so a flush that held the GIL would time out instead.
    report = client.flush(timeout=10)
    assert report.failed == 1 and report.sent == 0
    [err] = recorder.errors
    assert type(err) is posthog_sdk.InvalidRequestError
    assert isinstance(err, ValueError)
    assert err.kind == "invalid_request" and err.status == 400 and err.attr == "batch"
    assert err.request_id == "req-py-1"
    assert recorder.threads[0] != threading.current_thread().name
    assert client.stats().failed == 1


def test_on_error_that_raises_does_not_break_delivery(server, make_client, monkeypatch):
    calls = []
    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)

    def bad_hook(error):
        calls.append(error)
        raise RuntimeError("hook failed")

    client = make_client(on_error=bad_hook)
    server.faults([{"status": 400}])
    client.capture("e", "d")
    client.flush(timeout=10)
    client.capture("e2", "d")
    assert client.flush(timeout=10).sent == 1
    assert len(calls) == 1
    assert [e["event"] for e in server.wait(1)] == ["e2"]
    [report] = unraisable
    assert isinstance(report.exc_value, RuntimeError)


def test_before_send_drops_and_rewrites(server, make_client):
    seen = []

    def before_send(msg):
        seen.append(msg)
        if msg["event"] == "drop_me":
            return None
        msg["event"] = "renamed"
        msg["properties"]["added"] = True
        return msg

    client = make_client(before_send=before_send)
    assert client.capture("drop_me", "d") is None
    kept = client.capture("keep_me", "d", {"a": 1})
    assert kept is not None
    client.flush()
    [ev] = server.wait(1)
    assert ev["event"] == "renamed"
    assert ev["properties"]["added"] is True and ev["properties"]["a"] == 1
    assert ev["uuid"] == kept
    assert client.stats().dropped_before_send == 1
    assert set(seen[0]) == {"event", "distinct_id", "properties", "timestamp", "uuid"}
    assert seen[1]["properties"]["$lib"] == "posthog-sdk-python"


def test_before_send_that_raises_drops_the_event(server, make_client, recorder):
    """posthog-python drops an event whose before_send raises (and logs why): the core does."""

    def before_send(msg):
        if msg["event"] == "bad_return":
            return ["not", "a", "dict"]
        if msg["event"] == "raise":
            raise ValueError("oops")
        return msg

    client = make_client(before_send=before_send, on_error=recorder)
    assert client.capture("raise", "d") is None
    assert client.capture("bad_return", "d") is None
    assert client.capture("kept", "d") is not None
    client.flush()
    assert [e["event"] for e in server.wait(1)] == ["kept"]
    assert client.stats().dropped_before_send == 2
    texts = [str(e) for e in recorder.errors]
    assert any("ValueError: oops" in t for t in texts), texts


def test_shutdown_delivers_then_refuses(server, make_client, recorder):
    client = make_client(on_error=recorder)
    client.capture("e", "d")
    report = client.shutdown(timeout=10)
    assert report.sent == 1
    assert client.is_shut_down
    server.wait(1)
    assert client.capture("late", "d") is None
    assert client.stats().dropped_closed == 1
    assert isinstance(recorder.errors[-1], posthog_sdk.ClosedError)
    assert client.shutdown().sent == 0  # again: nothing to do


def test_context_manager_shuts_down(server):
    with posthog_sdk.Client(API_KEY, host=server.url, flush_at=1000, flush_interval=3600) as client:
        client.capture("inside", "d")
    assert client.is_shut_down
    assert [e["event"] for e in server.wait(1)] == ["inside"]


def test_flush_timeout_raises_timeout_error(server, make_client):
    client = make_client(max_retries=0)
    server.faults([{"latency_ms": 2000}])
    client.capture("slow", "d")
    with pytest.raises(posthog_sdk.TimeoutError) as info:
        client.flush(timeout=0.05)
    assert isinstance(info.value, TimeoutError)
    assert info.value.kind == "timeout"
    assert client.flush(timeout=30).sent == 1


def test_flush_releases_the_gil(server, make_client):
    client = make_client()
    server.faults([{"latency_ms": 1500}])
    client.capture("e", "d")
    entered, finished = threading.Event(), threading.Event()
    t = threading.Thread(target=lambda: (entered.set(), client.flush(timeout=30), finished.set()))
    t.start()
    assert entered.wait(30)
    # While the flush waits in the other thread, this thread keeps running Python (a urllib
    # call to the control API) and finishes it before the flush does.
    server.wait(0)
    still_running = not finished.is_set()
    t.join(30)
    assert finished.is_set()
    assert still_running


def test_atexit_delivers_events_captured_just_before_exit(server):
    script = textwrap.dedent(
        f"""
        import atexit
        import posthog_sdk
        # Registered before the client's hook, so it runs after it.
        atexit.register(lambda: print("shut down by atexit:", client.is_shut_down))
        client = posthog_sdk.Client({API_KEY!r}, host={server.url!r},
                                    flush_at=1000, flush_interval=3600, shutdown_timeout=20)
        for i in range(3):
            assert client.capture("at_exit", "d", {{"i": i}})
        # no flush, no shutdown: the exit hook delivers
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
        env=dict(os.environ),
    )
    assert proc.returncode == 0, proc.stderr
    assert "shut down by atexit: True" in proc.stdout
    events = server.wait(3)
    assert sorted(e["properties"]["i"] for e in events) == [0, 1, 2]


def test_exit_with_failing_server_and_on_error_does_not_hang(server):
    server.faults([{"status": 503}] * 50)
    script = textwrap.dedent(
        f"""
        import posthog_sdk
        seen = []
        client = posthog_sdk.Client({API_KEY!r}, host={server.url!r}, max_retries=1,
                                    flush_at=1000, flush_interval=3600, on_error=seen.append,
                                    shutdown_timeout=5)
        client.capture("e", "d")
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr


def test_collected_client_delivers_its_queue(server):
    import gc

    client = posthog_sdk.Client(API_KEY, host=server.url, flush_at=1000, flush_interval=3600)
    client.capture("collected", "d")
    del client
    gc.collect()
    assert [e["event"] for e in server.wait(1)] == ["collected"]


def test_rotate_key(server, make_client):
    client = make_client()
    client.rotate_key("phc_rotatedkey")
    client.capture("e", "d")
    client.flush()
    [ev] = server.wait(1)
    assert ev["token"] == "phc_rotatedkey"
    with pytest.raises(posthog_sdk.InvalidKeyError):
        client.rotate_key("phx_personalsecret")


def test_full_queue_drops_and_reports(server, make_client, recorder):
    client = make_client(max_queue_size=1, on_error=recorder)
    assert client.capture("first", "d") is not None
    assert client.capture("second", "d") is None
    assert client.stats().dropped_queue_full == 1
    [err] = recorder.errors
    assert type(err) is posthog_sdk.QueueFullError and err.kind == "queue_full"


def test_block_overflow_waits_without_the_gil_then_drops(server, make_client, recorder):
    client = make_client(max_queue_size=1, overflow="block", block_timeout=0.2, on_error=recorder)
    assert client.capture("first", "d") is not None
    # No room and nothing due: capture waits its bound (GIL released), then drops and reports.
    assert client.capture("second", "d") is None
    assert client.stats().dropped_queue_full == 1
    assert [type(e) for e in recorder.errors] == [posthog_sdk.QueueFullError]
    assert client.flush().sent == 1


def test_events_captured_offline_are_delivered_after_a_restart(server, tmp_path):
    # Offline: every attempt of the first client fails, so its events stay on disk.
    server.faults([{"status": 503}] * 4)
    first = posthog_sdk.Client(API_KEY, host=server.url, storage_dir=tmp_path, max_retries=0)
    uuids = {first.capture("offline", f"user-{i}") for i in range(5)}
    first.flush(timeout=10)
    assert first.stats().sent == 0
    first.shutdown(timeout=2)
    assert server.events() == []
    server.reset()
    # The process restarts on the same directory: everything accepted arrives, once.
    second = posthog_sdk.Client(API_KEY, host=server.url, storage_dir=str(tmp_path))
    second.flush(timeout=10)
    events = server.wait(5)
    assert {e["uuid"] for e in events} == uuids and len(events) == 5
    second.shutdown(timeout=5)


class XorCipher:
    """A toy authenticated cipher (the key byte as a tag); apps use AES-GCM."""

    def __init__(self, key: int) -> None:
        self.key = key

    def seal(self, plain: bytes) -> bytes:
        return bytes([self.key]) + bytes(b ^ self.key for b in plain)

    def open(self, sealed: bytes) -> bytes:
        if not sealed or sealed[0] != self.key:
            raise ValueError("not sealed with this key")
        return bytes(b ^ self.key for b in sealed[1:])


def test_the_on_disk_queue_can_be_encrypted_at_rest(server, tmp_path, recorder):
    queue, copy = tmp_path / "queue", tmp_path / "copy"
    server.faults([{"status": 503}] * 4)
    first = posthog_sdk.Client(
        API_KEY, host=server.url, storage_dir=queue, max_retries=0, cipher=XorCipher(0x5A)
    )
    first.capture("secret_purchase", "user-1", properties={"card_last4": "4242"})
    first.flush(timeout=10)
    first.shutdown(timeout=2)
    on_disk = b"".join(p.read_bytes() for p in queue.iterdir() if p.is_file())
    assert b"secret_purchase" not in on_disk and b"4242" not in on_disk
    server.reset()

    # The wrong key (on a copy): reported, counted as failed, never a crash, nothing sent.
    shutil.copytree(queue, copy)
    wrong = posthog_sdk.Client(
        API_KEY,
        host=server.url,
        storage_dir=copy,
        cipher=XorCipher(0x11),
        on_error=recorder,
    )
    assert wrong.stats().failed == 1
    assert any("could not be opened" in str(e) for e in recorder.errors)
    assert all(isinstance(e, posthog_sdk.PostHogError) for e in recorder.errors)
    wrong.shutdown(timeout=5)
    assert server.events() == []

    second = posthog_sdk.Client(
        API_KEY, host=server.url, storage_dir=queue, cipher=XorCipher(0x5A)
    )
    second.flush(timeout=10)
    events = server.wait(1)
    assert events[0]["properties"]["card_last4"] == "4242"
    second.shutdown(timeout=5)


def test_a_cipher_needs_seal_and_open():
    with pytest.raises(posthog_sdk.ConfigError, match="seal"):
        posthog_sdk.Client(API_KEY, storage_dir="/tmp/unused", cipher=object())


def test_a_second_client_on_a_locked_storage_dir_reports_and_uses_memory(server, tmp_path, recorder):
    first = posthog_sdk.Client(API_KEY, host=server.url, storage_dir=tmp_path)
    second = posthog_sdk.Client(API_KEY, host=server.url, storage_dir=tmp_path, on_error=recorder)
    assert any(
        isinstance(e, posthog_sdk.PostHogError) and "another client" in str(e)
        for e in recorder.errors
    ), recorder.errors
    second.capture("from-second", "user-1")
    assert second.flush(timeout=10).sent == 1
    second.shutdown(timeout=5)
    # Free again after the first's shutdown: a new client takes the directory over quietly.
    first.shutdown(timeout=5)
    before = len(recorder.errors)
    third = posthog_sdk.Client(API_KEY, host=server.url, storage_dir=tmp_path, on_error=recorder)
    third.capture("from-third", "user-1")
    assert third.flush(timeout=10).sent == 1
    third.shutdown(timeout=5)
    assert len(recorder.errors) == before
    assert [e["event"] for e in server.events()] == ["from-second", "from-third"]


def test_a_burst_of_100_000_captures_loses_nothing_at_the_defaults(server):
    """Nothing but the host: the default queue (100 000 events, 64 MiB) holds the burst."""
    client = posthog_sdk.Client(API_KEY, host=server.url)
    try:
        uuids = [client.capture("burst", "u-burst", {"i": i}) for i in range(100_000)]
        assert all(uuids)
        report = client.flush(timeout=120)
        assert (report.failed, report.dropped) == (0, 0)
        stats = client.stats()
        assert (stats.sent, stats.dropped_queue_full) == (100_000, 0)
    finally:
        client.shutdown(timeout=10)
    assert server.stats()["unique_uuids"] == 100_000


def test_nothing_is_lost_under_thirty_percent_503s_at_the_defaults(server):
    """Every third request answers 503 (and a run of five in a row): with the defaults (no
    retry count, a 10-minute deadline) every accepted event arrives, once."""
    faults = []
    for i in range(30):
        faults += [{"status": 503}, {"latency_ms": 0}, {"latency_ms": 0}]
    faults += [{"status": 503}] * 5
    server.faults(faults)
    client = posthog_sdk.Client(API_KEY, host=server.url, flush_at=50, flush_interval=3600)
    try:
        uuids = {client.capture("e", f"u{i}") for i in range(1000)}
        report = client.flush(timeout=120)
        assert (report.failed, report.dropped, report.undelivered) == (0, 0, 0)
        # Batches may go (and be retried) before flush starts: count over the client's life.
        assert client.stats().retried > 0
    finally:
        client.shutdown(timeout=10)
    stored = {e["uuid"] for e in server.events()}
    assert stored == uuids
    assert server.stats()["events_stored"] == 1000


def test_the_disk_queue_holds_what_the_memory_window_cannot(server, tmp_path):
    """With ``storage_dir`` the memory queue is a window over the disk: a burst during an
    outage far past ``max_queue_size`` is accepted, waits on disk, and arrives once."""
    server.faults([{"status": 503}] * 5)
    client = posthog_sdk.Client(
        API_KEY, host=server.url, storage_dir=tmp_path, max_queue_size=50, flush_at=20, fsync="never"
    )
    try:
        uuids = {client.capture("e", f"u{i}") for i in range(2000)}
        stats = client.stats()
        assert (stats.accepted, stats.dropped_queue_full) == (2000, 0)
        assert stats.spilled > 1000, stats
        report = client.flush(timeout=60)
        assert (report.failed, report.dropped, report.undelivered) == (0, 0, 0)
        stats = client.stats()
        assert (stats.sent, stats.spilled, stats.queued) == (2000, 0, 0)
    finally:
        client.shutdown(timeout=10)
    assert {e["uuid"] for e in server.events()} == uuids
    assert server.stats()["events_stored"] == 2000


def test_a_shutdown_out_of_time_leaves_the_rest_on_disk_and_says_so(server, tmp_path, recorder):
    server.faults([{"status": 503}] * 1000)
    first = posthog_sdk.Client(
        API_KEY, host=server.url, storage_dir=tmp_path, max_queue_size=10, flush_at=20, on_error=recorder
    )
    uuids = {first.capture("e", f"u{i}") for i in range(300)}
    with pytest.raises(posthog_sdk.TimeoutError):
        first.shutdown(timeout=0.5)
    assert any("300 event(s) stay in the on-disk queue" in str(e) for e in recorder.errors), [
        str(e) for e in recorder.errors
    ]
    stats = first.stats()
    assert (stats.failed, stats.failed_batches) == (0, 0), "not failed: kept for the next start"
    server.reset()
    second = posthog_sdk.Client(API_KEY, host=server.url, storage_dir=tmp_path, max_queue_size=10)
    try:
        assert (second.stats().queued, second.stats().spilled) == (300, 290)
        assert second.flush(timeout=30).sent == 300
    finally:
        second.shutdown(timeout=5)
    assert {e["uuid"] for e in server.events()} == uuids
