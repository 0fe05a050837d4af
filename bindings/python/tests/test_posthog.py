"""Behaviour of the posthog-python API (``Posthog``, contexts, module-level) on the test server."""

from __future__ import annotations

from typing import Any, Iterator, List

import pytest

import posthog_sdk
from conftest import API_KEY, TestServer
from posthog_sdk import Posthog


@pytest.fixture
def ph(server: TestServer) -> Iterator[Posthog]:
    client = Posthog(API_KEY, host=server.url, flush_at=1000, flush_interval=3600)
    yield client
    client.shutdown()


def test_capture_keyword_style_and_defaults(server: TestServer, ph: Posthog) -> None:
    uuid = ph.capture("signed_up", distinct_id="u1", properties={"plan": "pro"})
    assert uuid
    ph.flush()
    (e,) = server.wait(1)
    assert (e["event"], e["distinct_id"], e["uuid"]) == ("signed_up", "u1", uuid)
    assert e["properties"]["plan"] == "pro"
    assert e["properties"]["$geoip_disable"] is True  # posthog-python's default


def test_capture_without_distinct_id_is_personless(server: TestServer, ph: Posthog) -> None:
    ph.capture("anon")
    ph.flush()
    (e,) = server.wait(1)
    assert e["properties"]["$process_person_profile"] is False
    assert len(e["distinct_id"]) == 36


def test_contexts_identify_tag_session(server: TestServer, ph: Posthog) -> None:
    with posthog_sdk.new_context():
        posthog_sdk.identify_context("ctx-user")
        posthog_sdk.tag("request_id", "r1")
        posthog_sdk.set_context_session("s1")
        with ph.new_context():
            ph.tag("inner", 1)
            ph.capture("inside", properties={"request_id": "mine"})
        with posthog_sdk.new_context(fresh=True):
            ph.capture("fresh")
    ph.capture("outside", distinct_id="x")
    ph.flush()
    by = {e["event"]: e for e in server.wait(3)}
    inside = by["inside"]
    assert inside["distinct_id"] == "ctx-user"
    assert inside["properties"]["request_id"] == "mine"  # explicit properties win
    assert inside["properties"]["inner"] == 1
    assert inside["properties"]["$session_id"] == "s1"
    assert sorted(inside["properties"]["$context_tags"]) == ["inner", "request_id"]
    assert by["fresh"]["properties"]["$process_person_profile"] is False
    assert "request_id" not in by["fresh"]["properties"]
    assert "$context_tags" not in by["outside"]["properties"]


def test_capture_exceptions_context_reraises() -> None:
    # Captured and re-raised (tests/test_exceptions.py checks the event).
    client = Posthog(API_KEY, disabled=True)
    with pytest.raises(KeyError):
        with posthog_sdk.new_context(capture_exceptions=True, client=client):
            raise KeyError("k")
    client.shutdown()


def test_alias_uses_posthog_python_argument_order(server: TestServer, ph: Posthog) -> None:
    ph.alias("anon-42", "user-1")
    ph.flush()
    (e,) = server.wait(1)
    assert e["event"] == "$create_alias"
    assert e["distinct_id"] == "anon-42"
    assert e["properties"]["alias"] == "user-1"


def test_set_set_once_group_identify(server: TestServer, ph: Posthog) -> None:
    assert ph.set(distinct_id="u", properties={"a": 1})
    assert ph.set_once(distinct_id="u", properties={"b": 2})
    assert ph.set(properties={"a": 1}) is None  # personless: nothing, as posthog-python
    assert ph.group_identify("company", "acme", {"name": "Acme"})
    ph.flush()
    by = {e["event"]: e for e in server.wait(3)}
    # posthog-python sends person updates at the top level of the message.
    assert by["$set"]["$set"] == {"a": 1}
    assert by["$set_once"]["$set_once"] == {"b": 2}
    assert by["$groupidentify"]["properties"]["$group_key"] == "acme"


def test_sync_mode_sends_before_returning(server: TestServer) -> None:
    ph = Posthog(API_KEY, host=server.url, sync_mode=True, flush_at=1000, flush_interval=3600)
    try:
        ph.capture("now", distinct_id="u")
        assert [e["event"] for e in server.events()] == ["now"]
    finally:
        ph.shutdown()


def test_send_false_and_disabled_send_nothing(server: TestServer) -> None:
    for ph in (Posthog(API_KEY, host=server.url, disabled=True), Posthog("", host=server.url)):
        assert ph.capture("x", distinct_id="u") is None
        ph.flush()
        assert ph.disabled
        ph.shutdown()
    # send=False (posthog-python): the event is accepted (its uuid returned), never sent.
    ph = Posthog(API_KEY, host=server.url, send=False)
    uuid = ph.capture("x", distinct_id="u")
    assert uuid is not None and len(uuid) == 36
    ph.flush()
    assert not ph.disabled
    ph.shutdown()
    assert server.events() == []


def test_on_error_gets_error_and_batch(server: TestServer) -> None:
    got: List[Any] = []
    server.faults([{"status": 400}])
    ph = Posthog(API_KEY, host=server.url, on_error=lambda e, batch: got.append((e, batch)),
                 flush_at=1000, flush_interval=3600)
    uuid = ph.capture("bad", distinct_id="u")
    ph.flush()
    ph.shutdown()
    assert got and isinstance(got[0][0], posthog_sdk.PostHogError)
    # posthog-python's on_error(error, batch): the failed batch's messages as sent.
    [message] = got[0][1]
    assert message["uuid"] == uuid and message["event"] == "bad" and message["distinct_id"] == "u"


def test_before_send_and_super_properties(server: TestServer) -> None:
    def before_send(msg: Any) -> Any:
        if msg["event"] == "drop":
            return None
        msg["properties"]["seen"] = True
        return msg

    ph = Posthog(API_KEY, host=server.url, before_send=before_send,
                 super_properties={"app": "web"}, flush_at=1000, flush_interval=3600)
    ph.capture("drop", distinct_id="u")
    ph.capture("keep", distinct_id="u")
    ph.flush()
    ph.shutdown()
    (e,) = server.wait(1)
    assert e["event"] == "keep" and e["properties"]["seen"] and e["properties"]["app"] == "web"


def test_unsupported_options_and_methods_raise(server: TestServer, ph: Posthog) -> None:
    # An official option the core cannot honour: a ConfigError from the core's schema.
    with pytest.raises(posthog_sdk.ConfigError, match="metrics"):
        Posthog(API_KEY, host=server.url, metrics={"enabled": True})
    with pytest.raises(NotImplementedError):
        ph.get_feature_flag_payload("f", "u", send_feature_flag_events=True)


def test_errors_are_logged_and_none_unless_debug(server: TestServer) -> None:
    """posthog-python's no_throw: positional capture and a bad send_feature_flags."""
    quiet = Posthog(API_KEY, host=server.url)
    loud = Posthog(API_KEY, host=server.url, debug=True)
    try:
        assert quiet.capture("distinct id", "movie played") is None  # type: ignore[misc]
        assert quiet.capture("e", distinct_id="u", send_feature_flags="yes") is None
        with pytest.raises(TypeError, match="send_feature_flags"):
            loud.capture("e", distinct_id="u", send_feature_flags="yes")
        # Invalid uuid / timestamp: replaced, the event is sent.
        assert quiet.capture("bad", distinct_id="u", uuid="not-a-uuid", timestamp="nope")
        quiet.flush()
        assert [e["event"] for e in server.events()] == ["bad"]
    finally:
        quiet.shutdown()
        loud.shutdown()


def test_flags_mapped(server: TestServer) -> None:
    server.flag_overrides({"beta": {"value": "test", "payload": {"x": 1}}})
    ph = Posthog(API_KEY, host=server.url, flush_at=1000, flush_interval=3600)
    try:
        assert ph.get_feature_flag("beta", "u") == "test"
        assert ph.feature_enabled("beta", "u") is True
        assert ph.get_feature_flag_payload("beta", "u") == {"x": 1}
        assert ph.get_all_flags("u", flag_keys_to_evaluate=["beta"]) == {"beta": "test"}
        both = ph.get_all_flags_and_payloads("u", flag_keys_to_evaluate=["beta"])
        assert both["featureFlags"] == {"beta": "test"}
        flags = ph.evaluate_flags("u", flag_keys=["beta"])
        assert flags.get_flag("beta") == "test" and flags.is_enabled("beta")
        assert flags.get_flag_payload("beta") == {"x": 1}
        ph.capture("bought", distinct_id="u", flags=flags)
        ph.flush()
        bought = [e for e in server.events() if e["event"] == "bought"]
        assert bought[0]["properties"]["$feature/beta"] == "test"
        # The legacy send_feature_flags and get_feature_flag_result.
        ph.capture("legacy", distinct_id="u", send_feature_flags=True)
        r = ph.get_feature_flag_result("beta", "u")
        assert r is not None and r.get_value() == "test" and r.payload == {"x": 1}
        assert ph.get_feature_flag_result("no-such-flag", "u") is None
        ph.flush()
        legacy = [e for e in server.events() if e["event"] == "legacy"]
        assert legacy[0]["properties"]["$feature/beta"] == "test"
        assert "beta" in legacy[0]["properties"]["$active_feature_flags"]
    finally:
        ph.shutdown()


def test_module_level_api(server: TestServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(posthog_sdk, "api_key", API_KEY)
    monkeypatch.setattr(posthog_sdk, "host", server.url)
    monkeypatch.setattr(posthog_sdk, "default_client", None)
    try:
        assert posthog_sdk.capture("m", distinct_id="u")
        client = posthog_sdk.default_client
        assert isinstance(client, Posthog)
        posthog_sdk.flush()
        assert [e["event"] for e in server.wait(1)] == ["m"]
        monkeypatch.setattr(posthog_sdk, "disabled", True)  # re-read, as posthog-python does
        posthog_sdk.capture("dropped", distinct_id="u")
        assert posthog_sdk.default_client is not client and posthog_sdk.default_client.disabled
    finally:
        posthog_sdk.shutdown()


def test_core_options_are_accepted_by_the_drop_in_class(server: TestServer, tmp_path: Any) -> None:
    """Every option of the core's schema works on Posthog too; unknown names are refused."""
    ph = Posthog(
        API_KEY,
        host=server.url,
        storage_dir=tmp_path,
        fsync="never",
        max_attempts=5,
        overflow="drop_oldest",
        flush_interval=3600,
    )
    try:
        assert ph.capture("durable", distinct_id="u")
        assert any(p.name.endswith(".log") or p.is_file() for p in tmp_path.iterdir())
        ph.flush()
        assert [e["event"] for e in server.wait(1)] == ["durable"]
    finally:
        ph.shutdown()
    with pytest.raises(posthog_sdk.ConfigError, match='unknown option "flushAt"'):
        Posthog(API_KEY, host=server.url, flushAt=5)
    with pytest.raises(posthog_sdk.ConfigError, match="option fsync"):
        Posthog(API_KEY, host=server.url, fsync="sometimes")


def test_send_false_or_disabled_sends_nothing(server: TestServer) -> None:
    for options in ({"disabled": True}, {"send": False, "disabled": True}):
        ph = Posthog(API_KEY, host=server.url, **options)
        assert ph.disabled, options
        ph.capture("nothing", distinct_id="u")
        assert ph.get_feature_flag("beta", "u") is None
        ph.shutdown()
    assert server.events() == []
    assert all(not r["path"].startswith("/flags") for r in server.requests())


def test_profiles_differ_between_client_and_posthog(server: TestServer) -> None:
    """Client runs the core's profile (the event's own property wins, no $is_server);
    Posthog posthog-python's (the super property wins, $is_server and the runtime's context)."""
    client = posthog_sdk.Client(API_KEY, host=server.url, super_properties={"plan": "super"})
    ph = Posthog(API_KEY, host=server.url, super_properties={"plan": "super"})
    client.capture("client", "u", {"plan": "own"})
    ph.capture("drop-in", distinct_id="u", properties={"plan": "own"})
    client.shutdown()
    ph.shutdown()
    by = {e["event"]: e["properties"] for e in server.wait(2)}
    assert by["client"]["plan"] == "own" and "$is_server" not in by["client"]
    assert by["drop-in"]["plan"] == "super" and by["drop-in"]["$is_server"] is True
    assert by["drop-in"]["$python_version"].count(".") == 2 and by["drop-in"]["$os"]


def test_scoped_on_an_async_function_keeps_its_context(server: TestServer, ph: Posthog) -> None:
    import asyncio

    @ph.scoped()
    async def handler() -> None:
        ph.identify_context("async-user")
        ph.tag("route", "/items")
        await asyncio.sleep(0)
        ph.capture("handled")

    asyncio.run(handler())
    ph.flush()
    [ev] = [e for e in server.wait(1) if e["event"] == "handled"]
    assert ev["distinct_id"] == "async-user"
    assert ev["properties"]["route"] == "/items"
    assert ev["properties"]["$context_tags"] == ["route"]
