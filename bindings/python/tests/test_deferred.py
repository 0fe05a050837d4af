"""The deferred capture path: a plain ``capture`` is converted on the caller's thread (uuid and
timestamp fixed there) and built, serialised and queued by the core's intake thread. Nothing
may be lost, reordered or stamped late, and every call that must see the earlier captures
(flush, stats, shutdown, a synchronous capture, a flag call) sees them."""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
import uuid as uuidlib
from datetime import datetime
from decimal import Decimal
from typing import Any, Dict, List

import pytest

import posthog_sdk
from conftest import API_KEY, SECURE_KEY, TestServer
from posthog_sdk import _native


def _ts(ev: Dict[str, Any]) -> float:
    return datetime.fromisoformat(ev["timestamp"].replace("Z", "+00:00")).timestamp()


def _intake_threads() -> int:
    tasks = f"/proc/{os.getpid()}/task"
    count = 0
    for t in os.listdir(tasks):
        try:
            with open(f"{tasks}/{t}/comm") as f:
                count += f.read().strip() == "posthog-intake"
        except OSError:
            pass
    return count


def _settled_intake_threads(expected: int) -> int:
    deadline = time.monotonic() + 5
    while _intake_threads() != expected and time.monotonic() < deadline:
        time.sleep(0.01)
    return _intake_threads()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_plain_captures_are_deferred_and_before_send_keeps_them_synchronous(make_client):
    gc.collect()  # (clients of earlier tests, and their intake threads, go now)
    before = _intake_threads()
    plain = make_client()
    assert _settled_intake_threads(before + 1) == before + 1
    hooked = make_client(before_send=lambda m: m)  # a Python hook needs the caller's thread
    blocking = make_client(overflow="block", block_timeout=0.1)
    time.sleep(0.2)  # (a new thread names itself once it runs)
    assert _intake_threads() == before + 1
    assert plain and hooked and blocking


def test_stats_right_after_captures_sees_every_one(make_client):
    client = make_client()
    n = 3000
    uuids = [client.capture("e", f"u{i % 7}", {"i": i}) for i in range(n)]
    assert all(uuids) and len(set(uuids)) == n
    stats = client.stats()  # no wait in between
    assert stats.accepted == n and stats.pending == n and stats.dropped == 0


def test_flush_right_after_captures_delivers_them_all_in_order(server: TestServer):
    # One request in flight at a time (posthog-python's thread=1), so the server's order is
    # the queue's.
    ph = posthog_sdk.Posthog(API_KEY, host=server.url, flush_at=100, flush_interval=3600)
    try:
        n = 2500
        returned = [ph.capture("seq", distinct_id="d", properties={"i": i}) for i in range(n)]
        report = ph.flush()  # (some batches may have gone before it was called)
        assert report is not None and report.undelivered == 0
        assert ph.client.stats().sent == n
        events = server.wait(n)
        assert [e["properties"]["i"] for e in events] == list(range(n))
        assert [e["uuid"] for e in events] == returned
        stamps = [_ts(e) for e in events]
        assert stamps == sorted(stamps)
    finally:
        ph.shutdown()


def test_timestamp_is_taken_at_the_call_while_the_intake_thread_is_busy(server, make_client):
    """The intake thread is held up (on_error, called there for a too-large event, sleeps):
    the events behind it still carry the time of their capture() call, in order, and flush()
    waits for them."""
    held = threading.Event()

    def slow_on_error(error: BaseException) -> None:
        if isinstance(error, posthog_sdk.TooLargeError):
            held.set()
            time.sleep(0.5)

    client = make_client(on_error=slow_on_error, max_event_bytes=2000)
    # Too large: refused by the core on the intake thread (its uuid was already returned, as
    # posthog-python returns one for an event its consumer later drops for its size).
    assert client.capture("huge", "d", {"blob": "x" * 5000})
    windows = []
    for i in range(5):
        t0 = time.time()
        assert client.capture("late", "d", {"i": i})
        windows.append((t0, time.time()))
    assert held.wait(5)
    report = client.flush()
    assert report.sent == 5
    events = server.wait(5)
    assert [e["properties"]["i"] for e in events] == list(range(5))
    for ev, (t0, t1) in zip(events, windows):
        # Microsecond timestamps; the intake thread only got to them ≥ 0.5 s later.
        assert t0 - 0.001 <= _ts(ev) <= t1 + 0.001, (ev["timestamp"], t0, t1)
    stats = client.stats()
    assert stats.dropped_too_large == 1 and stats.sent == 5


def test_a_synchronous_call_comes_after_the_deferred_ones(server, make_client):
    client = make_client()
    for i in range(200):
        client.capture("before", "d", {"i": i})
    client.identify("d", {"plan": "pro"})  # synchronous: queued after the 200
    client.capture("after", "d")
    client.flush()
    names = [e["event"] for e in server.wait(202)]
    assert names == ["before"] * 200 + ["$identify", "after"]


def test_capture_then_shutdown_then_capture(server, make_client, recorder):
    client = make_client(on_error=recorder)
    first = client.capture("first", "d")
    assert first is not None
    client.shutdown(timeout=10)
    assert client.capture("second", "d") is None  # refused on the caller's thread
    assert [e["event"] for e in server.wait(1)] == ["first"]
    assert client.stats().dropped_closed == 1
    assert isinstance(recorder.errors[-1], posthog_sdk.ClosedError)


def test_refusals_known_at_the_call_stay_synchronous(server, make_client, recorder):
    assert make_client(opt_out=True).capture("e", "d") is None
    assert make_client(disabled=True).capture("e", "d") is None
    client = make_client(on_error=recorder, max_queue_size=3)
    got = [client.capture("e", "d", {"i": i}) for i in range(5)]
    # The queue holds 3: the 4th and 5th are refused at the call, even though the first ones
    # may still be waiting for the intake thread.
    assert [g is not None for g in got] == [True, True, True, False, False]
    assert client.stats().dropped_queue_full == 2
    assert client.capture("", "d") is None and client.capture("e", "") is None
    assert client.stats().dropped_invalid == 2
    client.flush()
    assert len(server.events()) == 3


def test_threads_lose_nothing_and_keep_their_own_order(server, make_client):
    client = make_client(max_in_flight=1)
    n, threads = 800, 4

    def work(t: int) -> None:
        for i in range(n):
            client.capture("t", f"thread-{t}", {"i": i})

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert client.flush().undelivered == 0
    assert client.stats().sent == n * threads
    events = server.wait(n * threads)
    for t in range(threads):
        mine = [e["properties"]["i"] for e in events if e["distinct_id"] == f"thread-{t}"]
        assert mine == list(range(n))


def test_flag_call_comes_after_earlier_captures(server, make_client):
    client = make_client(personal_api_key=SECURE_KEY)
    client.reload_feature_flags()
    for i in range(100):
        client.capture("before", "user-1", {"i": i})
    assert client.get_feature_flag("exp-checkout-flow", "user-1") is not None
    client.flush()
    names = [e["event"] for e in server.wait(101)]
    assert names == ["before"] * 100 + ["$feature_flag_called"]


def test_personless_and_given_uuid_and_timestamp_through_the_deferred_path(server, make_client):
    client = make_client()
    given = "0190d3a4-5b6c-7d8e-9f00-000000000009"
    assert client.capture("anon", None) is not None
    assert client.capture("fixed", "d", uuid=uuidlib.UUID(given),
                          timestamp="2026-01-02T03:04:05.123456+02:00") == given
    returned = client.capture("mine", 42, groups={"company": "acme"})
    client.flush()
    events = {e["event"]: e for e in server.wait(3)}
    assert events["anon"]["properties"]["$process_person_profile"] is False
    assert events["fixed"]["uuid"] == given
    assert events["fixed"]["timestamp"] == "2026-01-02T01:04:05.123456Z"
    assert events["mine"]["distinct_id"] == "42" and events["mine"]["uuid"] == returned
    assert events["mine"]["properties"]["$groups"] == {"company": "acme"}
    assert uuidlib.UUID(returned).version == 7


VALUES: List[Any] = [
    {},
    {"a": 1, "b": -5, "c": 2**63, "d": 2**64, "e": -(2**63) - 1, "f": 1.5, "g": float("nan"),
     "h": float("-inf"), "i": 0.1 + 0.2, "j": True, "k": None, "l": "é☃", "m": [1, (2, 3), {4}],
     "n": {"x": {"y": [{}]}}, 1: "int key", "1": "str key", "u": uuidlib.uuid4(),
     "dec": Decimal("1.25"), "dt": datetime(2026, 1, 2, 3, 4, 5), "fs": frozenset(), "z": -0.0},
    {"bad": object()},
    {True: 1},
    {"s": "\ud800"},
    {"\ud800": 1},
    {("t",): 1},
    "not a dict",
    None,
    {"deep": eval("[" * 70 + "]" * 70)},
    {"x" * 100: "y" * 10_000},
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_the_deferred_encoding_converts_exactly_as_the_direct_one(value: Any) -> None:
    agrees, shown = _native._encoding_agrees(value)
    assert agrees, shown


def test_repeated_flag_options_answer_as_fresh_ones(server, make_client):
    """The last call's converted options are reused only while equal: changing any of them
    (in place, too) changes the answer as a fresh client would give it."""
    client = make_client(personal_api_key=SECURE_KEY)
    client.reload_feature_flags()
    fresh = make_client(personal_api_key=SECURE_KEY)
    fresh.reload_feature_flags()
    person: Dict[str, Any] = {"plan": "pro", "country": "US", "age": 36}
    seen = []
    for change in [None, ("country", "FR"), ("age", 12), ("age", 36.0), ("plan", "free"),
                   ("country", "US"), ("plan", "pro")]:
        if change:
            person[change[0]] = change[1]
        got = client.get_all_flags("user-1", person_properties=person, only_evaluate_locally=True)
        want = fresh.get_all_flags("user-1", person_properties=dict(person),
                                   only_evaluate_locally=True)
        assert got == want, change
        seen.append(client.get_feature_flag("pro-us-adults", "user-1", person_properties=person,
                                            only_evaluate_locally=True))
    assert seen[0] != seen[1]  # the answer did change with the properties
