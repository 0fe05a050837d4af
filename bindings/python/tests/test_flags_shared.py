"""Remote config payloads, get_flags_decision and the flag-definitions cache provider (#12)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

from conftest import API_KEY, SECURE_KEY, TestServer
from posthog_sdk import Posthog
from posthog_sdk.flag_definition_cache import FlagDefinitionCacheProvider
from posthog_sdk.flags import FeatureFlag, FileFlagDefinitionCache, FlagMetadata, FlagReason

DEFINITIONS: Dict[str, Any] = {
    "flags": [
        {"id": 1, "key": "on", "active": True,
         "filters": {"groups": [{"properties": [], "rollout_percentage": 100}],
                     "payloads": {"true": "{\"a\": 1}"}}},
        {"id": 2, "key": "rc", "active": True, "is_remote_configuration": True,
         "filters": {"groups": [{"properties": [], "rollout_percentage": 100}],
                     "payloads": {"true": "{\"color\": \"blue\"}"}}},
    ],
    "group_type_mapping": {},
    "cohorts": {},
}


def definitions_fetches(server: TestServer) -> int:
    return sum(1 for r in server.requests() if r["path"].startswith("/flags/definitions"))


def make(server: TestServer, **options: Any) -> Posthog:
    return Posthog(API_KEY, host=server.url, flush_at=1000, flush_interval=3600, **options)


def test_remote_config_payload_is_the_json_text(server: TestServer) -> None:
    server.flag_definitions(DEFINITIONS)
    ph = make(server, personal_api_key=SECURE_KEY, enable_local_evaluation=False)
    try:
        # posthog-python returns the answer's JSON: the payload's text.
        assert ph.get_remote_config_payload("rc") == '{"color": "blue"}'
        assert ph.get_remote_config_payload("on") is None  # not a remote-config flag: 404
        (req,) = [r for r in server.requests() if r["path"].endswith("/remote_config")][:1]
        assert req["path"] == "/api/projects/@current/feature_flags/rc/remote_config"
        assert req["query"] == f"token={API_KEY}"
        assert req["headers"]["authorization"] == f"Bearer {SECURE_KEY}"
        assert definitions_fetches(server) == 0
    finally:
        ph.shutdown()


def test_remote_config_without_a_secret_key_or_disabled(server: TestServer) -> None:
    for ph in (make(server), make(server, personal_api_key=SECURE_KEY, disabled=True)):
        assert ph.get_remote_config_payload("rc") is None
        ph.shutdown()
    assert not [r for r in server.requests() if r["path"].endswith("/remote_config")]


def test_remote_config_scope_is_required(server: TestServer) -> None:
    server.flag_definitions(DEFINITIONS)
    key = server.personal_key(["insight:read"])
    ph = make(server, personal_api_key=key, enable_local_evaluation=False)
    assert ph.get_remote_config_payload("rc") is None
    ph.shutdown()
    statuses = [r["status"] for r in server.requests() if r["path"].endswith("/remote_config")]
    assert statuses == [403]


def test_get_flags_decision_shape(server: TestServer) -> None:
    server.flag_definitions(DEFINITIONS)
    ph = make(server, personal_api_key=SECURE_KEY)
    try:
        d = ph.get_flags_decision("u1", flag_keys_to_evaluate=["on"])
        flag = d["flags"]["on"]
        assert isinstance(flag, FeatureFlag)
        assert (flag.key, flag.enabled, flag.variant) == ("on", True, None)
        assert flag.get_value() is True
        assert isinstance(flag.reason, FlagReason) and flag.reason.code == "condition_match"
        assert isinstance(flag.metadata, FlagMetadata)
        assert json.loads(flag.metadata.payload or "") == {"a": 1} and flag.metadata.id == 1
        assert "requestId" in d and "errorsWhileComputingFlags" in d
        remote = [r for r in server.requests() if r["path"] == "/flags/"]
        assert len(remote) == 1, "always one /flags request, even with local definitions"
        assert json.loads(remote[0]["body"])["flag_keys_to_evaluate"] == ["on"]
        server.quota_limited(True)
        assert ph.get_flags_decision("u1") == {"flags": {}, "requestId": None}
    finally:
        ph.shutdown()


def test_two_clients_sharing_a_file_cache_fetch_once(server: TestServer, tmp_path: Path) -> None:
    server.flag_definitions(DEFINITIONS)
    path = tmp_path / "flags.json"
    a = make(server, personal_api_key=SECURE_KEY,
             flag_definition_cache_provider=FileFlagDefinitionCache(path))
    assert a.get_feature_flag("on", "u1") is True
    assert definitions_fetches(server) == 1
    stored = json.loads(path.read_text())
    assert [f["key"] for f in stored["flags"]] == ["on", "rc"]
    b = make(server, personal_api_key=SECURE_KEY,
             flag_definition_cache_provider=FileFlagDefinitionCache(path))
    assert b.get_feature_flag("on", "u2") is True
    b.load_feature_flags()
    assert definitions_fetches(server) == 1, "the second client read the shared file"
    assert not [r for r in server.requests() if r["path"] == "/flags/"]
    a.shutdown()
    b.shutdown()


def test_a_second_process_reads_the_file(server: TestServer, tmp_path: Path) -> None:
    server.flag_definitions(DEFINITIONS)
    path = tmp_path / "flags.json"
    a = make(server, personal_api_key=SECURE_KEY,
             flag_definition_cache_provider=FileFlagDefinitionCache(path))
    assert a.get_feature_flag("on", "u1") is True
    script = (
        "import sys\n"
        "from posthog_sdk import Posthog\n"
        "from posthog_sdk.flags import FileFlagDefinitionCache\n"
        f"ph = Posthog({API_KEY!r}, host={server.url!r}, personal_api_key={SECURE_KEY!r},\n"
        f"    flag_definition_cache_provider=FileFlagDefinitionCache({str(path)!r}))\n"
        "print(ph.get_feature_flag('on', 'u9', only_evaluate_locally=True))\n"
        "ph.shutdown()\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.strip() == "True"
    assert definitions_fetches(server) == 1
    a.shutdown()


class Recording:
    """A provider after posthog-python's protocol, with async methods."""

    def __init__(self, should_fetch: bool, cached: Optional[Dict[str, Any]] = None) -> None:
        self.should_fetch = should_fetch
        self.cached = cached
        self.calls: List[str] = []
        self.stored: Optional[Dict[str, Any]] = None

    async def get_flag_definitions(self) -> Optional[Dict[str, Any]]:
        await asyncio.sleep(0)
        self.calls.append("get")
        return self.cached

    async def should_fetch_flag_definitions(self) -> bool:
        self.calls.append("should_fetch")
        return self.should_fetch

    def on_flag_definitions_received(self, data: Dict[str, Any]) -> None:
        self.calls.append("received")
        self.stored = data

    def shutdown(self) -> None:
        self.calls.append("shutdown")


def test_a_custom_provider_follows_the_protocol(server: TestServer) -> None:
    server.flag_definitions(DEFINITIONS)
    p = Recording(should_fetch=True)
    assert isinstance(p, FlagDefinitionCacheProvider)
    ph = make(server, personal_api_key=SECURE_KEY, flag_definition_cache_provider=p)
    assert ph.get_feature_flag("on", "u1") is True
    ph.shutdown()
    assert p.calls == ["should_fetch", "received", "shutdown"]
    assert p.stored is not None
    assert sorted(p.stored) == ["cohorts", "flags", "group_type_mapping",
                                "minimal_flag_called_events", "property_matching_version"]

    cached = {"flags": [{"id": 7, "key": "from-cache", "active": True, "filters": {
        "groups": [{"properties": [], "rollout_percentage": 100}]}}],
        "group_type_mapping": {}, "cohorts": {}}
    p = Recording(should_fetch=False, cached=cached)
    ph = make(server, personal_api_key=SECURE_KEY, flag_definition_cache_provider=p)
    assert ph.get_feature_flag("from-cache", "u1") is True
    ph.shutdown()
    assert p.calls == ["should_fetch", "get", "shutdown"]
    assert definitions_fetches(server) == 1


def test_a_provider_that_raises_never_breaks_evaluation(server: TestServer) -> None:
    server.flag_definitions(DEFINITIONS)

    class Broken:
        def get_flag_definitions(self) -> Any:
            raise RuntimeError("redis is down")

        def should_fetch_flag_definitions(self) -> bool:
            raise RuntimeError("redis is down")

        def on_flag_definitions_received(self, data: Any) -> None:
            raise RuntimeError("redis is down")

        def shutdown(self) -> None:
            raise RuntimeError("redis is down")

    ph = make(server, personal_api_key=SECURE_KEY, flag_definition_cache_provider=Broken())
    assert ph.get_feature_flag("on", "u1") is True
    ph.shutdown()
    assert definitions_fetches(server) == 1


def test_a_provider_must_have_the_methods(server: TestServer) -> None:
    with pytest.raises(Exception, match="flag_definition_cache_provider must have"):
        make(server, personal_api_key=SECURE_KEY, flag_definition_cache_provider=object())


def test_file_cache_methods_directly(tmp_path: Path) -> None:
    a = FileFlagDefinitionCache(tmp_path / "d.json", lease_seconds=60)
    b = FileFlagDefinitionCache(tmp_path / "d.json", lease_seconds=60)
    assert a.get_flag_definitions() is None
    assert a.should_fetch_flag_definitions() is True
    assert b.should_fetch_flag_definitions() is False
    a.on_flag_definitions_received({"flags": [], "group_type_mapping": {}, "cohorts": {}})
    assert b.get_flag_definitions() == {"flags": [], "group_type_mapping": {}, "cohorts": {}}
    a.shutdown()
    assert b.should_fetch_flag_definitions() is True
    assert a.path == tmp_path / "d.json"
    assert isinstance(a, FlagDefinitionCacheProvider)


def test_module_level_provider(server: TestServer, tmp_path: Path) -> None:
    import posthog_sdk

    server.flag_definitions(DEFINITIONS)
    saved = {k: getattr(posthog_sdk, k) for k in
             ("api_key", "host", "personal_api_key", "flag_definition_cache_provider")}
    try:
        posthog_sdk.api_key = API_KEY
        posthog_sdk.host = server.url
        posthog_sdk.personal_api_key = SECURE_KEY
        posthog_sdk.flag_definition_cache_provider = FileFlagDefinitionCache(tmp_path / "m.json")
        assert posthog_sdk.get_feature_flag("on", "u1") is True
        assert (tmp_path / "m.json").exists()
    finally:
        posthog_sdk.shutdown()
        posthog_sdk.default_client = None
        for k, v in saved.items():
            setattr(posthog_sdk, k, v)
