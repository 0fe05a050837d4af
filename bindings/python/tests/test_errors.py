"""The error vocabulary: every core kind maps to its own class; constructor errors raise."""

from __future__ import annotations

import builtins

import pytest

import posthog_sdk
from posthog_sdk import _native
from posthog_sdk.errors import ERROR_CLASSES, PostHogError

#: kind -> (class, builtin it must also be). A kind added to the core fails here until mapped.
EXPECTED = {
    "config": (posthog_sdk.ConfigError, ValueError),
    "invalid_key": (posthog_sdk.InvalidKeyError, ValueError),
    "invalid_input": (posthog_sdk.InvalidInputError, ValueError),
    "transport": (posthog_sdk.TransportError, ConnectionError),
    "timeout": (posthog_sdk.TimeoutError, builtins.TimeoutError),
    "rate_limited": (posthog_sdk.RateLimitedError, RuntimeError),
    "unauthorized": (posthog_sdk.UnauthorizedError, PermissionError),
    "forbidden": (posthog_sdk.ForbiddenError, PermissionError),
    "invalid_request": (posthog_sdk.InvalidRequestError, ValueError),
    "too_large": (posthog_sdk.TooLargeError, ValueError),
    "quota_limited": (posthog_sdk.QuotaLimitedError, RuntimeError),
    "not_found": (posthog_sdk.NotFoundError, LookupError),
    "conflict": (posthog_sdk.ConflictError, RuntimeError),
    "server": (posthog_sdk.ServerError, RuntimeError),
    "queue_full": (posthog_sdk.QueueFullError, RuntimeError),
    "closed": (posthog_sdk.ClosedError, RuntimeError),
    "unexpected": (posthog_sdk.UnexpectedError, RuntimeError),
    "inconclusive": (posthog_sdk.InconclusiveError, LookupError),
    "io": (posthog_sdk.PostHogIOError, OSError),
}


def test_every_core_kind_is_mapped():
    kinds = _native._error_kinds()
    assert len(kinds) == len(set(kinds))
    assert set(kinds) == set(EXPECTED), "a core error kind has no Python class (or the reverse)"
    assert set(kinds) == set(ERROR_CLASSES)


@pytest.mark.parametrize("kind", _native._error_kinds())
def test_walk_each_kind(kind):
    cls, builtin = EXPECTED[kind]
    with pytest.raises(PostHogError) as info:
        _native._raise_sample(kind)
    err = info.value
    assert type(err) is cls
    assert isinstance(err, builtin)
    assert err.kind == kind
    assert str(err)
    assert cls.__name__ in posthog_sdk.__all__


def test_sample_attributes():
    def sample(kind):
        try:
            _native._raise_sample(kind)
        except PostHogError as e:
            return e
        raise AssertionError("no exception")

    server = sample("server")
    assert server.status == 503 and server.request_id == "sample-request" and server.retry_after == 30
    forbidden = sample("forbidden")
    assert forbidden.request_id == "sample-request" and forbidden.status == 403
    assert sample("invalid_request").attr == "key"
    rl = sample("rate_limited")
    assert rl.status == 429 and rl.retry_after == 1
    assert sample("forbidden").scope == "feature_flag:read"
    assert sample("invalid_request").status == 400
    assert sample("config").status is None
    inc = sample("inconclusive")
    assert inc.reason == "missing_context" and inc.status is None
    assert sample("server").reason is None


def test_unknown_kind_is_a_value_error():
    with pytest.raises(ValueError):
        _native._raise_sample("no_such_kind")


def test_personal_key_is_refused_without_echoing_it():
    secret = "phx_averysecretpersonalkey123"
    with pytest.raises(posthog_sdk.InvalidKeyError) as info:
        posthog_sdk.Client(secret)
    err = info.value
    assert isinstance(err, ValueError)
    assert err.kind == "invalid_key"
    assert secret not in str(err) and secret not in repr(err)
    assert "averysecret" not in str(err)


@pytest.mark.parametrize("key", ["", "   ", 12345])
def test_missing_or_wrong_type_key_is_refused(key):
    with pytest.raises(posthog_sdk.InvalidKeyError):
        posthog_sdk.Client(key)  # type: ignore[arg-type]


def test_plain_http_to_a_remote_host_is_refused():
    with pytest.raises(posthog_sdk.ConfigError) as info:
        posthog_sdk.Client("phc_key", host="http://example.com")
    assert isinstance(info.value, ValueError)
    assert info.value.kind == "config"


@pytest.mark.parametrize(
    "options",
    [
        {"flush_at": 0},
        {"flush_at": -1},
        {"flush_at": "many"},
        {"flush_interval": -1.0},
        {"timeout": float("nan")},
        {"max_batch_bytes": 30 << 20},
        {"overflow": "sometimes"},
        {"overflow": "block"},
        {"overflow": "drop_newest", "block_timeout": 1.0},
        {"protocol": "v9"},
        {"gzip": "yes"},
        {"on_error": 5},
        {"before_send": "nope"},
        {"super_properties": {"x": object()}},
        {"super_properties": ["a"]},
    ],
)
def test_bad_options_raise_config_error(options):
    with pytest.raises(posthog_sdk.ConfigError):
        posthog_sdk.Client("phc_key", host="http://127.0.0.1:9", **options)


def test_good_extra_options_are_accepted():
    client = posthog_sdk.Client(
        "phc_key",
        host="http://127.0.0.1:9",
        max_batch_bytes=2 << 20,
        max_in_flight=2,
        overflow="block",
        block_timeout=0.5,
        protocol="v1",
        gzip=False,
        max_queue_size=10,
        timeout=3,
        historical_migration=True,
    )
    client.shutdown(timeout=1)


def test_repr_and_str_never_show_the_key():
    key = "phc_keepthisoutofreprs"
    client = posthog_sdk.Client(key, host="http://127.0.0.1:9")
    try:
        for text in (repr(client), str(client), repr(client._native)):
            assert key not in text and "keepthis" not in text
        assert "127.0.0.1:9" in repr(client)
    finally:
        client.shutdown(timeout=1)


def test_exceptions_pickle_with_attributes():
    import pickle

    try:
        _native._raise_sample("rate_limited")
    except posthog_sdk.RateLimitedError as e:
        again = pickle.loads(pickle.dumps(e))
        assert type(again) is posthog_sdk.RateLimitedError
        assert again.status == 429 and again.retry_after == 1 and str(again) == str(e)
