"""Feature flags through the client, against the local test server: remote evaluation
(/flags), local evaluation (definitions with ETag), the fallback between them, the errors each
call raises or reports, and the events flags add."""

from __future__ import annotations

import json
import threading
import time
from typing import Any, Dict, List

import pytest

import posthog_sdk
from conftest import API_KEY, FLAG_DEFINITIONS, SECURE_KEY
from posthog_sdk.flags import LocalEvaluator

DEFINITIONS = json.loads(FLAG_DEFINITIONS.read_text(encoding="utf-8"))
EVALUATOR = LocalEvaluator(DEFINITIONS)

PERSON = {"email": "ada@example.com", "plan": "pro", "country": "US", "age": 36, "app_version": "2.4.1"}
GROUPS = {"company": "acme"}
GROUP_PROPS = {"company": {"plan": "enterprise", "employees": 250}}


def flag_requests(server: Any) -> List[Dict[str, Any]]:
    return [r for r in server.requests() if r["path"].rstrip("/") == "/flags"]


def definition_requests(server: Any) -> List[Dict[str, Any]]:
    return [
        r
        for r in server.requests()
        if "definitions" in r["path"] or "local_evaluation" in r["path"]
    ]


def called_events(server: Any) -> List[Dict[str, Any]]:
    return [e for e in server.events() if e["event"] == "$feature_flag_called"]


def local(key: str, distinct_id: str = "user-1", **ctx: Any) -> Any:
    """What the core's evaluator says for the served definitions: (value, payload)."""
    return EVALUATOR.evaluate(key, distinct_id, **ctx)


# ---- remote evaluation ----------------------------------------------------------------------


def test_remote_lookup_sends_the_context_and_no_authorization(server, make_client):
    server.flag_overrides({"beta-remote": {"value": "test", "payload": {"a": 1, "b": 1.5}}})
    client = make_client()
    value = client.get_feature_flag(
        "beta-remote",
        "user-1",
        groups=GROUPS,
        person_properties={"plan": "pro"},
        group_properties=GROUP_PROPS,
        disable_geoip=True,
        device_id="dev-1",
        send_feature_flag_events=False,
    )
    assert value == "test"
    [req] = flag_requests(server)
    assert req["method"] == "POST" and "v=2" in req["query"]
    assert "authorization" not in req["headers"]
    body = json.loads(req["body"])
    assert body["api_key"] == API_KEY
    assert body["distinct_id"] == "user-1"
    assert body["groups"] == GROUPS
    assert body["person_properties"] == {"plan": "pro"}
    # Each group's key is added as `$group_key`, as posthog-python and posthog-node do.
    assert body["group_properties"] == {
        t: {**props, "$group_key": GROUPS[t]} for t, props in GROUP_PROPS.items()
    }
    assert body["geoip_disable"] is True
    assert body["flag_keys_to_evaluate"] == ["beta-remote"]
    assert body["device_id"] == "dev-1"
    assert not [r for r in server.requests() if r["path"].startswith("/decide")]


def test_remote_payload_enabled_and_all_flags(server, make_client):
    server.flag_overrides({"beta-remote": {"value": "test", "payload": {"a": 1, "b": 1.5}}})
    client = make_client(send_feature_flag_events=False)
    payload = client.get_feature_flag_payload("beta-remote", "user-1")
    assert payload == {"a": 1, "b": 1.5}
    assert type(payload["a"]) is int and type(payload["b"]) is float
    assert client.feature_enabled("beta-remote", "user-1") is True
    assert client.is_feature_enabled("rollout-000-pct", "user-1") is False
    assert client.get_feature_flag("no-such-flag", "user-1") is None

    flags = client.get_all_flags("user-1")
    assert flags["beta-remote"] == "test"
    assert flags["rollout-100-pct"] is True and flags["rollout-000-pct"] is False
    both = client.get_all_flags_and_payloads("user-1")
    assert set(both) == {"featureFlags", "featureFlagPayloads"}
    assert both["featureFlags"] == flags
    assert both["featureFlagPayloads"]["beta-remote"] == {"a": 1, "b": 1.5}
    body = json.loads(flag_requests(server)[-1]["body"])
    assert "flag_keys_to_evaluate" not in body  # get_all_flags asks for every flag


def test_quota_limit_gives_none_and_reports_but_evaluate_flags_raises(server, make_client, recorder):
    server.quota_limited(True)
    client = make_client(on_error=recorder)
    assert client.get_feature_flag("rollout-100-pct", "user-1") is None
    assert client.get_feature_flag_payload("exp-checkout-flow", "user-1") is None
    assert client.get_all_flags("user-1") == {}
    errors = recorder.errors
    assert len(errors) == 3
    assert all(isinstance(e, posthog_sdk.QuotaLimitedError) for e in errors)
    with pytest.raises(posthog_sdk.QuotaLimitedError) as info:
        client.evaluate_flags("user-1")
    assert info.value.kind == "quota_limited"
    assert len(recorder.errors) == 3  # raised, not reported


def test_server_error_gives_none_and_reports(server, make_client, recorder):
    server.faults([{"route": "flags", "status": 500, "body": "boom"}])
    client = make_client(on_error=recorder)
    assert client.get_feature_flag("rollout-100-pct", "user-1") is None
    [err] = recorder.errors
    assert isinstance(err, posthog_sdk.ServerError) and err.status == 500
    assert client.get_feature_flag("rollout-100-pct", "user-1") is True  # the fault is spent


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.get_feature_flag("", "user-1"),
        lambda c: c.get_feature_flag("flag", ""),
        lambda c: c.get_feature_flag(5, "user-1"),
        lambda c: c.get_feature_flag("flag", "user-1", person_properties=5),
        lambda c: c.get_feature_flag("flag", "user-1", groups={"company": object()}),
        lambda c: c.get_feature_flag("flag", "user-1", only_evaluate_locally="yes"),
        lambda c: c.feature_enabled("flag", None),
        lambda c: c.get_feature_flag_payload("", "user-1"),
        lambda c: c.get_all_flags(""),
        lambda c: c.get_all_flags_and_payloads("user-1", group_properties=[1]),
        lambda c: c.evaluate_flags(""),
        lambda c: c.evaluate_flags("user-1", flag_keys="one-key"),
        lambda c: c.evaluate_flags("user-1", flag_keys=["ok", 7]),
    ],
)
def test_bad_input_raises_invalid_input(server, make_client, call):
    client = make_client()
    with pytest.raises(posthog_sdk.InvalidInputError) as info:
        call(client)
    assert isinstance(info.value, ValueError)
    assert flag_requests(server) == []


# ---- local evaluation -----------------------------------------------------------------------


def test_local_evaluation_asks_no_flags_endpoint(server, make_client):
    client = make_client(personal_api_key=SECURE_KEY, send_feature_flag_events=False)
    value, payload = local("exp-checkout-flow")
    assert client.get_feature_flag("exp-checkout-flow", "user-1") == value
    assert client.get_feature_flag_payload("exp-checkout-flow", "user-1") == payload
    expected_group = local("company-enterprise", groups=GROUPS, group_properties=GROUP_PROPS)[0]
    assert (
        client.get_feature_flag(
            "company-enterprise", "user-1", groups=GROUPS, group_properties=GROUP_PROPS
        )
        == expected_group
        is True
    )
    all_flags = client.get_all_flags(
        "user-1", person_properties=PERSON, groups=GROUPS, group_properties=GROUP_PROPS,
        only_evaluate_locally=True,
    )
    assert all_flags["exp-checkout-flow"] == value
    assert flag_requests(server) == []
    [req] = definition_requests(server)
    assert req["method"] == "GET"
    assert req["headers"]["authorization"] == f"Bearer {SECURE_KEY}"
    assert f"token={API_KEY}" in req["query"]


def test_a_personal_phx_key_evaluates_locally_too(server, make_client):
    client = make_client(personal_api_key="phx_testpersonalkey", send_feature_flag_events=False)
    assert client.get_feature_flag("rollout-100-pct", "user-1", only_evaluate_locally=True) is True
    assert flag_requests(server) == []


def test_reload_uses_the_etag_and_picks_up_new_definitions(server, make_client):
    client = make_client(personal_api_key=SECURE_KEY, send_feature_flag_events=False)
    # The first lookup waits for the first load.
    assert client.get_feature_flag("rollout-100-pct", "u", only_evaluate_locally=True) is True
    assert server.stats()["definitions_not_modified"] == 0
    client.reload_feature_flags()
    stats = server.stats()
    assert stats["definitions_not_modified"] == 1
    assert definition_requests(server)[-1]["headers"].get("if-none-match")

    server.flag_definitions(
        {
            "flags": [
                {"id": 9, "key": "fresh-flag", "active": True,
                 "filters": {"groups": [{"properties": [], "rollout_percentage": 100}]}}
            ]
        }
    )
    client.reload_feature_flags()
    assert client.get_feature_flag("fresh-flag", "u", only_evaluate_locally=True) is True
    assert client.get_feature_flag("rollout-100-pct", "u", only_evaluate_locally=True) is None
    assert flag_requests(server) == []


def test_reload_without_a_personal_key_is_a_config_error(make_client):
    with pytest.raises(posthog_sdk.ConfigError):
        make_client().reload_feature_flags()


def test_inconclusive_falls_back_to_remote_unless_local_only(server, make_client):
    server.flag_overrides({"internal-users": {"value": True}})
    client = make_client(personal_api_key=SECURE_KEY, send_feature_flag_events=False)
    with pytest.raises(posthog_sdk.InconclusiveError):
        local("internal-users")  # no email: local evaluation cannot decide
    assert client.get_feature_flag("internal-users", "user-1", only_evaluate_locally=True) is None
    assert flag_requests(server) == []
    assert client.get_feature_flag("internal-users", "user-1") is True
    [req] = flag_requests(server)
    assert json.loads(req["body"])["flag_keys_to_evaluate"] == ["internal-users"]
    # force_remote asks the server even for a flag local evaluation decides.
    assert client.get_feature_flag("rollout-100-pct", "user-1", force_remote=True) is True
    assert len(flag_requests(server)) == 2


def test_evaluate_flags_snapshot_local_then_remote(server, make_client):
    server.flag_overrides({"internal-users": {"value": True, "payload": [1, 2]}})
    client = make_client(personal_api_key=SECURE_KEY)
    snap = client.evaluate_flags("user-1", only_evaluate_locally=True)
    assert snap.request_id is None and snap.distinct_id == "user-1"
    assert snap.unresolved["internal-users"] == "missing_context"
    assert "internal-users" not in snap.keys and "internal-users" not in snap
    value, payload = local("exp-checkout-flow")
    assert snap.get_flag("exp-checkout-flow") == value
    assert snap.get_payload("exp-checkout-flow") == payload
    assert snap.is_enabled("exp-checkout-flow") is True
    assert snap.get_flag("internal-users") is None and snap.is_enabled("internal-users") is False
    assert len(snap) == len(snap.keys) and snap.keys == sorted(snap.keys)
    d = snap.to_dict()
    assert d["flags"]["exp-checkout-flow"]["locally_evaluated"] is True
    assert d["flags"]["exp-checkout-flow"]["value"] == value
    assert d["unresolved"] == snap.unresolved
    assert flag_requests(server) == []

    snap = client.evaluate_flags("user-1", flag_keys=["internal-users", "exp-checkout-flow"])
    assert snap.keys == ["exp-checkout-flow", "internal-users"]
    assert snap.unresolved == {}
    assert snap.get_flag("internal-users") is True and snap.get_payload("internal-users") == [1, 2]
    assert snap.request_id
    d = snap.to_dict()
    assert d["flags"]["internal-users"]["locally_evaluated"] is False
    assert d["flags"]["internal-users"]["request_id"] == snap.request_id
    [req] = flag_requests(server)
    assert json.loads(req["body"])["flag_keys_to_evaluate"] == ["internal-users"]
    assert called_events(server) == []  # evaluate_flags captures nothing


# ---- events ---------------------------------------------------------------------------------


def test_feature_flag_called_once_per_response(server, make_client):
    client = make_client(personal_api_key=SECURE_KEY)
    value, _ = local("exp-checkout-flow")
    for _ in range(3):
        assert client.get_feature_flag("exp-checkout-flow", "user-1") == value
    assert client.feature_enabled("exp-checkout-flow", "user-1") is True
    client.get_feature_flag_payload("exp-checkout-flow", "user-1")  # captures nothing
    client.get_feature_flag("rollout-100-pct", "user-1", send_feature_flag_events=False)
    client.flush()
    [ev] = called_events(server)
    p = ev["properties"]
    assert ev["distinct_id"] == "user-1"
    assert p["$feature_flag"] == "exp-checkout-flow"
    assert p["$feature_flag_response"] == value
    assert p["$feature/exp-checkout-flow"] == value
    assert p["locally_evaluated"] is True

    client.get_feature_flag("exp-checkout-flow", "user-2")  # another person: another event
    client.flush()
    assert len(called_events(server)) == 2


def test_remote_feature_flag_called_carries_the_request_id(server, make_client):
    server.flag_overrides({"beta-remote": {"value": "test"}})
    client = make_client()
    assert client.get_feature_flag("beta-remote", "user-1") == "test"
    assert client.get_feature_flag("beta-remote", "user-1") == "test"
    client.flush()
    [ev] = called_events(server)
    assert ev["properties"]["locally_evaluated"] is False
    assert ev["properties"]["$feature_flag_request_id"]
    assert ev["properties"]["$feature_flag_response"] == "test"


def test_send_feature_flag_events_off_captures_nothing(server, make_client):
    client = make_client(personal_api_key=SECURE_KEY, send_feature_flag_events=False)
    client.get_feature_flag("exp-checkout-flow", "user-1")
    client.get_feature_flag("rollout-100-pct", "user-1", send_feature_flag_events=True)
    client.flush()
    [ev] = called_events(server)
    assert ev["properties"]["$feature_flag"] == "rollout-100-pct"


def test_capture_with_a_snapshot_adds_feature_properties(server, make_client):
    client = make_client(personal_api_key=SECURE_KEY)
    keys = ["exp-checkout-flow", "rollout-000-pct", "rollout-100-pct"]
    snap = client.evaluate_flags("user-1", flag_keys=keys, only_evaluate_locally=True)
    assert client.capture(
        "purchase", "user-1", properties={"$feature/rollout-100-pct": "mine"}, flags=snap
    )
    client.flush()
    [ev] = server.wait(1)
    p = ev["properties"]
    assert p["$feature/exp-checkout-flow"] == local("exp-checkout-flow")[0]
    assert p["$feature/rollout-000-pct"] is False
    assert p["$feature/rollout-100-pct"] == "mine"  # the event's own property wins
    assert p["$active_feature_flags"] == ["exp-checkout-flow", "rollout-100-pct"]
    assert snap.event_properties()["$active_feature_flags"] == p["$active_feature_flags"]


def test_capture_with_something_else_as_flags_is_refused(server, make_client, recorder):
    client = make_client(on_error=recorder)
    assert client.capture("e", "user-1", flags={"beta": True}) is None  # type: ignore[arg-type]
    assert client.stats().dropped_invalid == 1
    assert isinstance(recorder.errors[0], posthog_sdk.InvalidInputError)


# ---- options --------------------------------------------------------------------------------


def test_a_project_key_as_personal_key_is_refused_without_echoing_it():
    secret = "phc_notapersonalkey123"
    with pytest.raises(posthog_sdk.InvalidKeyError) as info:
        posthog_sdk.Client("phc_project", host="http://127.0.0.1:9", personal_api_key=secret)
    assert secret not in str(info.value) and secret not in repr(info.value)


@pytest.mark.parametrize(
    "options",
    [
        {"poll_interval": 0.5},
        {"poll_interval": -1},
        {"feature_flags_request_timeout_seconds": 0},
        {"feature_flags_request_timeout_seconds": "3"},
        {"send_feature_flag_events": "yes"},
    ],
)
def test_bad_flag_options_raise_config_error(options):
    with pytest.raises(posthog_sdk.ConfigError):
        posthog_sdk.Client("phc_key", host="http://127.0.0.1:9", **options)


def test_flag_lookups_release_the_gil(server, make_client):
    """While a lookup waits on a slow /flags answer, other Python threads keep running."""
    server.faults([{"route": "flags", "latency_ms": 400}])
    client = make_client(send_feature_flag_events=False)
    done = threading.Event()
    result: List[Any] = []

    def lookup() -> None:
        result.append(client.get_feature_flag("rollout-100-pct", "user-1"))
        done.set()

    thread = threading.Thread(target=lookup)
    last = time.perf_counter()
    longest = 0.0
    thread.start()
    while not done.is_set():
        now = time.perf_counter()
        longest = max(longest, now - last)
        last = now
    thread.join()
    assert result == [True]
    assert longest < 0.2, f"the main thread stalled {longest:.3f} s: the GIL was held"
