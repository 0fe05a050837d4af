"""capture and the person/group calls: what arrives at the server."""

from __future__ import annotations

import uuid as uuidlib
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import posthog_sdk
from conftest import API_KEY


def test_capture_delivers_properties_uuid_utc_timestamp_and_lib(server, make_client):
    client = make_client()
    given = uuidlib.UUID("67e55044-10b1-426f-9247-bb680e5fe0c8")
    ts = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=timezone(timedelta(hours=2)))
    returned = client.capture(
        "signed_up",
        distinct_id="user-1",
        properties={"plan": "pro", "n": 3, "ok": True, "nested": {"a": [1, 2.5, None]}},
        timestamp=ts,
        uuid=given,
    )
    assert returned == str(given)
    report = client.flush()
    assert report.sent == 1 and report.failed == 0
    [ev] = server.wait(1)
    assert ev["event"] == "signed_up"
    assert ev["distinct_id"] == "user-1"
    assert ev["uuid"] == str(given)
    assert ev["token"] == API_KEY
    assert ev["timestamp"] == "2026-01-02T01:04:05.678000Z"
    props = ev["properties"]
    assert props["plan"] == "pro" and props["n"] == 3 and props["ok"] is True
    assert props["nested"] == {"a": [1, 2.5, None]}
    assert props["$lib"] == "posthog-sdk-python"
    assert props["$lib_version"] == posthog_sdk.__version__


def test_capture_defaults_uuid_and_reads_naive_time_as_utc(server, make_client):
    client = make_client()
    returned = client.capture("e", "user-2", timestamp=datetime(2025, 6, 7, 8, 9, 10))
    assert returned is not None
    uuidlib.UUID(returned)  # a valid uuid
    client.flush()
    [ev] = server.wait(1)
    assert ev["uuid"] == returned
    assert ev["timestamp"] == "2025-06-07T08:09:10.000000Z"


def test_capture_accepts_string_timestamp_and_uuid(server, make_client):
    client = make_client()
    u = "{67E55044-10B1-426F-9247-BB680E5FE0C9}"
    returned = client.capture("e", "d", timestamp="2026-01-02T03:04:05+05:30", uuid=u)
    assert returned == "67e55044-10b1-426f-9247-bb680e5fe0c9"
    client.flush()
    [ev] = server.wait(1)
    assert ev["timestamp"] == "2026-01-01T21:34:05.000000Z"


def test_capture_converts_python_values(server, make_client):
    client = make_client()
    u = uuidlib.uuid4()
    client.capture(
        "values",
        distinct_id=42,
        properties={
            "when": datetime(2024, 1, 1, tzinfo=timezone.utc),
            "id": u,
            "price": Decimal("1.5"),
            "tags": ("a", "b"),
            "nan": float("nan"),
            7: "int key",
        },
    )
    client.flush()
    [ev] = server.wait(1)
    assert ev["distinct_id"] == "42"
    p = ev["properties"]
    assert p["when"] == "2024-01-01T00:00:00+00:00"
    assert p["id"] == str(u)
    assert p["price"] == 1.5
    assert p["tags"] == ["a", "b"]
    assert p["nan"] is None
    assert p["7"] == "int key"


def test_capture_groups(server, make_client):
    client = make_client()
    client.capture("e", "d", groups={"company": "acme", "team": "core"})
    client.flush()
    [ev] = server.wait(1)
    assert ev["properties"]["$groups"] == {"company": "acme", "team": "core"}


def test_super_properties_and_disable_geoip(server, make_client):
    client = make_client(super_properties={"app": "web", "plan": "free"}, disable_geoip=True)
    client.capture("e", "d", properties={"plan": "pro"})
    client.flush()
    [ev] = server.wait(1)
    p = ev["properties"]
    assert p["app"] == "web" and p["plan"] == "pro"
    assert p["$geoip_disable"] is True


def test_identify_shape(server, make_client):
    client = make_client()
    assert client.identify("user-1", {"email": "a@example.com"}, set_once={"first_seen": "x"})
    client.flush()
    [ev] = server.wait(1)
    assert ev["event"] == "$identify" and ev["distinct_id"] == "user-1"
    assert ev["properties"]["$set"] == {"email": "a@example.com"}
    assert ev["properties"]["$set_once"] == {"first_seen": "x"}


def test_alias_shape(server, make_client):
    client = make_client()
    assert client.alias("user-1", "anon-9")
    client.flush()
    [ev] = server.wait(1)
    assert ev["event"] == "$create_alias" and ev["distinct_id"] == "user-1"
    assert ev["properties"]["alias"] == "anon-9"
    assert ev["properties"]["distinct_id"] == "user-1"


def test_group_identify_shape(server, make_client):
    client = make_client()
    assert client.group_identify("company", "acme", {"name": "Acme"})
    assert client.group_identify("company", "init", {"seats": 3}, distinct_id="user-1")
    client.flush()
    evs = {e["properties"]["$group_key"]: e for e in server.wait(2)}
    acme = evs["acme"]
    assert acme["event"] == "$groupidentify"
    assert acme["distinct_id"] == "$company_acme"
    assert acme["properties"]["$group_type"] == "company"
    assert acme["properties"]["$group_set"] == {"name": "Acme"}
    assert evs["init"]["distinct_id"] == "user-1"


def test_set_and_set_once_shapes(server, make_client):
    client = make_client()
    assert client.set("user-1", {"plan": "pro"})
    assert client.set_once("user-1", {"signup": "2026"})
    client.flush()
    evs = {e["event"]: e for e in server.wait(2)}
    assert evs["$set"]["properties"]["$set"] == {"plan": "pro"}
    assert evs["$set_once"]["properties"]["$set_once"] == {"signup": "2026"}
    assert evs["$set"]["distinct_id"] == "user-1"


def test_bad_arguments_return_none_count_a_drop_and_report(server, make_client, recorder):
    client = make_client(on_error=recorder)
    bad_calls = [
        lambda: client.capture("e", "d", properties="not a dict"),
        lambda: client.capture("e", "d", properties={"x": object()}),
        lambda: client.capture("e", "d", timestamp="yesterday"),
        lambda: client.capture("e", "d", uuid="not-a-uuid"),
        lambda: client.capture(5, "d"),  # type: ignore[arg-type]
        lambda: client.capture("", "d"),
        lambda: client.identify("d", ["not", "a", "dict"]),  # type: ignore[arg-type]
        lambda: client.set(object(), {}),  # type: ignore[arg-type]
    ]
    for call in bad_calls:
        assert call() is None
    stats = client.stats()
    assert stats.dropped_invalid == len(bad_calls)
    assert stats.accepted == 0
    errors = recorder.errors
    assert len(errors) == len(bad_calls)
    for e in errors:
        assert isinstance(e, posthog_sdk.InvalidInputError), e
        assert isinstance(e, ValueError)
        assert e.kind == "invalid_input"
    # A good call still works afterwards.
    assert client.capture("e", "d") is not None


def test_disabled_client_sends_nothing(server, make_client):
    client = make_client(disabled=True)
    assert client.capture("e", "d") is None
    client.flush()
    assert server.events() == []


def test_protocol_v1(server, make_client):
    client = make_client(protocol="v1")
    client.capture("e", "d", properties={"a": 1})
    client.flush()
    [ev] = server.wait(1)
    assert ev["route"].startswith("/i/v1/")
    assert ev["properties"]["a"] == 1


def test_no_distinct_id_sends_a_personless_event_and_geoip_can_be_set_per_event(server, make_client):
    client = make_client(disable_geoip=True)
    assert client.capture("anonymous", None)
    assert client.capture("located", "u-1", disable_geoip=False)
    assert client.set("u-1", {"plan": "pro"}, uuid="0190d3a4-5b6c-7d8e-9f00-000000000002")
    client.flush()
    events = {e["event"]: e for e in server.wait(3)}
    personless = events["anonymous"]
    assert personless["properties"]["$process_person_profile"] is False
    assert personless["distinct_id"]  # a random id made by the core
    assert personless["properties"]["$geoip_disable"] is True
    # Only true is sent (absent means geoip), as the official SDKs do.
    assert "$geoip_disable" not in events["located"]["properties"]
    assert events["$set"]["uuid"] == "0190d3a4-5b6c-7d8e-9f00-000000000002"
