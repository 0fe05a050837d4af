"""The scenarios: real usage code from PostHog's Python docs and posthog-python's README /
example.py, written once against the module under test (`ph` is `posthog` or `posthog_sdk`;
nothing else differs).

Each scenario takes the module and a `server.Server` handle and returns a JSON-ready dict of
what it observed in-process (return values, exceptions in neutral form, `on_error` calls,
counts seen at the server at chosen moments). The harness adds what reached the server.
Every scenario ends by shutting its client down (or deliberately exits without it).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import decimal
import logging
import uuid as uuidlib
from typing import Any, Callable, Dict, List, Optional

API_KEY = "phc_differential_python_key"
PERSONAL_KEY = "phx_testpersonalkey"  # known to the test server, scope *
SECURE_KEY = "phs_testsecurekey"
#: uuids the scenarios pass in themselves: normalisation keeps them as they are.
FIXED_UUIDS = [
    "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
    "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c",
    "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5d",
]

SCENARIOS: Dict[str, Callable[[Any, Any], Dict[str, Any]]] = {}
#: scenarios whose event order is meaningful (no sorting of the server's events).
ORDERED: set = set()


def scenario(fn=None, *, ordered: bool = False):
    def register(f):
        SCENARIOS[f.__name__] = f
        if ordered:
            ORDERED.add(f.__name__)
        return f

    return register(fn) if fn is not None else register


# ---- helpers ------------------------------------------------------------------------------


def neutral_exc(e: BaseException) -> str:
    """An exception as a name both packages can share."""
    if isinstance(e, NotImplementedError):
        return "NotImplementedError"
    status = getattr(e, "status", None)
    if isinstance(status, int) and not isinstance(status, bool):
        return f"APIError({status})"
    names = [c.__name__ for c in type(e).__mro__]
    if "Timeout" in names or isinstance(e, TimeoutError):
        return "Timeout"
    if "ConnectionError" in names:
        return "ConnectionError"
    for cls in type(e).__mro__:
        if cls.__module__ == "builtins" and cls not in (BaseException, Exception, object):
            return cls.__name__
    return "Exception"


def jsonable(v: Any) -> Any:
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, uuidlib.UUID):
        return str(v)
    return "<object>"


def attempt(fn: Callable[[], Any]) -> Dict[str, Any]:
    """{"value": what fn returned} or {"raised": neutral exception name}."""
    try:
        return {"value": jsonable(fn())}
    except BaseException as e:  # noqa: BLE001 - a scenario records everything
        return {"raised": neutral_exc(e)}


class ErrorRecorder:
    """posthog-python's `on_error(error, batch)`."""

    def __init__(self) -> None:
        self.calls: List[Dict[str, Any]] = []

    def __call__(self, error: BaseException, batch: Any = None) -> None:
        self.calls.append(
            {"error": neutral_exc(error), "batch_len": len(batch) if isinstance(batch, list) else None}
        )

    def summary(self) -> List[Dict[str, Any]]:
        return sorted(self.calls, key=lambda c: (c["error"], str(c["batch_len"])))


def client(ph, srv, **options):
    """`Posthog(key, host=…)` as the docs write it; deterministic batching (explicit flush)."""
    options.setdefault("flush_at", 100)
    options.setdefault("flush_interval", 30)
    return ph.Posthog(options.pop("api_key", API_KEY), host=srv.url, **options)


def close(posthog) -> Dict[str, Any]:
    return {"shutdown": attempt(posthog.shutdown)}


OVERRIDES = {
    "beta-feature": {"value": True},
    "disabled-feature": {"value": False},
    "checkout-variant": {"value": "variant-b", "payload": {"discount": 10, "copy": "Save!"}},
    "bool-payload": {"value": True, "payload": ["a", 1, None]},
}


# ---- capture ------------------------------------------------------------------------------


@scenario
def capture_keyword_basic(ph, srv):
    """The docs' "Set event properties" example."""
    posthog = client(ph, srv)
    r = attempt(
        lambda: posthog.capture(
            "user_signed_up",
            distinct_id="distinct_id_of_the_user",
            properties={"login_type": "email", "is_free_trial": "true"},
        )
    )
    out = {"capture": r}
    out.update(close(posthog))
    return out


@scenario
def capture_positional_legacy(ph, srv):
    """posthog-python's README (old style): capture('distinct id', 'movie played', {...})."""
    posthog = client(ph, srv)
    out = {
        "positional3": attempt(
            lambda: posthog.capture("distinct id", "movie played", {"movie_id": "123", "category": "romcom"})
        ),
        "positional2": attempt(lambda: posthog.capture("distinct id", "movie played")),
        "event_only_positional": attempt(lambda: posthog.capture("movie played", distinct_id="distinct id")),
    }
    out.update(close(posthog))
    return out


@scenario
def capture_anonymous_personless(ph, srv):
    """Docs: events captured with no context or distinct_id are personless."""
    posthog = client(ph, srv)
    out = {"capture": attempt(lambda: posthog.capture("some-anon-event"))}
    out.update(close(posthog))
    return out


@scenario
def capture_pageview(ph, srv):
    posthog = client(ph, srv)
    out = {
        "capture": attempt(
            lambda: posthog.capture(
                "$pageview",
                distinct_id="distinct_id_of_the_user",
                properties={"$current_url": "https://example.com"},
            )
        )
    }
    out.update(close(posthog))
    return out


@scenario
def capture_groups(ph, srv):
    """Docs (group analytics): capture with groups."""
    posthog = client(ph, srv)
    out = {
        "capture": attempt(
            lambda: posthog.capture(
                "some_event",
                distinct_id="user_distinct_id",
                groups={"company": "company_id_in_your_db"},
            )
        ),
        "two_groups": attempt(
            lambda: posthog.capture(
                "other_event",
                distinct_id="user_distinct_id",
                properties={"x": 1},
                groups={"company": "acme", "project": "p-1"},
            )
        ),
    }
    out.update(close(posthog))
    return out


@scenario
def capture_timestamps(ph, srv):
    """timestamp= as aware UTC, aware non-UTC, naive datetime and ISO strings."""
    posthog = client(ph, srv)
    utc = dt.timezone.utc
    plus2 = dt.timezone(dt.timedelta(hours=2))
    out = {
        "aware_utc": attempt(
            lambda: posthog.capture("ts_utc", distinct_id="u", timestamp=dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=utc))
        ),
        "aware_plus2": attempt(
            lambda: posthog.capture("ts_plus2", distinct_id="u", timestamp=dt.datetime(2024, 1, 2, 5, 4, 5, 123456, tzinfo=plus2))
        ),
        "naive": attempt(
            lambda: posthog.capture("ts_naive", distinct_id="u", timestamp=dt.datetime(2024, 1, 2, 3, 4, 5))
        ),
        "string_z": attempt(lambda: posthog.capture("ts_str_z", distinct_id="u", timestamp="2024-05-06T07:08:09Z")),
        "string_offset": attempt(
            lambda: posthog.capture("ts_str_off", distinct_id="u", timestamp="2024-05-06T09:08:09+02:00")
        ),
    }
    out.update(close(posthog))
    return out


@scenario
def capture_invalid_timestamp(ph, srv):
    """An unparseable timestamp string: posthog-python falls back to now."""
    posthog = client(ph, srv)
    out = {"capture": attempt(lambda: posthog.capture("ts_bad", distinct_id="u", timestamp="not a time"))}
    out.update(close(posthog))
    return out


@scenario
def capture_uuid(ph, srv):
    """uuid= as a UUID and as text: the returned uuid is the one given."""
    posthog = client(ph, srv)
    out = {
        "uuid_obj": attempt(lambda: posthog.capture("with_uuid_obj", distinct_id="u", uuid=uuidlib.UUID(FIXED_UUIDS[0]))),
        "uuid_str": attempt(lambda: posthog.capture("with_uuid_str", distinct_id="u", uuid=FIXED_UUIDS[1])),
    }
    out.update(close(posthog))
    return out


@scenario
def capture_uuid_invalid(ph, srv):
    """uuid='not-a-uuid': posthog-python documents that an invalid uuid is replaced."""
    posthog = client(ph, srv)
    out = {"capture": attempt(lambda: posthog.capture("bad_uuid", distinct_id="u", uuid="not-a-uuid"))}
    out.update(close(posthog))
    return out


@scenario
def capture_property_types(ph, srv):
    posthog = client(ph, srv)
    props = {
        "int": 1,
        "float": 1.5,
        "bool": False,
        "none": None,
        "str": "x",
        "list": [1, "a", None],
        "tuple": (1, 2),
        "nested": {"a": {"b": [1, {"c": True}]}},
        "datetime": dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc),
        "date": dt.date(2024, 1, 2),
        "decimal": decimal.Decimal("1.25"),
        "uuid": uuidlib.UUID(FIXED_UUIDS[2]),
        "unicode": "héllo ✓",
    }
    out = {"capture": attempt(lambda: posthog.capture("typed_props", distinct_id="u", properties=props))}
    out.update(close(posthog))
    return out


@scenario
def capture_int_distinct_id(ph, srv):
    """ID_TYPES: an int or UUID distinct id is sent as text."""
    posthog = client(ph, srv)
    out = {
        "int": attempt(lambda: posthog.capture("int_id", distinct_id=12345)),
        "uuid": attempt(lambda: posthog.capture("uuid_id", distinct_id=uuidlib.UUID(FIXED_UUIDS[0]))),
    }
    out.update(close(posthog))
    return out


@scenario
def capture_geoip(ph, srv):
    """disable_geoip default (True), per call False, and the client option False."""
    a = client(ph, srv)
    out = {
        "default": attempt(lambda: a.capture("geo_default", distinct_id="u")),
        "per_call_false": attempt(lambda: a.capture("geo_call_false", distinct_id="u", disable_geoip=False)),
    }
    out["a"] = close(a)
    b = client(ph, srv, disable_geoip=False)
    out["client_false"] = attempt(lambda: b.capture("geo_client_false", distinct_id="u"))
    out["client_false_call_true"] = attempt(lambda: b.capture("geo_client_false_call_true", distinct_id="u", disable_geoip=True))
    out["b"] = close(b)
    return out


# ---- identify / set / set_once / alias / group_identify --------------------------------------


@scenario
def identify_legacy_method(ph, srv):
    """posthog-python's README: posthog.identify(...). 7.x has no identify (use set)."""
    posthog = client(ph, srv)
    out = {
        "client_has_identify": hasattr(posthog, "identify"),
        "module_has_identify": hasattr(ph, "identify"),
        "call": attempt(lambda: posthog.identify("distinct id", {"email": "dwayne@gmail.com", "name": "Dwayne Johnson"})),
    }
    out.update(close(posthog))
    return out


@scenario
def set_and_set_once(ph, srv):
    """Docs: posthog.set(distinct_id=..., properties=...) and set_once."""
    posthog = client(ph, srv)
    out = {
        "set": attempt(lambda: posthog.set(distinct_id="user123", properties={"name": "Max Hedgehog"})),
        "set_once": attempt(
            lambda: posthog.set_once(distinct_id="user123", properties={"initial_signup_date": "2024-01-01"})
        ),
        "set_ts_uuid": attempt(
            lambda: posthog.set(
                distinct_id="user123",
                properties={"plan": "pro"},
                timestamp=dt.datetime(2024, 3, 4, 5, 6, 7, tzinfo=dt.timezone.utc),
                uuid=FIXED_UUIDS[0],
            )
        ),
    }
    out.update(close(posthog))
    return out


@scenario
def set_personless_or_empty(ph, srv):
    """A set without any distinct id, or with no properties, does nothing."""
    posthog = client(ph, srv)
    out = {
        "no_distinct_id": attempt(lambda: posthog.set(properties={"name": "x"})),
        "empty_props": attempt(lambda: posthog.set(distinct_id="u", properties={})),
        "set_once_no_props": attempt(lambda: posthog.set_once(distinct_id="u")),
    }
    out.update(close(posthog))
    return out


@scenario
def set_in_context_with_tags(ph, srv):
    """set() inside a context takes the context's distinct id; tags are added to $set."""
    posthog = client(ph, srv)
    out = {}
    with ph.new_context():
        ph.identify_context("ctx-user")
        ph.tag("source", "ctx")
        out["set"] = attempt(lambda: posthog.set(properties={"plan": "free"}))
    out.update(close(posthog))
    return out


@scenario
def alias_calls(ph, srv):
    """Docs: posthog.alias(previous_id='distinct_id', distinct_id='alias_id')."""
    posthog = client(ph, srv)
    out = {
        "keyword": attempt(lambda: posthog.alias(previous_id="distinct_id", distinct_id="alias_id")),
        "positional": attempt(lambda: posthog.alias("anon-42", "user-42")),
        "empty_previous": attempt(lambda: posthog.alias("", "user-42")),
        "no_target": attempt(lambda: posthog.alias("anon-43", None)),
    }
    with ph.new_context():
        ph.identify_context("ctx-user")
        out["in_context"] = attempt(lambda: posthog.alias("anon-44", None))
    out.update(close(posthog))
    return out


@scenario
def group_identify_without_distinct_id(ph, srv):
    """Docs: posthog.group_identify('company', 'company_id_in_your_db', {...})."""
    posthog = client(ph, srv)
    out = {
        "call": attempt(
            lambda: posthog.group_identify("company", "company_id_in_your_db", {"name": "Awesome Inc.", "employees": 11})
        ),
        "no_props": attempt(lambda: posthog.group_identify("project", "p-1")),
        "empty_type": attempt(lambda: posthog.group_identify("", "x", {"a": 1})),
    }
    out.update(close(posthog))
    return out


@scenario
def group_identify_with_distinct_id(ph, srv):
    posthog = client(ph, srv)
    out = {
        "call": attempt(
            lambda: posthog.group_identify(
                "company", "acme", {"plan": "enterprise"}, distinct_id="user-7",
                timestamp=dt.datetime(2024, 2, 3, 4, 5, 6, tzinfo=dt.timezone.utc),
            )
        )
    }
    with ph.new_context():
        ph.identify_context("ctx-user")
        ph.set_context_session("sess-1")
        out["in_context"] = attempt(lambda: posthog.group_identify("company", "beta", {"plan": "free"}))
    out.update(close(posthog))
    return out


# ---- module-level API ---------------------------------------------------------------------


@scenario
def module_level_capture(ph, srv):
    """posthog-python's example.py: module settings, then module functions."""
    ph.api_key = API_KEY
    ph.host = srv.url
    out = {
        "capture": attempt(lambda: ph.capture("movie played", distinct_id="distinct_id", properties={"movie_id": "123"})),
        "set": attempt(lambda: ph.set(distinct_id="distinct_id", properties={"email": "a@b.c"})),
        "alias": attempt(lambda: ph.alias("distinct_id", "new_distinct_id")),
        "group_identify": attempt(lambda: ph.group_identify("company", "id:5", {"employees": 11})),
        "flush": attempt(lambda: ph.flush()),
    }
    out["after_flush_events"] = len(srv.events())
    out["shutdown"] = attempt(lambda: ph.shutdown())
    return out


@scenario
def module_level_project_api_key_exit(ph, srv):
    """project_api_key (example.py's name) and no explicit flush: delivered at exit."""
    ph.project_api_key = API_KEY
    ph.host = srv.url
    return {"capture": attempt(lambda: ph.capture("exit_event", distinct_id="u-exit"))}


@scenario
def module_level_no_key(ph, srv):
    """No api_key set: the default client is disabled, calls return None."""
    ph.host = srv.url
    out = {
        "capture": attempt(lambda: ph.capture("no_key_event", distinct_id="u")),
        "flag": attempt(lambda: ph.get_feature_flag("beta-feature", "u")),
    }
    out["shutdown"] = attempt(lambda: ph.shutdown())
    return out


@scenario
def module_level_disabled_toggle(ph, srv):
    """posthog.disabled = True after first use, then back to False."""
    ph.api_key = API_KEY
    ph.host = srv.url
    out = {"first": attempt(lambda: ph.capture("before_disable", distinct_id="u"))}
    ph.disabled = True
    out["while_disabled"] = attempt(lambda: ph.capture("while_disabled", distinct_id="u"))
    ph.disabled = False
    out["re_enabled"] = attempt(lambda: ph.capture("after_enable", distinct_id="u"))
    out["shutdown"] = attempt(lambda: ph.shutdown())
    return out


@scenario
def module_level_flags(ph, srv):
    """example.py: posthog.feature_enabled('beta-feature', 'distinct_id') at module level."""
    srv.flag_overrides(OVERRIDES)
    ph.api_key = API_KEY
    ph.host = srv.url
    out = {
        "enabled": attempt(lambda: ph.feature_enabled("beta-feature", "distinct_id")),
        "with_groups": attempt(lambda: ph.feature_enabled("beta-feature", "distinct_id", groups={"company": "id:5"})),
        "variant": attempt(lambda: ph.get_feature_flag("checkout-variant", "distinct_id")),
    }
    out["shutdown"] = attempt(lambda: ph.shutdown())
    return out


# ---- contexts -----------------------------------------------------------------------------


@scenario
def context_identify_and_tag(ph, srv):
    """Docs: with new_context(): identify_context(...); posthog.capture(...)."""
    posthog = client(ph, srv)
    out = {}
    with ph.new_context():
        ph.identify_context("distinct_id_of_the_user")
        ph.tag("transaction_id", "abc123")
        ph.tag("amount", 42)
        out["tags"] = attempt(ph.get_tags)
        out["signed_up"] = attempt(lambda: posthog.capture("user_signed_up"))
        out["logged_in"] = attempt(lambda: posthog.capture("user_logged_in", properties={"amount": 7}))
        out["explicit"] = attempt(lambda: posthog.capture("some-custom-action", distinct_id="other_user"))
    out["tags_after"] = attempt(ph.get_tags)
    out["outside"] = attempt(lambda: posthog.capture("outside_context"))
    out.update(close(posthog))
    return out


@scenario
def context_nested_and_fresh(ph, srv):
    posthog = client(ph, srv)
    out = {}
    with ph.new_context():
        ph.identify_context("outer-user")
        ph.tag("outer", 1)
        with ph.new_context():
            ph.tag("inner", 2)
            out["inner_tags"] = attempt(ph.get_tags)
            out["inner"] = attempt(lambda: posthog.capture("inner_event"))
        with ph.new_context(fresh=True):
            ph.tag("fresh", 3)
            out["fresh_tags"] = attempt(ph.get_tags)
            out["fresh"] = attempt(lambda: posthog.capture("fresh_event"))
        out["outer"] = attempt(lambda: posthog.capture("outer_event"))
    out.update(close(posthog))
    return out


@scenario
def context_session_id(ph, srv):
    posthog = client(ph, srv)
    out = {}
    with ph.new_context():
        ph.identify_context("user-s")
        ph.set_context_session("session-123")
        out["capture"] = attempt(lambda: posthog.capture("in_session"))
        out["own_session"] = attempt(lambda: posthog.capture("own_session", properties={"$session_id": "mine"}))
    out.update(close(posthog))
    return out


@scenario
def context_client_methods(ph, srv):
    """The same through the client's methods: posthog.new_context(), posthog.tag(...)."""
    posthog = client(ph, srv)
    out = {}
    with posthog.new_context():
        posthog.identify_context("client-ctx-user")
        posthog.tag("via", "client")
        out["tags"] = attempt(posthog.get_tags)
        out["capture"] = attempt(lambda: posthog.capture("client_ctx_event"))
    out.update(close(posthog))
    return out


@scenario
def scoped_sync(ph, srv):
    """@posthog.scoped() on a plain function."""
    posthog = client(ph, srv)

    @ph.scoped()
    def process_order(order_id):
        ph.identify_context("scoped-user")
        ph.tag("order_id", order_id)
        posthog.capture("order_processed")
        return "done"

    out = {"call": attempt(lambda: process_order("o-1")), "tags_after": attempt(ph.get_tags)}
    out.update(close(posthog))
    return out


@scenario
def scoped_async(ph, srv):
    """@posthog.scoped() on an `async def` (the docs' FastAPI middleware pattern)."""
    posthog = client(ph, srv)

    @ph.scoped()
    async def handle_request(path):
        ph.identify_context("async-user")
        ph.tag("path", path)
        await asyncio.sleep(0)
        posthog.capture("request_handled")
        return "ok"

    async def main():
        # two concurrent requests: each task sees its own context
        return await asyncio.gather(handle_request("/a"), handle_request("/b"))

    out = {"call": attempt(lambda: asyncio.run(main())), "tags_after": attempt(ph.get_tags)}
    out.update(close(posthog))
    return out


@scenario
def context_exception_propagates(ph, srv):
    """An exception inside new_context() (default capture_exceptions) propagates."""
    posthog = client(ph, srv)

    def body():
        with ph.new_context():
            ph.identify_context("exc-user")
            posthog.capture("before_error")
            raise ValueError("boom")

    out = {"call": attempt(body)}
    out.update(close(posthog))
    return out


# ---- super properties ---------------------------------------------------------------------


@scenario
def super_properties_basic(ph, srv):
    posthog = client(ph, srv, super_properties={"app": "web", "environment": "production"})
    out = {
        "capture": attempt(lambda: posthog.capture("with_super", distinct_id="u", properties={"x": 1})),
        "set": attempt(lambda: posthog.set(distinct_id="u", properties={"plan": "pro"})),
    }
    out.update(close(posthog))
    return out


@scenario
def super_properties_precedence(ph, srv):
    """A super property and an event property of the same name: which one arrives?"""
    posthog = client(ph, srv, super_properties={"environment": "production", "app": "web"})
    out = {
        "capture": attempt(
            lambda: posthog.capture("clash", distinct_id="u", properties={"environment": "staging"})
        )
    }
    out.update(close(posthog))
    return out


# ---- before_send --------------------------------------------------------------------------


@scenario
def before_send_rewrite(ph, srv):
    def before_send(event):
        event["properties"]["added_by_hook"] = True
        if event["event"] == "old_name":
            event["event"] = "new_name"
        return event

    posthog = client(ph, srv, before_send=before_send)
    out = {
        "renamed": attempt(lambda: posthog.capture("old_name", distinct_id="u")),
        "kept": attempt(lambda: posthog.capture("other", distinct_id="u", properties={"a": 1})),
    }
    out.update(close(posthog))
    return out


@scenario
def before_send_sees(ph, srv):
    """What before_send is given: the keys of the message and of its properties."""
    seen: List[Dict[str, Any]] = []

    def before_send(event):
        seen.append(
            {
                "keys": sorted(event.keys()),
                "event": event.get("event"),
                "distinct_id": event.get("distinct_id"),
                "property_keys": sorted((event.get("properties") or {}).keys()),
                "timestamp_type": type(event.get("timestamp")).__name__,
                "uuid_type": type(event.get("uuid")).__name__,
            }
        )
        return event

    posthog = client(ph, srv, before_send=before_send)
    posthog.capture("seen_capture", distinct_id="u", properties={"p": 1})
    posthog.set(distinct_id="u", properties={"email": "x@y.z"})
    out = {"seen": seen}
    out.update(close(posthog))
    return out


@scenario
def before_send_drop(ph, srv):
    def before_send(event):
        if event["event"] == "health_check":
            return None
        return event

    posthog = client(ph, srv, before_send=before_send)
    out = {
        "dropped": attempt(lambda: posthog.capture("health_check", distinct_id="u")),
        "kept": attempt(lambda: posthog.capture("real_event", distinct_id="u")),
    }
    out.update(close(posthog))
    return out


@scenario
def before_send_raises(ph, srv):
    def before_send(event):
        if event["event"] == "explode":
            raise RuntimeError("hook failed")
        return event

    posthog = client(ph, srv, before_send=before_send)
    out = {
        "raising": attempt(lambda: posthog.capture("explode", distinct_id="u")),
        "normal": attempt(lambda: posthog.capture("fine", distinct_id="u")),
    }
    out.update(close(posthog))
    return out


@scenario
def before_send_scrub_set_email(ph, srv):
    """A privacy scrubber (PostHog's redaction tutorial style): drop `$set.email`."""

    def scrub(event):
        for key in ("$set", "$set_once"):
            if isinstance(event.get(key), dict):
                event[key].pop("email", None)
        return event

    posthog = client(ph, srv, before_send=scrub)
    out = {
        "set": attempt(lambda: posthog.set(distinct_id="u", properties={"email": "secret@example.com", "name": "Ada"})),
        "set_once": attempt(
            lambda: posthog.set_once(distinct_id="u", properties={"email": "secret@example.com", "first": "x"})
        ),
    }
    out.update(close(posthog))
    return out


# ---- disabled / send=False ----------------------------------------------------------------


@scenario
def disabled_capture(ph, srv):
    posthog = client(ph, srv, disabled=True)
    out = {
        "capture": attempt(lambda: posthog.capture("nope", distinct_id="u")),
        "set": attempt(lambda: posthog.set(distinct_id="u", properties={"a": 1})),
        "alias": attempt(lambda: posthog.alias("a", "b")),
        "group_identify": attempt(lambda: posthog.group_identify("company", "acme", {"a": 1})),
        "flush": attempt(lambda: posthog.flush()),
        "disabled_attr": getattr(posthog, "disabled", None),
    }
    out.update(close(posthog))
    return out


@scenario
def disabled_flags(ph, srv):
    srv.flag_overrides(OVERRIDES)
    posthog = client(ph, srv, disabled=True)
    out = {
        "get_feature_flag": attempt(lambda: posthog.get_feature_flag("beta-feature", "u")),
        "feature_enabled": attempt(lambda: posthog.feature_enabled("beta-feature", "u")),
        "payload": attempt(lambda: posthog.get_feature_flag_payload("checkout-variant", "u")),
        "all": attempt(lambda: posthog.get_all_flags("u")),
        "all_and_payloads": attempt(lambda: posthog.get_all_flags_and_payloads("u")),
    }
    out.update(close(posthog))
    return out


@scenario
def send_false(ph, srv):
    """send=False: "queueing succeeds but events are not sent"."""
    posthog = client(ph, srv, send=False)
    out = {"capture": attempt(lambda: posthog.capture("unsent", distinct_id="u"))}
    out.update(close(posthog))
    return out


# ---- feature flags through /flags ---------------------------------------------------------


@scenario
def flags_get_feature_flag(ph, srv):
    srv.flag_overrides(OVERRIDES)
    posthog = client(ph, srv)
    out = {
        "bool": attempt(lambda: posthog.get_feature_flag("beta-feature", "user-1")),
        "false": attempt(lambda: posthog.get_feature_flag("disabled-feature", "user-1")),
        "variant": attempt(lambda: posthog.get_feature_flag("checkout-variant", "user-1")),
        "unknown": attempt(lambda: posthog.get_feature_flag("no-such-flag", "user-1")),
    }
    out.update(close(posthog))
    return out


@scenario
def flags_feature_enabled(ph, srv):
    srv.flag_overrides(OVERRIDES)
    posthog = client(ph, srv)
    out = {
        "true": attempt(lambda: posthog.feature_enabled("beta-feature", "user-2")),
        "false": attempt(lambda: posthog.feature_enabled("disabled-feature", "user-2")),
        "variant": attempt(lambda: posthog.feature_enabled("checkout-variant", "user-2")),
        "unknown": attempt(lambda: posthog.feature_enabled("no-such-flag", "user-2")),
        "no_events": attempt(lambda: posthog.feature_enabled("beta-feature", "user-3", send_feature_flag_events=False)),
    }
    out.update(close(posthog))
    return out


@scenario
def flags_payload(ph, srv):
    srv.flag_overrides(OVERRIDES)
    posthog = client(ph, srv)
    out = {
        "object": attempt(lambda: posthog.get_feature_flag_payload("checkout-variant", "user-1")),
        "list": attempt(lambda: posthog.get_feature_flag_payload("bool-payload", "user-1")),
        "none": attempt(lambda: posthog.get_feature_flag_payload("beta-feature", "user-1")),
        "unknown": attempt(lambda: posthog.get_feature_flag_payload("no-such-flag", "user-1")),
        "match_value": attempt(
            lambda: posthog.get_feature_flag_payload("checkout-variant", "user-1", match_value="variant-b")
        ),
    }
    out.update(close(posthog))
    return out


@scenario
def flags_get_all(ph, srv):
    srv.flag_overrides(OVERRIDES)
    posthog = client(ph, srv)
    out = {
        "all_keys_filter": attempt(
            lambda: posthog.get_all_flags("user-1", flag_keys_to_evaluate=["beta-feature", "checkout-variant", "rollout-100-pct"])
        ),
        "all_and_payloads_filter": attempt(
            lambda: posthog.get_all_flags_and_payloads(
                "user-1", flag_keys_to_evaluate=["beta-feature", "checkout-variant", "bool-payload"]
            )
        ),
    }
    full = attempt(lambda: posthog.get_all_flags("user-1"))
    out["all_count"] = len(full["value"]) if isinstance(full.get("value"), dict) else full
    out["all_sample"] = (
        {k: full["value"].get(k) for k in ("beta-feature", "rollout-000-pct", "rollout-100-pct", "old-killswitch")}
        if isinstance(full.get("value"), dict)
        else None
    )
    out.update(close(posthog))
    return out


@scenario
def flags_person_properties(ph, srv):
    """Remote evaluation with person_properties (the server evaluates the definitions)."""
    posthog = client(ph, srv)
    out = {
        "us": attempt(lambda: posthog.get_feature_flag("us-or-ca", "user-p", person_properties={"country": "US"})),
        "de": attempt(lambda: posthog.get_feature_flag("us-or-ca", "user-p", person_properties={"country": "DE"})),
        "internal": attempt(
            lambda: posthog.feature_enabled("internal-users", "user-p", person_properties={"email": "max@posthog.com"})
        ),
    }
    out.update(close(posthog))
    return out


@scenario
def flags_groups(ph, srv):
    """Group flags with groups and group_properties (example.py)."""
    posthog = client(ph, srv)
    out = {
        "big": attempt(
            lambda: posthog.get_feature_flag(
                "company-big",
                "user-g",
                groups={"company": "acme"},
                group_properties={"company": {"employees": 5000}},
            )
        ),
        "small": attempt(
            lambda: posthog.get_feature_flag(
                "company-big",
                "user-g",
                groups={"company": "tiny"},
                group_properties={"company": {"employees": 3}},
            )
        ),
        "no_group": attempt(lambda: posthog.get_feature_flag("company-big", "user-g")),
    }
    out.update(close(posthog))
    return out


@scenario
def flags_called_dedup(ph, srv):
    """$feature_flag_called once per (distinct id, flag, value)."""
    srv.flag_overrides(OVERRIDES)
    posthog = client(ph, srv)
    out = {
        "calls": [
            attempt(lambda: posthog.get_feature_flag("beta-feature", "user-d")),
            attempt(lambda: posthog.get_feature_flag("beta-feature", "user-d")),
            attempt(lambda: posthog.feature_enabled("beta-feature", "user-d")),
            attempt(lambda: posthog.get_feature_flag("beta-feature", "user-e")),
        ]
    }
    out.update(close(posthog))
    return out


@scenario
def flags_server_500(ph, srv):
    """/flags answers 500: what the getters return and what $feature_flag_called says."""
    srv.faults([{"route": "flags", "status": 500, "body": "oops"}] * 4)
    errors = ErrorRecorder()
    posthog = client(ph, srv, on_error=errors)
    out = {
        "get_feature_flag": attempt(lambda: posthog.get_feature_flag("beta-feature", "user-x")),
        "feature_enabled": attempt(lambda: posthog.feature_enabled("other-flag", "user-x")),
    }
    out.update(close(posthog))
    out["on_error"] = errors.summary()
    return out


@scenario
def flags_quota_limited(ph, srv):
    srv.flag_overrides(OVERRIDES)
    srv.quota_limited(True)
    posthog = client(ph, srv)
    out = {
        "get_feature_flag": attempt(lambda: posthog.get_feature_flag("beta-feature", "user-q")),
        "all": attempt(lambda: posthog.get_all_flags("user-q")),
    }
    out.update(close(posthog))
    return out


@scenario
def flags_timeout(ph, srv):
    """/flags slower than feature_flags_request_timeout_seconds."""
    srv.flag_overrides(OVERRIDES)
    srv.faults([{"route": "flags", "latency_ms": 1500}] * 3)
    posthog = client(ph, srv, feature_flags_request_timeout_seconds=0.3)
    out = {"get_feature_flag": attempt(lambda: posthog.get_feature_flag("beta-feature", "user-t"))}
    out.update(close(posthog))
    return out


@scenario
def flags_get_feature_flag_result(ph, srv):
    srv.flag_overrides(OVERRIDES)
    posthog = client(ph, srv)

    def result(key):
        r = posthog.get_feature_flag_result(key, "user-r")
        if r is None:
            return None
        return {
            "key": getattr(r, "key", None),
            "enabled": getattr(r, "enabled", None),
            "variant": getattr(r, "variant", None),
            "payload": jsonable(getattr(r, "payload", None)),
            "get_value": jsonable(r.get_value()) if hasattr(r, "get_value") else None,
        }

    out = {
        "variant": attempt(lambda: result("checkout-variant")),
        "bool": attempt(lambda: result("beta-feature")),
        "unknown": attempt(lambda: result("no-such-flag")),
    }
    out.update(close(posthog))
    return out


@scenario
def capture_send_feature_flags(ph, srv):
    """example.py: posthog.capture(..., send_feature_flags=True)."""
    srv.flag_overrides(OVERRIDES)
    posthog = client(ph, srv)
    out = {
        "capture": attempt(
            lambda: posthog.capture("event", distinct_id="distinct_id", properties={"property1": "value"}, send_feature_flags=True)
        )
    }
    out.update(close(posthog))
    return out


@scenario
def evaluate_flags_then_capture(ph, srv):
    """The 7.x way: flags = posthog.evaluate_flags(...); capture(..., flags=flags)."""
    srv.flag_overrides(OVERRIDES)
    posthog = client(ph, srv)
    out = {}
    try:
        flags = posthog.evaluate_flags("user-ev", flag_keys=["beta-feature", "checkout-variant", "disabled-feature"])
        out["is_enabled"] = attempt(lambda: flags.is_enabled("beta-feature"))
        out["get_flag"] = attempt(lambda: flags.get_flag("checkout-variant"))
        out["payload"] = attempt(lambda: flags.get_flag_payload("checkout-variant"))
        out["keys"] = attempt(lambda: sorted(flags.keys))
        out["capture"] = attempt(lambda: posthog.capture("purchase", distinct_id="user-ev", flags=flags))
    except BaseException as e:  # noqa: BLE001
        out["evaluate"] = {"raised": neutral_exc(e)}
    out.update(close(posthog))
    return out


# ---- local evaluation ---------------------------------------------------------------------


@scenario
def local_eval_basic(ph, srv):
    """personal_api_key: definitions are polled and flags decided locally."""
    posthog = client(ph, srv, personal_api_key=PERSONAL_KEY)
    out = {
        "rollout_100": attempt(lambda: posthog.get_feature_flag("rollout-100-pct", "user-l")),
        "rollout_0": attempt(lambda: posthog.get_feature_flag("rollout-000-pct", "user-l")),
        "inactive": attempt(lambda: posthog.feature_enabled("old-killswitch", "user-l")),
        "variant": attempt(lambda: posthog.get_feature_flag("exp-checkout-flow", "user-l")),
        "payload": attempt(lambda: posthog.get_feature_flag_payload("exp-checkout-flow", "user-l")),
    }
    out.update(close(posthog))
    return out


@scenario
def local_eval_person_properties(ph, srv):
    posthog = client(ph, srv, personal_api_key=PERSONAL_KEY)
    out = {
        "us": attempt(lambda: posthog.get_feature_flag("us-or-ca", "user-lp", person_properties={"country": "US"})),
        "de": attempt(lambda: posthog.get_feature_flag("us-or-ca", "user-lp", person_properties={"country": "DE"})),
        "adult": attempt(lambda: posthog.feature_enabled("adults", "user-lp", person_properties={"age": 30})),
        "group": attempt(
            lambda: posthog.get_feature_flag(
                "company-big", "user-lp", groups={"company": "acme"}, group_properties={"company": {"employees": 5000}}
            )
        ),
    }
    out.update(close(posthog))
    return out


@scenario
def local_eval_only_locally(ph, srv):
    """A flag local evaluation cannot decide (missing property) with only_evaluate_locally."""
    posthog = client(ph, srv, personal_api_key=PERSONAL_KEY)
    out = {
        "undecidable": attempt(lambda: posthog.get_feature_flag("us-or-ca", "user-lo", only_evaluate_locally=True)),
        "decidable": attempt(lambda: posthog.get_feature_flag("rollout-100-pct", "user-lo", only_evaluate_locally=True)),
        "unknown": attempt(lambda: posthog.get_feature_flag("no-such-flag", "user-lo", only_evaluate_locally=True)),
    }
    out.update(close(posthog))
    return out


@scenario
def local_eval_fallback_remote(ph, srv):
    """Missing person property without only_evaluate_locally: falls back to /flags."""
    srv.flag_overrides({"us-or-ca": {"value": True}})
    posthog = client(ph, srv, personal_api_key=PERSONAL_KEY)
    out = {"value": attempt(lambda: posthog.get_feature_flag("us-or-ca", "user-fb"))}
    out.update(close(posthog))
    return out


@scenario
def local_eval_get_all_flags(ph, srv):
    posthog = client(ph, srv, personal_api_key=PERSONAL_KEY)
    props = {"country": "US", "email": "max@posthog.com", "age": 30, "plan": "pro"}
    flags = attempt(
        lambda: posthog.get_all_flags(
            "user-la",
            person_properties=props,
            only_evaluate_locally=True,
            flag_keys_to_evaluate=["rollout-100-pct", "rollout-000-pct", "us-or-ca", "internal-users", "adults", "old-killswitch"],
        )
    )
    out = {"flags": flags}
    out.update(close(posthog))
    return out


@scenario
def local_eval_secret_key_and_load(ph, srv):
    """secret_key= (a flags secure key) and an explicit load_feature_flags()."""
    posthog = client(ph, srv, secret_key=SECURE_KEY)
    out = {
        "load": attempt(posthog.load_feature_flags),
        "value": attempt(lambda: posthog.get_feature_flag("rollout-100-pct", "user-sk")),
    }
    out.update(close(posthog))
    return out


# ---- server errors on /batch ---------------------------------------------------------------


def _batch_error(ph, srv, status, max_retries, faults=1):
    srv.faults([{"status": status, "body": "error"}] * faults)
    errors = ErrorRecorder()
    posthog = client(ph, srv, on_error=errors, max_retries=max_retries)
    out = {"capture": attempt(lambda: posthog.capture("err_event", distinct_id="u"))}
    out["flush"] = attempt(lambda: posthog.flush())
    out.update(close(posthog))
    out["on_error"] = errors.summary()
    return out


@scenario
def batch_400(ph, srv):
    return _batch_error(ph, srv, 400, max_retries=1)


@scenario
def batch_401(ph, srv):
    return _batch_error(ph, srv, 401, max_retries=1)


@scenario
def batch_500_then_ok(ph, srv):
    """One 500, one retry allowed: delivered on the retry."""
    return _batch_error(ph, srv, 500, max_retries=1)


@scenario
def batch_503_no_retries(ph, srv):
    return _batch_error(ph, srv, 503, max_retries=0)


# ---- flush / shutdown / lifecycle ----------------------------------------------------------


@scenario
def flush_delivers_before_return(ph, srv):
    posthog = client(ph, srv)
    for i in range(3):
        posthog.capture("flushed", distinct_id=f"u{i}")
    out = {"flush": attempt(lambda: posthog.flush())}
    out["events_after_flush"] = len(srv.events())
    out["flush_empty"] = attempt(lambda: posthog.flush())
    out.update(close(posthog))
    return out


@scenario
def shutdown_then_capture(ph, srv):
    posthog = client(ph, srv)
    posthog.capture("before_shutdown", distinct_id="u")
    out = {"shutdown": attempt(posthog.shutdown)}
    out["events_after_shutdown"] = len(srv.events())
    out["capture_after"] = attempt(lambda: posthog.capture("after_shutdown", distinct_id="u"))
    out["shutdown_again"] = attempt(posthog.shutdown)
    out["join"] = attempt(posthog.join)
    return out


@scenario
def exit_without_shutdown(ph, srv):
    """Capture and let the interpreter exit: the exit hook delivers."""
    posthog = client(ph, srv)
    return {"capture": attempt(lambda: posthog.capture("at_exit", distinct_id="u-exit"))}


@scenario
def flush_at_batching(ph, srv):
    """flush_at=2: a batch goes as soon as two events are queued."""
    posthog = client(ph, srv, flush_at=2)
    posthog.capture("b1", distinct_id="u")
    posthog.capture("b2", distinct_id="u")
    out = {"two_arrived": srv.wait(events=2, timeout_ms=5000)}
    out.update(close(posthog))
    return out


@scenario
def sync_mode(ph, srv):
    """sync_mode=True: the event is at the server when capture returns."""
    posthog = client(ph, srv, sync_mode=True)
    out = {"capture": attempt(lambda: posthog.capture("sync_event", distinct_id="u"))}
    out["events_after_capture"] = len(srv.events())
    out.update(close(posthog))
    return out


@scenario
def historical_migration_and_gzip(ph, srv):
    posthog = client(ph, srv, historical_migration=True, gzip=True)
    out = {
        "capture": attempt(
            lambda: posthog.capture("imported", distinct_id="u", timestamp=dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc))
        )
    }
    out.update(close(posthog))
    return out


@scenario
def debug_logging(ph, srv):
    """debug=True: the `posthog` logger's configuration, and what it logs for a capture."""
    logger = logging.getLogger("posthog")
    before = logger.level
    posthog = client(ph, srv, debug=True)
    records: List[logging.LogRecord] = []

    class ListHandler(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = ListHandler(level=logging.DEBUG)
    logger.addHandler(handler)
    posthog.capture("debug_event", distinct_id="u")
    posthog.flush()
    out = {
        "level_before": logging.getLevelName(before),
        "level": logging.getLevelName(logger.level),
        "effective": logging.getLevelName(logger.getEffectiveLevel()),
        "root_has_handler": bool(logging.getLogger().handlers),
        "debug_records": any(r.levelno == logging.DEBUG for r in records),
        "debug_attr": getattr(posthog, "debug", None),
    }
    logger.removeHandler(handler)
    out.update(close(posthog))
    plain = client(ph, srv)
    out["level_non_debug_client"] = logging.getLevelName(logger.level)
    out["plain"] = close(plain)
    return out


@scenario
def debug_raises_errors(ph, srv):
    """debug=True: "re-raise errors from public API methods" (e.g. a bad send_feature_flags)."""
    posthog = client(ph, srv, debug=True)
    quiet = client(ph, srv)
    out = {
        "debug": attempt(lambda: posthog.capture("e", distinct_id="u", send_feature_flags="yes")),
        "quiet": attempt(lambda: quiet.capture("e", distinct_id="u", send_feature_flags="yes")),
    }
    out["a"] = close(posthog)
    out["b"] = close(quiet)
    return out


# Error tracking (issue #12): registers its scenarios into SCENARIOS.
import scenarios_exceptions  # noqa: E402,F401
# Remote config, get_flags_decision, the definitions cache provider (issue #12).
import scenarios_flags_shared  # noqa: E402,F401
# LLM analytics: the OpenAI / Anthropic wrappers (issue #12).
import scenarios_ai  # noqa: E402,F401
