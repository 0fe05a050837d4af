"""The key practices against the test server as PostHog answers: scopes and preflight, a key
provider re-read after a 401, key management in both PostHog generations, the activity log,
batch export runs by window, and fresh (uncached) queries."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import posthog_sdk
from posthog_sdk import AdminClient

from conftest import PERSONAL_KEY, TestServer


def test_required_scopes_name_the_least_privilege() -> None:
    assert AdminClient.required_scopes(["feature_flags.list", "feature_flags.activity", "export"]) == [
        "activity_log:read",
        "feature_flag:read",
        "query:read",
    ]
    ops = AdminClient.operations()
    assert ops["feature_flags.create"] == ["feature_flag:write"]
    assert ops["activity_log.list"] == ["activity_log:read"]
    with pytest.raises(posthog_sdk.InvalidInputError):
        AdminClient.required_scopes(["no.such.operation"])


def test_preflight_fails_early_naming_the_missing_scope(server: TestServer) -> None:
    key = server.personal_key(["feature_flag:read", "query:read"])
    with AdminClient(key, host=server.url) as a:
        ok = a.preflight(["feature_flags.list", "export"])
        assert sorted(ok["granted"]) == ["feature_flag:read", "query:read"]
        assert a.rate_budget("query") == (240, 2400)  # PostHog's published limits until a 429
        with pytest.raises(posthog_sdk.InvalidInputError):
            a.rate_budget("bulk")
        with pytest.raises(posthog_sdk.ForbiddenError) as info:
            a.preflight(["feature_flags.list", "feature_flags.activity"])
        assert info.value.scope == "activity_log:read"
        assert key not in str(info.value)
        # what the preflight foresaw is what PostHog refuses
        flag = next(iter(a.feature_flags.list()))
        with pytest.raises(posthog_sdk.ForbiddenError) as refused:
            list(a.feature_flags.activity(flag["id"]))
        assert refused.value.scope == "activity_log:read"


def test_a_key_provider_is_read_again_after_a_401(server: TestServer, tmp_path: Path) -> None:
    # A "secret manager": a file a rotation job rewrites.
    secret = tmp_path / "posthog-key"
    secret.write_text(PERSONAL_KEY)
    reads = []

    def provider() -> str:
        reads.append(1)
        return secret.read_text().strip()

    server.post("/_test/admin/personal_api_keys", {"version": "legacy"})
    with AdminClient(host=server.url, key_provider=provider) as a:
        assert len(reads) == 1, "asked once at start"
        assert a.me()["email"]
        # the rotation job rolls the key elsewhere and stores the new secret
        with AdminClient(PERSONAL_KEY, host=server.url) as job:
            rolled = job.roll_key(job.current_key()["id"])
        assert rolled["value"].startswith("phx_") and rolled["value"] != PERSONAL_KEY
        secret.write_text(rolled["value"])
        # the old key is refused now; the client re-reads the provider and goes on
        assert a.me()["email"]
        assert len(reads) == 2
        auths = [r["headers"].get("authorization") for r in server.requests() if r["path"] == "/api/users/@me/"]
        assert auths[-1] == "Bearer " + rolled["value"] and auths[-2] == "Bearer " + PERSONAL_KEY
        assert rolled["value"] not in repr(a)


def test_a_provider_that_keeps_the_old_key_surfaces_the_401(server: TestServer) -> None:
    server.post("/_test/admin/personal_api_keys", {"version": "legacy"})
    with AdminClient(host=server.url, key_provider=lambda: PERSONAL_KEY) as a:
        a.roll_key(a.current_key()["id"])
        with pytest.raises(posthog_sdk.UnauthorizedError):
            a.me()


def test_a_failing_provider_is_a_typed_error(server: TestServer) -> None:
    def provider() -> str:
        raise RuntimeError("vault unreachable")

    with pytest.raises(posthog_sdk.InvalidKeyError) as info:
        AdminClient(host=server.url, key_provider=provider)
    # the exception's type, not its text (which might quote a secret)
    assert "RuntimeError" in str(info.value) and "vault" not in str(info.value)
    with pytest.raises(posthog_sdk.ConfigError):
        AdminClient(host=server.url, key_provider="phx_not_callable")  # type: ignore[arg-type]


def test_key_management_on_older_posthog(server: TestServer) -> None:
    server.post("/_test/admin/personal_api_keys", {"version": "legacy"})
    with AdminClient(PERSONAL_KEY, host=server.url) as a:
        made = a.create_key("nightly export", ["query:read"])
        assert made["value"].startswith("phx_") and made["scopes"] == ["query:read"]
        assert made["label"] in {k["label"] for k in a.list_keys()}
        assert all(k.get("value") is None for k in a.list_keys()), "secrets are shown once"
        with AdminClient(made["value"], host=server.url) as narrow:
            # older PostHog: reading even its own record needs personal_api_key:read, so a
            # preflight cannot tell and lets the work start
            with pytest.raises(posthog_sdk.ForbiddenError):
                narrow.current_key()
            assert narrow.preflight(["export"])["granted"] is None
            assert narrow.query("SELECT count() FROM events").results == [[0]]
            with pytest.raises(posthog_sdk.ForbiddenError):
                narrow.me()  # user:read not granted
        with pytest.raises(posthog_sdk.InvalidInputError):
            a.create_key("too wide", [])  # least privilege: scopes required
        a.delete_key(made["id"])
        with AdminClient(made["value"], host=server.url) as revoked:
            with pytest.raises(posthog_sdk.UnauthorizedError):
                revoked.me()


def test_current_posthog_refuses_key_management_with_a_personal_key(admin: AdminClient) -> None:
    assert admin.current_key()["id"]  # @current is allowed
    with pytest.raises(posthog_sdk.ForbiddenError):
        admin.list_keys()
    with pytest.raises(posthog_sdk.ForbiddenError):
        admin.create_key("x", ["query:read"])


def test_the_activity_log_lists_changes(admin: AdminClient) -> None:
    flag = admin.feature_flags.create("audited", rollout_percentage=5)
    admin.feature_flags.update(flag["id"], name="Audited")
    entries = list(admin.activity_log(scope="FeatureFlag", item_id=str(flag["id"])))
    assert [e["activity"] for e in entries][:2] == ["updated", "created"]
    assert all(e["scope"] == "FeatureFlag" for e in entries)
    history = admin.feature_flags.activity(flag["id"])
    assert len(list(history)) == 2 and history.total == 2


def test_batch_export_runs_by_window(admin: AdminClient) -> None:
    be = admin.batch_exports.create(
        {"name": "s3", "interval": "day", "destination": {"type": "S3", "config": {}}}
    )
    admin.batch_exports.backfill(be["id"], "2026-01-01T00:00:00Z", "2026-01-03T00:00:00Z")
    now = datetime.now(timezone.utc)
    # runs are dated when they are created (now), whatever interval they export
    assert len(list(admin.batch_exports.runs(be["id"]))) == 2
    assert len(list(admin.batch_exports.runs(be["id"], after=now - timedelta(days=30)))) == 2
    assert list(admin.batch_exports.runs(be["id"], after=now + timedelta(hours=1))) == []
    older = admin.batch_exports.runs(be["id"], after=now - timedelta(days=30), before=now - timedelta(days=1))
    assert list(older) == []
    with pytest.raises(posthog_sdk.InvalidInputError):
        admin.batch_exports.runs(be["id"], after=now, before=now - timedelta(days=1))


def test_fresh_queries_skip_the_cache(admin: AdminClient, server: TestServer) -> None:
    hogql = "SELECT count() FROM events"
    first = admin.query(hogql)
    again = admin.query(hogql)
    assert again.extra["is_cached"] is True and again.results == first.results
    fresh = admin.query(hogql, fresh=True)
    assert fresh.extra["is_cached"] is False
    assert admin.query("SELECT event FROM events LIMIT 5").has_more is None


def test_a_project_time_zone_changes_answers_not_exports(admin: AdminClient, server: TestServer, tmp_path: Path) -> None:
    import json

    server.post(
        "/_test/events/generate",
        {"count": 300, "start": "2025-01-01T00:00:00Z", "end": "2025-01-01T01:00:00Z"},
    )
    assert server.post("/_test/admin/project", {"timezone": "Asia/Kolkata"})["ok"] is True
    assert admin.projects.get()["timezone"] == "Asia/Kolkata"
    r = admin.query("SELECT timestamp FROM events ORDER BY timestamp LIMIT 1")
    assert r.results[0][0] == "2025-01-01T05:30:00.000000+05:30"
    assert r.types == [["timestamp", "DateTime64(6, 'Asia/Kolkata')"]]
    out = tmp_path / "e.jsonl"
    report = admin.export(
        str(out),
        events={"after": "2025-01-01T00:00:00Z", "before": "2025-01-02T00:00:00Z"},
        page_size=70,
    )
    uuids = [json.loads(line)["uuid"] for line in out.read_text().splitlines()]
    assert report.rows == 300 and len(set(uuids)) == 300
    assert report.checkpoint["position"]["timestamp"].endswith("Z")
    import urllib.error

    with pytest.raises(urllib.error.HTTPError):
        server.post("/_test/admin/project", {"timezone": "Mars/Olympus"})
