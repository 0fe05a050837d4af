"""Flag scenarios of issue #12: remote config payloads, `get_flags_decision` and a shared
flag-definitions cache provider, run with `posthog` 7.91.1 and with `posthog_sdk` against the
same test server. Registered into `scenarios.SCENARIOS`."""

from __future__ import annotations

import dataclasses
import threading
from typing import Any, Dict, List, Optional

from scenarios import attempt, client, close, jsonable, scenario

SECURE = "phs_testsecurekey"

DEFINITIONS = {
    "flags": [
        {"id": 1, "key": "on", "active": True, "filters": {
            "groups": [{"properties": [], "rollout_percentage": 100}],
            "payloads": {"true": "{\"a\": 1}"}}},
        {"id": 2, "key": "rc", "active": True, "is_remote_configuration": True, "filters": {
            "groups": [{"properties": [], "rollout_percentage": 100}],
            "payloads": {"true": "{\"color\": \"blue\", \"n\": 2}"}}},
        {"id": 3, "key": "rc-empty", "active": True, "is_remote_configuration": True,
         "filters": {"groups": []}},
        {"id": 4, "key": "half", "active": True, "filters": {
            "groups": [{"properties": [{"key": "plan", "value": "pro", "type": "person"}],
                        "rollout_percentage": 100}]}},
    ],
    "group_type_mapping": {},
    "cohorts": {},
}


def _record(v: Any) -> Any:
    """A dataclass (FeatureFlag, FlagReason, FlagMetadata) as its public fields."""
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return {f.name: _record(getattr(v, f.name)) for f in dataclasses.fields(v)}
    if isinstance(v, dict):
        return {str(k): _record(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_record(x) for x in v]
    return jsonable(v)


def _paths(srv, suffix: str) -> List[str]:
    return [r["path"] for r in srv.requests() if r["path"].endswith(suffix)]


@scenario
def remote_config_payloads(ph, srv):
    """Docs (remote config): `posthog.get_remote_config_payload("key")` with the secret key."""
    srv.flag_definitions(DEFINITIONS)
    # Remote config alone: posthog-python (and posthog-node) suggest turning local evaluation off.
    posthog = client(ph, srv, personal_api_key=SECURE, enable_local_evaluation=False)
    nokey = client(ph, srv)
    out = {
        "rc": attempt(lambda: posthog.get_remote_config_payload("rc")),
        "empty": attempt(lambda: posthog.get_remote_config_payload("rc-empty")),
        "not_remote_config": attempt(lambda: posthog.get_remote_config_payload("on")),
        "missing": attempt(lambda: posthog.get_remote_config_payload("no-such-flag")),
        "without_key": attempt(lambda: nokey.get_remote_config_payload("rc")),
    }
    out["remote_config_paths"] = sorted(_paths(srv, "/remote_config"))
    out["a"] = close(posthog)
    out["b"] = close(nokey)
    return out


@scenario
def flags_decision(ph, srv):
    """`get_flags_decision(distinct_id, …)`: the normalised /flags answer."""
    srv.flag_definitions(DEFINITIONS)
    posthog = client(ph, srv)
    out = {
        "all": attempt(lambda: _record(posthog.get_flags_decision("user-d"))),
        "some": attempt(lambda: _record(posthog.get_flags_decision(
            "user-d", person_properties={"plan": "pro"}, flag_keys_to_evaluate=["half", "on"]))),
    }
    srv.quota_limited(True)
    out["quota_limited"] = attempt(lambda: _record(posthog.get_flags_decision("user-d")))
    out.update(close(posthog))
    return out


class SharedDict:
    """A Redis stand-in shared by the clients of one process: the provider protocol of
    posthog-python's docs (a lock taken with SET NX semantics and kept for the interval, data stored on receipt)."""

    def __init__(self) -> None:
        self.data: Optional[Dict[str, Any]] = None
        self.lock_holder: Optional[str] = None
        self.calls: List[str] = []
        self.guard = threading.Lock()

    def provider(self, name: str) -> Any:
        shared = self

        class Provider:
            def get_flag_definitions(self) -> Any:
                with shared.guard:
                    shared.calls.append(f"{name}.get")
                    return shared.data

            def should_fetch_flag_definitions(self) -> bool:
                with shared.guard:
                    shared.calls.append(f"{name}.should_fetch")
                    if shared.lock_holder is None:
                        shared.lock_holder = name
                        return True
                    return False

            def on_flag_definitions_received(self, data: Dict[str, Any]) -> None:
                with shared.guard:
                    shared.calls.append(f"{name}.received")
                    shared.data = data  # the lock is kept: one fetch per interval

            def shutdown(self) -> None:
                with shared.guard:
                    shared.calls.append(f"{name}.shutdown")

        return Provider()


@scenario
def shared_definitions_cache_provider(ph, srv):
    """Docs (flag definition cache): two workers share one fetch through a provider."""
    srv.flag_definitions(DEFINITIONS)
    shared = SharedDict()
    a = client(ph, srv, personal_api_key=SECURE, flag_definition_cache_provider=shared.provider("a"))
    out = {"a_on": attempt(lambda: a.get_feature_flag("on", "u1", only_evaluate_locally=True))}
    b = client(ph, srv, personal_api_key=SECURE, flag_definition_cache_provider=shared.provider("b"))
    out["b_on"] = attempt(lambda: b.get_feature_flag("on", "u2", only_evaluate_locally=True))
    out["b_half"] = attempt(lambda: b.get_feature_flag(
        "half", "u2", person_properties={"plan": "pro"}, only_evaluate_locally=True))
    out["stored_keys"] = sorted((shared.data or {}).keys())
    out["stored_flags"] = [f.get("key") for f in (shared.data or {}).get("flags", [])]
    out["definition_fetches"] = len(_paths(srv, "/flags/definitions"))
    out["a"] = close(a)
    out["b"] = close(b)
    # Each client's first calls (the poll order is the same in both packages).
    out["first_calls"] = [c for c in shared.calls if c.endswith(("should_fetch", "received"))][:3]
    out["shutdowns"] = sorted(c for c in shared.calls if c.endswith("shutdown"))
    return out


@scenario
def capture_send_feature_flags_local(ph, srv):
    """capture(send_feature_flags=True | {...}) with local evaluation: the flags come from the
    definitions (no /flags request when they decide)."""
    srv.flag_definitions(DEFINITIONS)
    posthog = client(ph, srv, personal_api_key=SECURE)
    posthog.load_feature_flags()
    out = {
        "plain": attempt(lambda: posthog.capture("local flags", distinct_id="user-l",
                                                 send_feature_flags=True) is not None),
        "options": attempt(lambda: posthog.capture("local flags options", distinct_id="user-m",
                                                   send_feature_flags={
                                                       "only_evaluate_locally": True,
                                                       "person_properties": {"plan": "pro"},
                                                   }) is not None),
    }
    out.update(close(posthog))
    return out


@scenario
def feature_flag_result_local(ph, srv):
    """get_feature_flag_result with local evaluation (value, payload, reason)."""
    srv.flag_definitions(DEFINITIONS)
    posthog = client(ph, srv, personal_api_key=SECURE)
    posthog.load_feature_flags()

    def result(key, **kw):
        r = posthog.get_feature_flag_result(key, "user-r", **kw)
        return None if r is None else {"key": r.key, "enabled": r.enabled, "variant": r.variant,
                                       "payload": r.payload, "reason": r.reason,
                                       "value": r.get_value()}

    out = {
        "on": attempt(lambda: result("on")),
        "half_pro": attempt(lambda: result("half", person_properties={"plan": "pro"})),
        "half_local_only": attempt(lambda: result("half", only_evaluate_locally=True)),
        "missing": attempt(lambda: result("no-such-flag", only_evaluate_locally=True)),
    }
    out.update(close(posthog))
    return out
