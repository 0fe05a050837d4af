"""Error-tracking scenarios (issue #12): the same exceptions captured with
`posthog.capture_exception` and `posthog_sdk.capture_exception`; the harness compares the
`$exception` events (`$exception_list` with its frames, context lines, in-app flags and
masked code variables, and the other properties). Registered into `scenarios.SCENARIOS`."""

from __future__ import annotations

import dataclasses
import threading
from collections import namedtuple

from scenarios import attempt, client, close, scenario


def _fail(n):
    if n <= 0:
        return 1 / n
    return _fail(n - 1)


class PaymentError(Exception):
    """An application exception type (its module is not builtins)."""


@scenario
def exc_chained_and_context(ph, srv):
    """`raise … from …` (cause), an implicit `__context__`, and `raise … from None`."""
    posthog = client(ph, srv)
    out = {}
    try:
        try:
            _fail(2)
        except ZeroDivisionError as e:
            raise PaymentError("charge failed") from e
    except PaymentError as e:
        out["cause"] = attempt(lambda: posthog.capture_exception(e, distinct_id="u1", properties={"order": 7}))
    try:
        try:
            {}["missing"]
        except KeyError:
            int("not a number")
    except ValueError as e:
        out["context"] = attempt(lambda: posthog.capture_exception(e, distinct_id="u1"))
    try:
        try:
            [][1]
        except IndexError:
            raise RuntimeError("suppressed") from None
    except RuntimeError as e:
        out["suppressed"] = attempt(lambda: posthog.capture_exception(e, distinct_id="u1"))
    try:
        open("/nonexistent/posthog-differential")
    except OSError as e:
        out["errno"] = attempt(lambda: posthog.capture_exception(e, distinct_id="u1"))
    out.update(close(posthog))
    return out


@scenario
def exc_group_members(ph, srv):
    """An ExceptionGroup with members (one chained) and a nested group."""
    posthog = client(ph, srv)
    out = {}

    def member(i):
        try:
            raise ValueError(f"member {i}")
        except ValueError as e:
            return e

    try:
        try:
            raise KeyError("inner")
        except KeyError:
            raise ExceptionGroup("many", [member(1), ExceptionGroup("nested", [member(2)]), TypeError("t")])
    except ExceptionGroup as e:
        out["group"] = attempt(lambda: posthog.capture_exception(e, distinct_id="u2"))
    out.update(close(posthog))
    return out


@scenario
def exc_without_raise_and_dedupe(ph, srv):
    """A never-raised exception (synthetic stack), the handled exception without an argument,
    no exception at all, and the same exception twice."""
    posthog = client(ph, srv)
    out = {"never_raised": attempt(lambda: posthog.capture_exception(PaymentError("not raised"), distinct_id="u3"))}
    # posthog-python's method needs the argument (None: the exception being handled).
    out["nothing"] = attempt(lambda: posthog.capture_exception(None, distinct_id="u3"))
    try:
        _fail(1)
    except ZeroDivisionError as e:
        out["implicit"] = attempt(lambda: posthog.capture_exception(None, distinct_id="u3"))
        out["again"] = attempt(lambda: posthog.capture_exception(e, distinct_id="u3"))
    out["not_an_exception"] = attempt(lambda: posthog.capture_exception("a string", distinct_id="u3"))
    out.update(close(posthog))
    return out


@scenario
def exc_in_app_rules(ph, srv):
    """project_root and in_app_modules decide the frames' in_app."""
    posthog = client(ph, srv, project_root="/nowhere", in_app_modules=["scenarios_exceptions"])
    out = {}
    try:
        _fail(1)
    except ZeroDivisionError as e:
        out["in_app"] = attempt(lambda: posthog.capture_exception(e, distinct_id="u4"))
    out.update(close(posthog))
    return out


def _without_sdk_frames(event):
    for exc in event.get("properties", {}).get("$exception_list", []):
        stack = exc.get("stacktrace") or {}
        stack["frames"] = [
            f for f in stack.get("frames", []) if not str(f.get("module")).startswith(("posthog.", "posthog_sdk."))
        ]
    return event


@scenario
def exc_new_context(ph, srv):
    """`new_context(capture_exceptions=True)`: captured with the context's tags and
    distinct id, then re-raised. The frame of each package's own context manager is left
    out (it differs by construction)."""
    posthog = client(ph, srv, before_send=_without_sdk_frames)
    out = {}
    try:
        with posthog.new_context(capture_exceptions=True):
            ph.identify_context("ctx-user")
            ph.tag("request_id", "r-1")
            _fail(1)
    except ZeroDivisionError:
        out["reraised"] = True
    out.update(close(posthog))
    return out


@scenario
def exc_thread_autocapture(ph, srv):
    """enable_exception_autocapture: an exception escaping a thread (threading.excepthook)."""
    posthog = client(ph, srv, enable_exception_autocapture=True)
    seen = []
    previous = threading.excepthook
    # The previous hook is chained: record instead of printing.
    threading.excepthook = lambda args: seen.append(type(args.exc_value).__name__)
    posthog2 = client(ph, srv, enable_exception_autocapture=True)
    t = threading.Thread(target=_fail, args=(1,))
    t.start()
    t.join()
    out = {"chained": seen}
    out.update(close(posthog2))
    out.update({"shutdown_first": close(posthog)})
    threading.excepthook = previous
    return out


@dataclasses.dataclass
class Account:
    name: str
    password: str
    balance: int


Point = namedtuple("Point", ["x", "y", "token"])


class Opaque:
    __slots__ = ("secret_value",)

    def __init__(self):
        self.secret_value = "hidden"

    def __repr__(self):
        return "Opaque(...)"


class Plain:
    def __init__(self):
        self.host = "db.internal"
        self.dsn = "postgres://app:pw@db.internal/app"
        self.port = 5432


def _explode_with_locals():
    user_id = 42
    ratio = 0.25
    flag = True
    nothing = None
    password = "hunter2"
    my_token = "abc"
    note = "nothing secret here"
    database_url = "postgresql://admin:s3cr3t-pass@db.example.com:5432/app"
    header = "Authorization: Bearer abcdefghijklmnop123456"
    basic = "Basic YWxhZGRpbjpvcGVuc2VzYW1l"
    innocuous = "Zx9#kL2$mQ7&vB4!pR8wT3"
    aws = "AKIAIOSFODNN7EXAMPLE"
    stripe = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
    uuid_like = "550e8400-e29b-41d4-a716-446655440000"
    unicode_text = "héllo wörld ✓"
    items = [1, "two", 3.5, None, {"api_key": "k", "name": "n"}]
    nested = {"level1": {"level2": {"secret": "s", "ok": "fine"}}, 7: "seven", None: "none"}
    account = Account("ann", "pw", 10)
    point = Point(1, 2, "t")
    opaque = Opaque()
    plain = Plain()
    long_text = "x" * 3000
    medium = "word " * 300
    __dunder = "ignored"
    raise PaymentError("with locals")


_CLIENT = None


def _capture_with_locals():
    # The catching frame's only local is the exception: the clients stay out of it.
    try:
        _explode_with_locals()
    except PaymentError as e:
        return _CLIENT.capture_exception(e, distinct_id="u-vars")


@scenario
def exc_code_variables(ph, srv):
    """capture_exception_code_variables: locals of in-app frames, masked (names, values,
    URL credentials, Authorization values, secrets, size limits)."""
    posthog = client(ph, srv, capture_exception_code_variables=True)
    custom = client(
        ph,
        srv,
        capture_exception_code_variables=True,
        code_variables_mask_patterns=["(?i)^note$", "^user_"],
        code_variables_ignore_patterns=["(?i)ratio"],
        code_variables_mask_url_credentials=False,
        code_variables_detect_secrets=False,
    )
    out = {}
    global _CLIENT
    for name, c in (("default", posthog), ("custom", custom)):
        _CLIENT = c
        out[name] = attempt(_capture_with_locals)
    _CLIENT = None
    out.update(close(posthog))
    out["custom_shutdown"] = close(custom)
    return out


@scenario
def exc_code_variables_context(ph, srv):
    """The context's code-variable overrides (`set_capture_exception_code_variables_context`
    and the pattern setters) on a client that has code variables off."""
    global _CLIENT
    posthog = client(ph, srv)
    _CLIENT = posthog
    out = {}
    with ph.new_context():
        ph.set_capture_exception_code_variables_context(True)
        ph.set_code_variables_mask_patterns_context(["(?i)^note$"])
        ph.set_code_variables_ignore_patterns_context(["^user_"])
        ph.set_code_variables_mask_url_credentials_context(False)
        ph.set_code_variables_detect_secrets_context(False)
        out["inside"] = attempt(_capture_with_locals)
    out["outside"] = attempt(_capture_with_locals)
    _CLIENT = None
    out.update(close(posthog))
    return out
