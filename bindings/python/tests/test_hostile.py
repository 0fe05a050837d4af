"""Hostile servers and definitions. A server that echoes the request's keys into request ids,
error details and ``attr`` on every route (ingestion, /flags, definitions, admin) gets them into
no exception text, repr, attribute, log line or file on disk; a definition that loops or nests
without end is inconclusive, never a crash of the interpreter."""

import logging
import os
from typing import Any, List

import posthog_sdk

PROJECT = "phc_echo0project0key0never0leaves"
PERSONAL = "phx_echo0personal0key.never-leaves"


def echo(status: int, secret: str) -> dict:
    """A fault that reflects `secret` ({authorization} or {api_key}) everywhere it can."""
    return {
        "status": status,
        "headers": {"Content-Type": "application/json", "X-Request-Id": secret},
        "body": '{"type":"validation_error","detail":"bad key %s","attr":"%s"}' % (secret, secret),
    }


def texts_of(e: BaseException) -> List[str]:
    out = [str(e), repr(e)] + [str(a) for a in e.args]
    out += [str(getattr(e, k, None)) for k in ("request_id", "attr", "scope", "message")]
    return out


def assert_clean(texts: List[Any]) -> None:
    for t in texts:
        t = str(t)
        for secret in (PROJECT, PERSONAL, "never0leaves", "never-leaves"):
            assert secret not in t, t


def test_no_route_reflects_a_key_anywhere(server, make_client, recorder, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    server.faults([echo(400, "{api_key}")])
    client = make_client(api_key=PROJECT, on_error=recorder, storage_dir=str(tmp_path / "q"))
    client.capture("echoed", distinct_id="u1")
    client.flush(timeout=10)
    assert recorder.errors, "the 400 was reported"

    texts: List[Any] = []
    for e in recorder.errors:
        texts += texts_of(e)
        assert e.request_id, "the request id arrived (scrubbed)"
    texts += [r.getMessage() for r in caplog.records]
    for root, _, files in os.walk(tmp_path):
        for f in files:
            with open(os.path.join(root, f), "rb") as fh:
                texts.append(fh.read().decode("utf-8", "replace"))
    assert_clean(texts)


def test_flags_and_definitions_do_not_reflect_keys(server, make_client, recorder, caplog):
    caplog.set_level(logging.DEBUG)
    server.faults([
        dict(echo(401, "{authorization}"), route="definitions"),
        dict(echo(500, "{api_key}"), route="flags"),
    ])
    client = make_client(api_key=PROJECT, personal_api_key=PERSONAL, on_error=recorder)
    assert client.get_feature_flag("beta", "u1") is None
    texts: List[Any] = [r.getMessage() for r in caplog.records]
    for e in recorder.errors:
        texts += texts_of(e)
    assert recorder.errors, "the failures were reported"
    assert_clean(texts)


def test_admin_errors_do_not_reflect_the_personal_key(server):
    server.faults([dict(echo(403, "{authorization}"), route="admin")])
    admin = posthog_sdk.AdminClient(PERSONAL, host=server.url, timeout=30)
    try:
        try:
            admin.feature_flags.get(1)
        except posthog_sdk.PostHogError as e:
            assert e.request_id
            assert_clean(texts_of(e) + [repr(admin)])
        else:
            raise AssertionError("the 403 was not raised")
    finally:
        admin.close()


def test_a_self_referencing_cohort_is_inconclusive_not_a_crash():
    """Used to recurse without end (a segmentation fault of the interpreter)."""
    from posthog_sdk.flags import LocalEvaluator

    defs = {
        "flags": [
            {"id": 1, "key": "loop", "active": True, "filters": {"groups": [
                {"properties": [{"key": "id", "type": "cohort", "value": "7"}], "rollout_percentage": 100}
            ]}}
        ] + [
            {"id": i, "key": f"f{i}", "active": True, "filters": {"groups": [
                {"properties": [{"key": f"f{i - 1}", "type": "flag", "value": True,
                                 "operator": "flag_evaluates_to", "dependency_chain": [f"f{i - 1}"]}],
                 "rollout_percentage": 100}
            ]}}
            for i in range(2, 3000)
        ],
        "cohorts": {"7": {"type": "OR", "values": [{"key": "id", "type": "cohort", "value": "7"}]}},
    }
    ev = LocalEvaluator(defs)
    for key in ("loop", "f2999"):
        try:
            ev.evaluate(key, "u1")
        except posthog_sdk.InconclusiveError as e:
            assert e.reason == "unsupported_definition", e
        else:
            raise AssertionError(f"{key} was decided")
