"""The admin client against the test server's private API: resources, paging, query, errors."""

from __future__ import annotations

import asyncio
import time

import pytest

import posthog_sdk
from posthog_sdk import AdminClient

from conftest import PERSONAL_KEY, TestServer


def test_me_and_projects(admin: AdminClient) -> None:
    me = admin.me()
    assert me["email"] and me["team"]["id"] == 1
    projects = list(admin.projects.list())
    assert [p["id"] for p in projects] == [1]
    assert admin.projects.get()["id"] == 1
    assert admin.projects.get(1)["id"] == 1
    assert admin.projects.get("1")["id"] == 1


def test_flags_list_follows_next_across_pages(admin: AdminClient) -> None:
    seeded = len(list(admin.feature_flags.list()))
    for i in range(120):
        admin.feature_flags.create(f"paged-{i}", rollout_percentage=10)
    pager = admin.feature_flags.list()
    assert pager.pages_fetched == 0  # lazy: nothing fetched yet
    keys = [f["key"] for f in pager]
    assert len(keys) == seeded + 120 == len(set(keys))
    assert pager.pages_fetched >= 2
    assert pager.total == seeded + 120
    assert {f"paged-{i}" for i in range(120)} <= set(keys)


def test_flag_lifecycle(admin: AdminClient) -> None:
    flag = admin.feature_flags.create(
        "lifecycle", name="Lifecycle", rollout_percentage=25, ensure_experience_continuity=False
    )
    assert flag["key"] == "lifecycle" and flag["active"] is True
    assert flag["filters"]["groups"][0]["rollout_percentage"] == 25
    fid = flag["id"]
    assert admin.feature_flags.get(fid)["name"] == "Lifecycle"
    assert admin.feature_flags.update(fid, name="Renamed")["name"] == "Renamed"
    assert admin.feature_flags.set_active(fid, False)["active"] is False
    assert admin.feature_flags.set_active(fid, True)["active"] is True
    history = list(admin.feature_flags.activity(fid))
    assert history[-1]["activity"] == "created" and len(history) >= 4
    assert admin.feature_flags.delete(fid)["deleted"] is True
    with pytest.raises(posthog_sdk.NotFoundError) as info:
        admin.feature_flags.get(fid)
    assert info.value.status == 404
    assert "lifecycle" not in {f["key"] for f in admin.feature_flags.list()}


def test_create_refuses_filters_and_rollout_together(admin: AdminClient) -> None:
    with pytest.raises(posthog_sdk.InvalidInputError):
        admin.feature_flags.create("both", rollout_percentage=5, filters={"groups": []})


def test_other_resources(admin: AdminClient, server: TestServer) -> None:
    server.post("/_test/events/generate", {"count": 50, "event": "$pageview"})
    persons = list(admin.persons.list())
    assert persons
    one = admin.persons.get(persons[0]["id"])
    assert one["id"] == persons[0]["id"]
    assert [p["id"] for p in admin.persons.list(distinct_id=one["distinct_ids"][0])] == [one["id"]]
    cohort = admin.cohorts.create_static("Static", [one["id"]])
    assert admin.cohorts.get(cohort["id"])["name"] == "Static"
    assert len(list(admin.insights.list())) == 2
    note = admin.annotations.create("Deploy", "2026-01-02T03:04:05Z")
    assert note["content"] == "Deploy"
    assert [a["content"] for a in admin.annotations.list()] == ["Deploy"]
    assert "$pageview" in {d["name"] for d in admin.definitions.events()}
    assert "$browser" in {d["name"] for d in admin.definitions.properties("event")}
    be = admin.batch_exports.create(
        {"name": "s3", "destination": {"type": "S3", "config": {}}, "interval": "day"}
    )
    assert admin.batch_exports.pause(be["id"])["paused"] is True
    assert admin.batch_exports.unpause(be["id"])["paused"] is False
    admin.batch_exports.backfill(be["id"], "2026-01-01T00:00:00Z", "2026-01-03T00:00:00Z")
    assert len(list(admin.batch_exports.runs(be["id"]))) == 2
    admin.persons.delete(one["id"])
    with pytest.raises(posthog_sdk.NotFoundError):
        admin.persons.get(one["id"])


def test_query_and_to_dicts(admin: AdminClient, server: TestServer) -> None:
    server.post("/_test/events/generate", {"count": 30, "event": "$pageview"})
    server.post("/_test/events/generate", {"count": 12, "event": "signup"})
    r = admin.query(
        "SELECT event, count() AS n FROM events WHERE event IN {names} GROUP BY event ORDER BY event",
        {"names": ["$pageview", "signup"]},
    )
    assert r.columns == ["event", "n"]
    # PostHog's types are [name, type] pairs.
    assert r.types == [["event", "String"], ["n", "UInt64"]]
    assert r.results == [["$pageview", 30], ["signup", 12]]
    assert r.has_more is False and len(r) == 2
    assert r.to_dicts() == [{"event": "$pageview", "n": 30}, {"event": "signup", "n": 12}]
    assert r.extra["limit"] == 100
    page = admin.query("SELECT uuid FROM events ORDER BY uuid LIMIT 5")
    # A LIMIT of the query's own: PostHog sends hasMore null (only the row count tells).
    assert len(page) == 5 and page.has_more is None and page.extra["limit"] is None


def test_to_pandas_and_arrow_are_optional(admin: AdminClient) -> None:
    r = admin.query("SELECT count() AS n FROM events")
    for method, module in (("to_pandas", "pandas"), ("to_arrow", "pyarrow")):
        try:
            __import__(module)
        except ImportError:
            with pytest.raises(ImportError, match=f"posthog-sdk\\[{'arrow' if module == 'pyarrow' else module}\\]"):
                getattr(r, method)()
        else:
            out = getattr(r, method)()
            assert out.shape[0] == 1 if module == "pandas" else out.num_rows == 1


def test_async_query(admin: AdminClient, server: TestServer) -> None:
    server.post("/_test/events/generate", {"count": 7})
    status = admin.query_async("SELECT count() FROM events", client_query_id="q-python-1")
    assert status.id == "q-python-1" and status.complete is False and status.result() is None
    first = admin.query_status(status.id)  # the test server's first poll is still running
    assert first.complete is False and first.result() is None
    done = admin.query_status(status.id)
    assert done.complete and done.result() is not None
    assert done.result().results == [[7]]  # type: ignore[union-attr]
    assert admin.wait_for_query(status.id, timeout=10).results == [[7]]
    assert admin.cancel_query(status.id) == "Query already complete"  # PostHog's message
    with pytest.raises(posthog_sdk.NotFoundError):
        admin.query_status("no-such-query")


def test_asyncio_variant(server: TestServer) -> None:
    async def main() -> tuple:
        async with posthog_sdk.AsyncAdminClient(PERSONAL_KEY, host=server.url) as a:
            me = await a.me()
            keys = [f["key"] async for f in a.sync.feature_flags.list()]
            r = await a.query("SELECT count() FROM events")
            flag = await a.call(a.sync.feature_flags.create, "from-asyncio")
            return me, keys, r, flag

    me, keys, r, flag = asyncio.run(main())
    assert me["email"] and len(keys) == 53 and r.results == [[0]] and flag["key"] == "from-asyncio"


def test_bad_query_is_invalid_request(admin: AdminClient) -> None:
    with pytest.raises(posthog_sdk.InvalidRequestError) as info:
        admin.query("SELECT * FROM events")
    assert info.value.status == 400


def test_unauthorized_and_forbidden_scope(server: TestServer) -> None:
    with AdminClient("phx_unknownkey", host=server.url) as bad:
        with pytest.raises(posthog_sdk.UnauthorizedError) as info:
            bad.me()
        assert info.value.status == 401
        assert "phx_unknownkey" not in str(info.value) + repr(info.value)
    server.post("/_test/keys", {"phx_readonlykey": ["feature_flag:read"]})
    with AdminClient("phx_readonlykey", host=server.url) as ro:
        assert len(list(ro.feature_flags.list())) == 53
        with pytest.raises(posthog_sdk.ForbiddenError) as forbidden:
            ro.feature_flags.create("nope")
        assert forbidden.value.status == 403
        assert forbidden.value.scope == "feature_flag:write"
        assert isinstance(forbidden.value, PermissionError)
        assert "phx_readonlykey" not in str(forbidden.value)


def test_not_found_and_bad_request(admin: AdminClient) -> None:
    with pytest.raises(posthog_sdk.NotFoundError):
        admin.feature_flags.get(999_999)
    with pytest.raises(posthog_sdk.NotFoundError):
        admin.projects.get(2)
    admin.feature_flags.create("dup")
    with pytest.raises(posthog_sdk.InvalidRequestError) as info:
        admin.feature_flags.create("dup")
    assert info.value.status == 400
    with pytest.raises(posthog_sdk.InvalidRequestError) as info:
        admin.feature_flags.create("bad key!")
    with pytest.raises(posthog_sdk.InvalidInputError):
        admin.projects.get("../etc")


def test_rate_limit_is_waited_out(admin: AdminClient, server: TestServer) -> None:
    server.post("/_test/admin/rate_limit", {"limit": 2, "retry_after": 0})
    started = time.monotonic()
    for _ in range(5):
        assert admin.me()["email"]
    assert time.monotonic() - started < 10
    statuses = server.stats()["statuses"]
    assert statuses.get("429", 0) >= 2


def test_rate_limit_surfaces_after_the_retries(server: TestServer) -> None:
    server.post("/_test/admin/rate_limit", {"limit": 0, "retry_after": 0})
    with AdminClient(PERSONAL_KEY, host=server.url, max_throttle_retries=1) as a:
        with pytest.raises(posthog_sdk.RateLimitedError) as info:
            a.me()
    assert info.value.status == 429 and info.value.retry_after == 0


def test_server_fault_is_retried_for_reads(admin: AdminClient, server: TestServer) -> None:
    server.faults([{"route": "admin", "status": 503}])
    assert admin.me()["email"]


def test_project_key_refused_and_key_hidden(server: TestServer) -> None:
    with pytest.raises(posthog_sdk.InvalidKeyError) as info:
        AdminClient("phc_projectsecret123", host=server.url)
    assert "projectsecret123" not in str(info.value) + repr(info.value)
    a = AdminClient("phx_personalsecret456", host=server.url)
    try:
        assert "personalsecret456" not in repr(a) + repr(a._native)
        a.rotate_key(PERSONAL_KEY)
        assert a.me()["email"]
        with pytest.raises(posthog_sdk.InvalidKeyError) as info:
            a.rotate_key("phc_projectsecret123")
        assert "projectsecret123" not in str(info.value)
    finally:
        a.close()
    with pytest.raises(posthog_sdk.ClosedError):
        a.me()


def test_key_from_environment(server: TestServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", PERSONAL_KEY)
    monkeypatch.setenv("POSTHOG_HOST", server.url)
    with AdminClient() as a:
        assert a.host == server.url and a.me()["email"]
    monkeypatch.delenv("POSTHOG_PERSONAL_API_KEY")
    with pytest.raises(posthog_sdk.InvalidKeyError):
        AdminClient()


def test_bad_options_are_config_errors(server: TestServer) -> None:
    with pytest.raises(posthog_sdk.ConfigError):
        AdminClient(PERSONAL_KEY, host="http://example.com")
    with pytest.raises(posthog_sdk.ConfigError):
        AdminClient(PERSONAL_KEY, host=server.url, max_concurrency=0)
    with pytest.raises(posthog_sdk.ConfigError):
        AdminClient(PERSONAL_KEY, host=server.url, timeout=-1)
