"""Error tracking (issue #12): ``capture_exception``, autocapture, ``new_context`` and code
variables send ``$exception`` events shaped as posthog-python 7.91.1 sends them (the
differential suite compares them with the official package's)."""

from __future__ import annotations

import builtins
import json
import os
import subprocess
import sys
import textwrap
import threading
from typing import Any, Dict, Iterator, List

import pytest

import posthog_sdk
from conftest import API_KEY, TestServer
from posthog_sdk import InvalidInputError, Posthog, exceptions


@pytest.fixture
def ph(server: TestServer) -> Iterator[Posthog]:
    client = Posthog(API_KEY, host=server.url, flush_at=100, flush_interval=3600)
    yield client
    client.shutdown()


def sent(server: TestServer, ph: Posthog, n: int = 1) -> List[Dict[str, Any]]:
    ph.flush()
    events = server.wait(n)
    assert len(events) == n
    return events


def _divide(n: int) -> float:
    return 1 / n


class CheckoutError(Exception):
    pass


def test_chained_exception(server: TestServer, ph: Posthog) -> None:
    try:
        try:
            _divide(0)
        except ZeroDivisionError as e:
            raise CheckoutError("checkout failed") from e
    except CheckoutError as e:
        uuid = ph.capture_exception(e, distinct_id="u1", properties={"order": 7})
    assert uuid is not None
    (event,) = sent(server, ph)
    assert event["event"] == "$exception"
    assert event["uuid"] == uuid
    assert event["distinct_id"] == "u1"
    props = event["properties"]
    assert props["order"] == 7
    assert props["$exception_level"] == "error"
    top, cause = props["$exception_list"]
    assert (top["type"], top["value"], top["module"]) == ("CheckoutError", "checkout failed", "test_exceptions")
    assert top["mechanism"] == {"exception_id": 0, "type": "generic", "handled": True, "synthetic": False}
    assert (cause["type"], cause["module"]) == ("ZeroDivisionError", None)
    assert cause["mechanism"] == {
        "exception_id": 1, "parent_id": 0, "source": "cause", "type": "chained", "synthetic": False,
    }
    frame = cause["stacktrace"]["frames"][-1]
    assert frame["function"] == "_divide"
    assert frame["module"] == "test_exceptions"
    assert frame["filename"] == "test_exceptions.py"
    assert frame["abs_path"] == os.path.abspath(__file__)
    assert frame["context_line"] == "    return 1 / n"
    assert frame["platform"] == "python"


def test_implicit_context_and_suppressed_context(server: TestServer, ph: Posthog) -> None:
    try:
        try:
            {}["k"]
        except KeyError:
            int("x")
    except ValueError as e:
        ph.capture_exception(e, distinct_id="u")
    try:
        try:
            {}["k"]
        except KeyError:
            raise RuntimeError("clean") from None
    except RuntimeError as e:
        ph.capture_exception(e, distinct_id="u")
    events = sorted(sent(server, ph, 2), key=lambda e: len(e["properties"]["$exception_list"]))
    (clean,) = events[0]["properties"]["$exception_list"]
    assert clean["type"] == "RuntimeError"
    value_error, key_error = events[1]["properties"]["$exception_list"]
    assert key_error["mechanism"]["source"] == "context"


def test_exception_group_members(server: TestServer, ph: Posthog) -> None:
    group_cls: Any = getattr(builtins, "ExceptionGroup", None)
    if group_cls is None:
        pytest.skip("ExceptionGroup needs Python 3.11")
    try:
        raise group_cls("many", [ValueError("a"), group_cls("nested", [TypeError("b")])])
    except Exception as e:
        ph.capture_exception(e, distinct_id="u")
    (event,) = sent(server, ph)
    entries = event["properties"]["$exception_list"]
    assert [(x["type"], x["mechanism"].get("parent_id"), x["mechanism"].get("source")) for x in entries] == [
        ("ExceptionGroup", None, None),
        ("ValueError", 0, "member"),
        ("ExceptionGroup", 0, "member"),
        ("TypeError", 2, "member"),
    ]
    assert entries[0]["mechanism"]["is_exception_group"] is True


def test_cycle_and_bound() -> None:
    a, b = ValueError("a"), ValueError("b")
    a.__context__, b.__context__ = b, a
    data = exceptions.exception_input((ValueError, a, None))
    assert data["cause"]["value"] == "b" and "cause" not in data["cause"]
    head: BaseException = ValueError("0")
    for i in range(1, 80):
        nxt = ValueError(str(i))
        nxt.__context__ = head
        head = nxt
    props = exceptions.exception_properties((ValueError, head, None), {})
    assert len(props["$exception_list"]) == 50


def test_never_raised_is_synthetic_and_captured_once(server: TestServer, ph: Posthog) -> None:
    err = CheckoutError("never raised")
    first = ph.capture_exception(err, distinct_id="u")
    assert first is not None
    assert ph.capture_exception(err, distinct_id="u") is None, "the same exception is sent once"
    (event,) = sent(server, ph)
    (entry,) = event["properties"]["$exception_list"]
    assert entry["mechanism"]["synthetic"] is True
    frames = entry["stacktrace"]["frames"]
    assert frames[-1]["function"] == "test_never_raised_is_synthetic_and_captured_once"
    assert not any(str(f["module"]).startswith("posthog_sdk") for f in frames)


def test_no_exception_and_bad_input(ph: Posthog) -> None:
    assert ph.capture_exception() is None, "nothing is being handled"
    assert ph.capture_exception("not an exception") is None, "never raises"  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="Expected Exception object"):
        exceptions.exc_info_from_error("not an exception")
    with pytest.raises(InvalidInputError):
        posthog_sdk._native.exception_properties('{"type": 3}')
    with pytest.raises(InvalidInputError):
        posthog_sdk._native.exception_properties("{}", '{"level": []}')
    with pytest.raises(InvalidInputError):
        posthog_sdk._native.exception_properties("{}", "", {"x": object()})


def test_handled_exception_without_argument_and_before_send(server: TestServer) -> None:
    seen: List[str] = []

    def before_send(event: Dict[str, Any]) -> Dict[str, Any]:
        seen.append(event["event"])
        event["properties"]["checked"] = True
        return event

    client = Posthog(API_KEY, host=server.url, before_send=before_send, super_properties={"app": "x"})
    try:
        _divide(0)
    except ZeroDivisionError:
        assert client.capture_exception(distinct_id="u") is not None
    client.flush()
    (event,) = server.wait(1)
    client.shutdown()
    assert seen == ["$exception"]
    assert event["properties"]["checked"] is True
    assert event["properties"]["app"] == "x"
    assert event["properties"]["$exception_list"][0]["type"] == "ZeroDivisionError"


def test_in_app_rules(server: TestServer) -> None:
    client = Posthog(API_KEY, host=server.url, project_root="/nowhere", in_app_modules=["test_exceptions"])
    try:
        json.loads("{")
    except ValueError as e:
        client.capture_exception(e, distinct_id="u")
    client.flush()
    (event,) = server.wait(1)
    client.shutdown()
    frames = event["properties"]["$exception_list"][0]["stacktrace"]["frames"]
    assert frames[0]["module"] == "test_exceptions" and frames[0]["in_app"] is True
    assert all("in_app" not in f for f in frames if f["module"].startswith("json"))


def test_new_context_captures_and_reraises(server: TestServer, ph: Posthog) -> None:
    with pytest.raises(ZeroDivisionError):
        with ph.new_context(capture_exceptions=True):
            posthog_sdk.identify_context("ctx-user")
            posthog_sdk.tag("request_id", "r-1")
            _divide(0)
    with pytest.raises(KeyError):
        with ph.new_context(capture_exceptions=False):
            raise KeyError("not captured")
    (event,) = sent(server, ph)
    assert event["distinct_id"] == "ctx-user"
    assert event["properties"]["request_id"] == "r-1"
    assert event["properties"]["$exception_list"][0]["type"] == "ZeroDivisionError"


def test_scoped_captures_with_its_client(server: TestServer, ph: Posthog) -> None:
    @ph.scoped(capture_exceptions=True)
    def handler() -> None:
        raise CheckoutError("in scoped")

    with pytest.raises(CheckoutError):
        handler()
    (event,) = sent(server, ph)
    assert event["properties"]["$exception_list"][0]["value"] == "in scoped"


def test_threading_excepthook_chains(server: TestServer) -> None:
    chained: List[str] = []
    previous = threading.excepthook
    threading.excepthook = lambda args: chained.append(type(args.exc_value).__name__)
    client = Posthog(API_KEY, host=server.url, enable_exception_autocapture=True)
    try:
        t = threading.Thread(target=_divide, args=(0,))
        t.start()
        t.join()
        client.flush()
        (event,) = server.wait(1)
    finally:
        client.shutdown()
        restored = threading.excepthook
        threading.excepthook = previous
    assert chained == ["ZeroDivisionError"], "the previous hook still runs"
    assert restored is not client._exception_capture, "shutdown restores the previous hook"
    props = event["properties"]
    assert props["$exception_list"][0]["mechanism"] == {
        "exception_id": 0, "type": "onuncaughtexception", "handled": False, "synthetic": False,
    }
    assert props["$exception_level"] == "error"
    assert props["$exception_source"] == "python.threading_excepthook"


def test_sys_excepthook_in_a_process_that_raises(server: TestServer) -> None:
    script = f"""
        import sys
        from posthog_sdk import Posthog
        Posthog({API_KEY!r}, host={server.url!r}, enable_exception_autocapture=True,
                flush_at=1000, flush_interval=3600)
        def crash():
            raise LookupError("uncaught")
        crash()
    """
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True, text=True, timeout=60, env=dict(os.environ),
    )
    assert proc.returncode == 1, "the exit status of an uncaught exception is unchanged"
    assert "LookupError: uncaught" in proc.stderr, "the previous hook printed the traceback"
    (event,) = server.wait(1)
    props = event["properties"]
    assert props["$exception_list"][0]["type"] == "LookupError"
    assert props["$exception_list"][0]["mechanism"]["handled"] is False
    assert props["$exception_list"][0]["mechanism"]["type"] == "onuncaughtexception"
    assert props["$exception_level"] == "fatal"
    assert props["$exception_source"] == "python.sys_excepthook"


SECRET = "hunter2-do-not-send"


def _raise_with_secrets() -> None:
    password = SECRET  # noqa: F841
    db = f"postgres://admin:{SECRET}@db:5432/app"  # noqa: F841
    config = {"api_key": SECRET, "region": "eu"}  # noqa: F841
    header = f"Bearer {SECRET}"  # noqa: F841
    harmless = "hello"  # noqa: F841
    count = 3  # noqa: F841
    raise CheckoutError("with locals")


def test_code_variables_never_send_secrets(server: TestServer) -> None:
    client = Posthog(API_KEY, host=server.url, capture_exception_code_variables=True)
    try:
        _raise_with_secrets()
    except CheckoutError as e:
        client.capture_exception(e, distinct_id="u")
    client.flush()
    (event,) = server.wait(1)
    client.shutdown()
    raw = json.dumps(server.requests())
    assert SECRET not in raw, "a secret in a local never reaches the server"
    frames = event["properties"]["$exception_list"][0]["stacktrace"]["frames"]
    variables = frames[-1]["code_variables"]
    redacted = "$$_posthog_redacted_based_on_masking_rules_$$"
    assert variables["password"] == redacted
    assert variables["db"] == f"postgres://{redacted}@db:5432/app"
    assert variables["config"] == f'{{"api_key": "{redacted}", "region": "eu"}}'
    assert variables["header"] == f"Bearer {redacted}"
    assert variables["harmless"] == "hello"
    assert variables["count"] == 3


def test_code_variables_options(server: TestServer) -> None:
    client = Posthog(
        API_KEY,
        host=server.url,
        capture_exception_code_variables=True,
        code_variables_mask_patterns=["^harm"],
        code_variables_ignore_patterns=["^count$"],
    )
    try:
        _raise_with_secrets()
    except CheckoutError as e:
        client.capture_exception(e, distinct_id="u")
    client.flush()
    (event,) = server.wait(1)
    client.shutdown()
    variables = event["properties"]["$exception_list"][0]["stacktrace"]["frames"][-1]["code_variables"]
    assert variables["harmless"] == "$$_posthog_redacted_based_on_masking_rules_$$"
    assert "count" not in variables
    # The default patterns are replaced, but the secret still looks like a URL credential.
    assert SECRET not in variables["db"]


def test_code_variables_off_by_default(server: TestServer, ph: Posthog) -> None:
    try:
        _raise_with_secrets()
    except CheckoutError as e:
        ph.capture_exception(e, distinct_id="u")
    (event,) = sent(server, ph)
    assert SECRET not in json.dumps(event)


def test_module_level_capture_exception(server: TestServer) -> None:
    posthog_sdk.api_key = API_KEY
    posthog_sdk.host = server.url
    try:
        try:
            _divide(0)
        except ZeroDivisionError as e:
            assert posthog_sdk.capture_exception(e, distinct_id="m") is not None
        with pytest.raises(KeyError):
            with posthog_sdk.new_context(capture_exceptions=True):
                posthog_sdk.identify_context("ctx")
                raise KeyError("module context")
        posthog_sdk.flush()
        events = sorted(server.wait(2), key=lambda e: str(e["distinct_id"]))
        assert [e["distinct_id"] for e in events] == ["ctx", "m"]
    finally:
        posthog_sdk.shutdown()
        posthog_sdk.default_client = None
        posthog_sdk.api_key = None
        posthog_sdk.host = None


def test_exception_options_are_accepted() -> None:
    client = Posthog(
        API_KEY,
        disabled=True,
        log_captured_exceptions=True,
        project_root="/app",
        in_app_modules=["app"],
        code_variables_mask_url_credentials=False,
        code_variables_detect_secrets=False,
    )
    assert client.capture_exception(ValueError("x")) is None, "disabled: nothing is queued"
    client.shutdown()


def test_autocapture_rate_limiting(server: TestServer) -> None:
    previous = threading.excepthook
    threading.excepthook = lambda args: None
    client = Posthog(
        API_KEY,
        host=server.url,
        enable_exception_autocapture=True,
        enable_exception_autocapture_rate_limiting=True,
        exception_autocapture_bucket_size=3,
        exception_autocapture_refill_rate=1,
        exception_autocapture_refill_interval_seconds=3600,
    )
    try:
        for target in [_divide] * 5 + [json.loads]:
            t = threading.Thread(target=target, args=(0,))
            t.start()
            t.join()
        client.flush()
        events = server.wait(3)
    finally:
        client.shutdown()
        threading.excepthook = previous
    # A bucket of 3 lets 2 through per type (the call that empties it is limited).
    types = sorted(e["properties"]["$exception_list"][0]["type"] for e in events)
    assert types == ["TypeError", "ZeroDivisionError", "ZeroDivisionError"]


def test_native_client_capture_exception(server: TestServer, make_client: Any) -> None:
    client = make_client()
    try:
        _divide(0)
    except ZeroDivisionError as e:
        uuid = client.capture_exception(e, "u", {"k": 1}, in_app_modules=["test_exceptions"])
    assert uuid is not None
    with pytest.raises(InvalidInputError):
        client.capture_exception(42)
    assert client.capture_exception() is None
    client.flush()
    (event,) = server.wait(1)
    assert event["event"] == "$exception" and event["properties"]["k"] == 1
    assert event["properties"]["$exception_list"][0]["stacktrace"]["frames"][0]["in_app"] is True


def test_code_variables_context_overrides(server: TestServer, ph: Posthog) -> None:
    with posthog_sdk.new_context():
        posthog_sdk.set_capture_exception_code_variables_context(True)
        posthog_sdk.set_code_variables_ignore_patterns_context(["^harmless$"])
        with posthog_sdk.new_context():  # inherited
            try:
                _raise_with_secrets()
            except CheckoutError as e:
                ph.capture_exception(e, distinct_id="u")
        with posthog_sdk.new_context(fresh=True):  # not inherited: the client's (off)
            try:
                _raise_with_secrets()
            except CheckoutError as e:
                ph.capture_exception(e, distinct_id="fresh")
    events = {e["distinct_id"]: e for e in sent(server, ph, 2)}
    frames = events["u"]["properties"]["$exception_list"][0]["stacktrace"]["frames"]
    variables = frames[-1]["code_variables"]
    assert variables["count"] == 3 and "harmless" not in variables
    assert SECRET not in json.dumps(variables)
    assert all("code_variables" not in f for f in events["fresh"]["properties"]["$exception_list"][0]["stacktrace"]["frames"])


def test_overriding_a_reserved_property_warns(server: TestServer, ph: Posthog) -> None:
    with pytest.warns(DeprecationWarning, match=r"\$exception_level"):
        ph.capture_exception(ValueError("x"), distinct_id="u", properties={"$exception_level": "info"})
    (event,) = sent(server, ph)
    assert event["properties"]["$exception_level"] == "info", "the caller's value still wins"


def test_context_lines_of_code_without_a_file(server: TestServer, ph: Posthog) -> None:
    import linecache

    name = "<posthog-test-cell>"
    code = "x = 1\ndef cell():\n    raise KeyError('from a cell')\n"
    linecache.cache[name] = (len(code), None, code.splitlines(True), name)
    namespace: Dict[str, Any] = {"__name__": "cell_module"}
    exec(compile(code, name, "exec"), namespace)
    try:
        namespace["cell"]()
    except KeyError as e:
        ph.capture_exception(e, distinct_id="u")
    (event,) = sent(server, ph)
    frame = event["properties"]["$exception_list"][0]["stacktrace"]["frames"][-1]
    assert frame["function"] == "cell"
    assert frame["context_line"] == "    raise KeyError('from a cell')"
    assert frame["pre_context"] == ["x = 1", "def cell():"]


def test_a_lone_surrogate_is_replaced(server: TestServer, ph: Posthog) -> None:
    broken = b"caf\xff".decode("utf-8", "surrogateescape")
    try:
        raise ValueError(f"bad {broken}")
    except ValueError as e:
        assert ph.capture_exception(e, distinct_id="u") is not None
    (event,) = sent(server, ph)
    assert event["properties"]["$exception_list"][0]["value"] == "bad caf\ufffd"
