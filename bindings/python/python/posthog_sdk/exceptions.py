"""Error tracking: a Python exception described as data for the core.

This module only reads what Python alone can see — the exception chain (``__cause__`` /
``__context__``), exception-group members, traceback frames and their locals — and hands
it to the core (``_native.exception_properties``), which builds ``$exception_list`` as
posthog-python 7.91.1 sends it: mechanism, in-app rules, context lines, masking of code
variables. :class:`ExceptionCapture` installs the ``sys.excepthook`` and
``threading.excepthook`` of ``enable_exception_autocapture``.
"""

from __future__ import annotations

import builtins
import dataclasses
import json
import linecache
import logging
import math
import os
import sys
import threading
import types
import warnings
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Set, Tuple, Type, Union

from . import _native
from .errors import InvalidInputError

if TYPE_CHECKING:
    from .posthog import Posthog

__all__ = ["ExcInfo", "exc_info_from_error", "exception_input", "exception_properties"]

ExcInfo = Tuple[Optional[Type[BaseException]], Optional[BaseException], Optional[types.TracebackType]]

#: Most entries of one ``$exception_list`` (the core keeps the same bound).
MAX_EXCEPTIONS = 50
#: Most exception-group members looked at in one capture (posthog-python's budget).
MAX_GROUP_INSPECTIONS = 1000
# Bounds of what is rendered of one local variable (posthog_core::exception::variables).
_MAX_DEPTH = 12
_MAX_NODES = 100
_MAX_ITEMS = 50
_MAX_TEXT = 2049  # one more than the core scans: longer texts are redacted there

_log = logging.getLogger("posthog")

_CAPTURED = "__posthog_exception_captured"
_CAPTURED_UUID = "__posthog_exception_uuid"
_SYNTHESIZED = "__posthog_synthesized_traceback"
_SDK_PACKAGE = __name__.partition(".")[0]

_BaseExceptionGroup: Optional[type] = getattr(builtins, "BaseExceptionGroup", None)


# ---- which exception -----------------------------------------------------------------


def already_captured(error: Any) -> bool:
    """posthog-python's mark: an exception captured once is not captured again."""
    value = error[1] if isinstance(error, tuple) and len(error) > 1 else error
    return isinstance(value, BaseException) and hasattr(value, _CAPTURED)


def mark_captured(error: Any, uuid: str) -> None:
    value = error[1] if isinstance(error, tuple) and len(error) > 1 else error
    if isinstance(value, BaseException):
        try:
            setattr(value, _CAPTURED, True)
            setattr(value, _CAPTURED_UUID, uuid)
        except Exception:
            pass


class _Synthesized:
    """The traceback the SDK built for an exception that was never raised."""

    __slots__ = ("traceback",)

    def __init__(self, traceback: types.TracebackType) -> None:
        self.traceback = traceback

    def __reduce__(self) -> Any:
        return (type(None), ())


def _is_sdk_frame(frame: types.FrameType) -> bool:
    module = frame.f_globals.get("__name__") or ""
    return bool(module == _SDK_PACKAGE or module.startswith(_SDK_PACKAGE + "."))


def _synthesize_traceback(error: BaseException) -> None:
    """posthog-python's ``construct_artificial_traceback``: the current stack (without the
    SDK's own frames) becomes the traceback of an exception that was never raised."""
    if getattr(error, "__traceback__", None) is not None:
        return
    frames: List[types.FrameType] = []
    frame: Optional[types.FrameType] = sys._getframe(0)
    while frame is not None:
        if frames or not _is_sdk_frame(frame):
            frames.append(frame)
        frame = frame.f_back
    tb: Optional[types.TracebackType] = None
    for f in frames:
        tb = types.TracebackType(tb, f, f.f_lasti, f.f_lineno)
    if tb is not None:
        error.__traceback__ = tb
        setattr(error, _SYNTHESIZED, _Synthesized(tb))


def exc_info_from_error(error: Any) -> ExcInfo:
    """The ``(type, value, traceback)`` of an exception or an exc_info tuple; a never-raised
    exception gets a synthetic traceback. Anything else raises ``InvalidInputError``."""
    if isinstance(error, tuple) and len(error) == 3:
        return (error[0], error[1], error[2])
    if not isinstance(error, BaseException):
        raise InvalidInputError(
            f"Expected Exception object to report, got {type(error).__qualname__}!",
            kind="invalid_input",
        )
    try:
        _synthesize_traceback(error)
    except Exception:
        pass
    tb = getattr(error, "__traceback__", None)
    if tb is None:
        current = sys.exc_info()
        tb = current[2] if current[1] is error else None
    return (type(error), error, tb)


# ---- the exception as data ---------------------------------------------------------------


def _hidden(frame: types.FrameType) -> bool:
    try:
        if str(frame.f_globals["__name__"]).startswith("sentry_sdk."):
            return True
    except Exception:
        pass
    for flag in ("__traceback_hide__", "__tracebackhide__"):
        try:
            if frame.f_locals[flag]:
                return True
        except Exception:
            pass
    return False


def _visible(tb: Optional[types.TracebackType]) -> List[types.TracebackType]:
    out = []
    while tb is not None:
        if not _hidden(tb.tb_frame):
            out.append(tb)
        tb = tb.tb_next
    return out


def _filename_for_module(module: Optional[str], abs_path: Optional[str]) -> Optional[str]:
    if not abs_path or not module:
        return abs_path
    try:
        if abs_path.endswith(".pyc"):
            abs_path = abs_path[:-1]
        base = module.split(".", 1)[0]
        if base == module:
            return os.path.basename(abs_path)
        base_path = sys.modules[base].__file__
        if not base_path:
            return abs_path
        return abs_path.split(base_path.rsplit(os.sep, 2)[0], 1)[-1].lstrip(os.sep)
    except Exception:
        return abs_path


def _frame(tb: types.TracebackType) -> Dict[str, Any]:
    frame = tb.tb_frame
    code = getattr(frame, "f_code", None)
    path = code.co_filename if code is not None else None
    function = code.co_name if code is not None else None
    try:
        module = frame.f_globals["__name__"]
    except Exception:
        module = None
    module = module if isinstance(module, str) else None
    out: Dict[str, Any] = {
        "filename": _filename_for_module(module, path) or None,
        "abs_path": os.path.abspath(path) if path else None,
        "function": function or "<unknown>",
        "module": module,
        "lineno": tb.tb_lineno if tb.tb_lineno is not None else frame.f_lineno,
    }
    if path and not os.path.isfile(path):
        # Source the core cannot read from a file (a zip import, a notebook cell, code
        # registered in linecache): the module's loader, else linecache, as posthog-python.
        source = _loader_source(frame, module, path)
        if source:
            out["source"] = source
    return out


_MAX_SOURCE_LINES = 100_000


def _loader_source(frame: types.FrameType, module: Optional[str], path: str) -> Optional[List[str]]:
    lines: Optional[List[str]] = None
    try:
        loader = frame.f_globals.get("__loader__")
        if loader is not None and hasattr(loader, "get_source"):
            text = loader.get_source(module)
            if isinstance(text, str):
                lines = text.splitlines()
    except Exception:
        lines = None
    if lines is None:
        try:
            lines = linecache.getlines(path)
        except Exception:
            return None
    return lines if 0 < len(lines) <= _MAX_SOURCE_LINES else None


def _safe_str(value: Any) -> str:
    try:
        return str(value)
    except Exception:
        try:
            return repr(value)
        except Exception:
            return "<broken repr>"


def _message(exc: BaseException) -> str:
    message = getattr(exc, "message", "") or getattr(exc, "detail", "") or exc
    return _safe_str(message)


def _json_scalar(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    return _safe_str(value)


class _Walk:
    def __init__(self) -> None:
        self.seen: Set[int] = set()
        self.keep: List[BaseException] = []  # ids stay unique while walking
        self.count = 0
        self.inspected = 0

    def entry(
        self, exc_type: Optional[type], exc: Optional[BaseException], tb: Optional[types.TracebackType]
    ) -> Optional[Dict[str, Any]]:
        if exc is not None:
            if id(exc) in self.seen or self.count >= MAX_EXCEPTIONS:
                return None
            self.seen.add(id(exc))
            self.keep.append(exc)
        self.count += 1
        out: Dict[str, Any] = {
            "type": (getattr(exc_type, "__qualname__", None) or getattr(exc_type, "__name__", None)),
            "module": getattr(exc_type, "__module__", None),
            "value": _message(exc) if exc is not None else "None",
            "frames": [_frame(t) for t in _visible(tb)],
        }
        if not isinstance(out["type"], str):
            out["type"] = None
        if not isinstance(out["module"], str):
            out["module"] = None
        marker = getattr(exc, _SYNTHESIZED, None) if exc is not None else None
        out["synthetic"] = tb is not None and isinstance(marker, _Synthesized) and marker.traceback is tb
        errno = getattr(exc, "errno", None) if exc is not None else None
        if errno is not None:
            out["meta"] = {"errno": {"number": _json_scalar(errno)}}
        if exc is None:
            return out
        if getattr(exc, "__suppress_context__", False):
            cause, source = getattr(exc, "__cause__", None), "cause"
        else:
            cause, source = getattr(exc, "__context__", None), "context"
        if isinstance(cause, BaseException) and self.count < MAX_EXCEPTIONS:
            child = self.entry(type(cause), cause, getattr(cause, "__traceback__", None))
            if child is not None:
                out["cause"] = child
                out["cause_source"] = source
        if _BaseExceptionGroup is not None and isinstance(exc, _BaseExceptionGroup):
            out["exception_group"] = True
            members: List[Dict[str, Any]] = []
            for member in getattr(exc, "exceptions", ()):
                if self.count >= MAX_EXCEPTIONS or self.inspected >= MAX_GROUP_INSPECTIONS:
                    break
                self.inspected += 1
                if not isinstance(member, BaseException):
                    continue
                child = self.entry(type(member), member, getattr(member, "__traceback__", None))
                if child is not None:
                    members.append(child)
            if members:
                out["members"] = members
        return out


# ---- code variables ----------------------------------------------------------------------


def _key(key: Any) -> Dict[str, Any]:
    try:
        text = key if isinstance(key, str) else str(key)
    except Exception:
        return {}
    text = text[:_MAX_TEXT]
    if isinstance(key, str):
        return {"k": text, "kind": "str"}
    if key is None or isinstance(key, (bool, int)) or (isinstance(key, float) and math.isfinite(key)):
        # json.dumps' spelling of the key
        return {"k": text, "kind": "scalar", "o": json.dumps(key)}
    return {"k": text, "kind": "other"}


_METHOD_TYPES = (
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    types.MethodDescriptorType,
    types.WrapperDescriptorType,
    types.MethodWrapperType,
    types.ClassMethodDescriptorType,
    classmethod,
    staticmethod,
)


def _members(value: Any) -> List[str]:
    names: List[str] = []
    try:
        mro = type(value).__mro__
    except Exception:
        return names
    for klass in mro:
        if klass is object:
            continue
        for name, attr in vars(klass).items():
            if isinstance(name, str) and not isinstance(attr, type) and not isinstance(attr, _METHOD_TYPES):
                names.append(name)
    return names


def _class_name(value: Any) -> str:
    try:
        return str(type(value).__qualname__)
    except Exception:
        return "unknown"


def _render(value: Any, seen: Set[int], depth: int) -> Any:
    """A local variable as the core's masking reads it (``variables::Rendered``): bounded,
    JSON only, nothing masked yet."""
    t = type(value)
    if t is str:
        return value[:_MAX_TEXT]
    if t is bool or t is int or value is None:
        return value
    if t is float:
        return value if math.isfinite(value) else str(value)
    if t is not dict and t is not list and t is not tuple:
        if isinstance(value, str):
            return str.__str__(value)[:_MAX_TEXT]
        if isinstance(value, bool):
            return bool(value)
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return float(value) if math.isfinite(value) else str(value)
    if depth >= _MAX_DEPTH:
        return {"$too_long": True}
    if id(value) in seen:
        return {"$circular": True}
    seen.add(id(value))
    if len(seen) > _MAX_NODES:
        return {"$too_long": True}
    if isinstance(value, dict):
        if len(value) > _MAX_ITEMS:
            return {"$too_long": True}
        return {"$map": _entries(list(value.items()), seen, depth)}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        fields = getattr(value, "_fields")
        if len(fields) > _MAX_ITEMS:
            return {"$too_long": True}
        return {"$map": _entries(list(zip(fields, value)), seen, depth), "$class": _class_name(value)}
    if isinstance(value, (list, tuple)):
        if len(value) > _MAX_ITEMS:
            return {"$too_long": True}
        return {"$seq": [_render(v, seen, depth + 1) for v in value]}
    attrs: Optional[Dict[str, Any]] = None
    if not isinstance(value, type):
        try:
            if dataclasses.is_dataclass(value):
                attrs = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
            else:
                d = getattr(value, "__dict__", None)
                attrs = dict(d) if isinstance(d, dict) and d else None
        except Exception:
            attrs = None
    if attrs is not None:
        if len(attrs) > _MAX_ITEMS:
            return {"$too_long": True}
        return {"$map": _entries(list(attrs.items()), seen, depth), "$class": _class_name(value)}
    out: Dict[str, Any] = {"$class": _class_name(value), "$members": _members(value)}
    try:
        out["$repr"] = repr(value)[:_MAX_TEXT]
    except Exception:
        pass
    return out


def _entries(items: List[Tuple[Any, Any]], seen: Set[int], depth: int) -> List[Dict[str, Any]]:
    out = []
    for key, value in items:
        entry = _key(key)
        entry["v"] = _render(value, seen, depth + 1)
        out.append(entry)
    return out


class _Refused(Exception):
    """``json.dumps`` would refuse the value (a cycle, a key it cannot write, NaN)."""


_PLAIN_NODES = 10_000


def _repr_of(value: Any) -> Dict[str, Any]:
    try:
        return {"$repr": repr(value)[:_MAX_TEXT]}
    except Exception:
        return {"$class": _class_name(value)}


def _render_plain(value: Any, stack: List[int], count: List[int]) -> Any:
    """A value as ``json.dumps(value, default=repr)`` sees it (nothing to mask)."""
    count[0] += 1
    if count[0] > _PLAIN_NODES:
        raise _Refused()
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return str.__str__(value)[:_MAX_TEXT]
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _Refused()
        return float(value)
    if isinstance(value, (dict, list, tuple)):
        if id(value) in stack:
            raise _Refused()
        stack.append(id(value))
        try:
            if isinstance(value, dict):
                entries = []
                for key, item in value.items():
                    if isinstance(key, str):
                        entry: Dict[str, Any] = {"k": str.__str__(key)[:_MAX_TEXT], "kind": "str"}
                    elif key is None or isinstance(key, (bool, int, float)):
                        entry = {"k": str(key), "kind": "scalar", "o": json.dumps(key)}
                    else:
                        raise _Refused()
                    entry["v"] = _render_plain(item, stack, count)
                    entries.append(entry)
                return {"$map": entries}
            return {"$seq": [_render_plain(item, stack, count) for item in value]}
        finally:
            stack.pop()
    return _repr_of(value)


def _frame_vars(frame: types.FrameType, plain: bool = False) -> List[List[Any]]:
    try:
        local_vars = frame.f_locals.copy()
    except Exception:
        return []
    out = []
    for name, value in local_vars.items():
        try:
            if not plain or value is None or isinstance(value, (bool, int, float, str)):
                rendered = _render(value, set(), 0)
            else:
                try:
                    rendered = {"$json": _render_plain(value, [], [0])}
                except _Refused:
                    rendered = _repr_of(value)
            out.append([str(name), rendered])
        except Exception:
            out.append([str(name), {"$class": _class_name(value)}])
    return out


def _masks_nothing(options: Dict[str, Any]) -> bool:
    config = options.get("code_variables") or {}
    return (
        config.get("mask_patterns") == []
        and config.get("mask_url_credentials") is False
        and config.get("detect_secrets") is False
    )


# ---- the public helpers ------------------------------------------------------------------


def exception_input(
    exc_info: ExcInfo, code_variables: bool = False, plain: bool = False
) -> Dict[str, Any]:
    """The core's ``ExceptionInput`` for an exc_info: the exception, its causes and group
    members (at most 50), frames outermost first; with ``code_variables`` the locals of the
    exception's own frames (masked by the core, only in-app frames keep them; ``plain``:
    nothing is to be masked, so they are rendered as ``json.dumps`` writes them)."""
    exc_type, exc, tb = exc_info
    walk = _Walk()
    top = walk.entry(exc_type, exc, tb) or {}
    if code_variables and tb is not None:
        for frame_data, item in zip(top.get("frames", []), _visible(tb)):
            frame_data["vars"] = _frame_vars(item.tb_frame, plain)
    return top


def exception_properties(
    exc_info: ExcInfo,
    options: Dict[str, Any],
    properties: Optional[Dict[str, Any]] = None,
    code_variables: bool = False,
) -> Dict[str, Any]:
    """The ``$exception`` properties for an exc_info (``options``: the core's
    ``ExceptionOptions``); ``properties`` (the caller's) win."""
    data = exception_input(exc_info, code_variables, _masks_nothing(options))
    settings = json.dumps(options)
    try:
        return _native.exception_properties(json.dumps(data), settings, properties)
    except InvalidInputError:
        # A lone surrogate (from a bytes-decoded message or local) is not text the core
        # takes: it becomes U+FFFD.
        text = json.dumps(data, ensure_ascii=False)
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        return _native.exception_properties(text, settings, properties)


_RESERVED = frozenset(_native.exception_reserved_properties())


def warn_reserved(properties: Dict[str, Any]) -> None:
    """posthog-python's ``DeprecationWarning`` when the caller's properties override the
    SDK's ``$exception_*`` ones (they still win); never raised as an error."""
    overrides = _RESERVED.intersection(properties)
    if not overrides:
        return
    try:
        warnings.warn(
            "Reserved exception properties passed through `capture_exception(properties=...)` "
            "currently override SDK-owned metadata, but this behavior is deprecated and will be "
            "removed in the next major version: " + ", ".join(sorted(overrides)),
            DeprecationWarning,
            stacklevel=4,
        )
    except DeprecationWarning:
        pass


def otel_properties() -> Dict[str, str]:
    """``$trace_id`` / ``$span_id`` of the active OpenTelemetry span, when there is one."""
    try:
        from opentelemetry import trace  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return {}
    try:
        ctx = trace.get_current_span().get_span_context()
        if not ctx.is_valid:
            return {}
        return {"$trace_id": f"{ctx.trace_id:032x}", "$span_id": f"{ctx.span_id:016x}"}
    except Exception:
        return {}


# ---- autocapture -------------------------------------------------------------------------

_Hook = Callable[..., Any]


class ExceptionCapture:
    """``enable_exception_autocapture``: ``sys.excepthook`` and ``threading.excepthook``
    capture the uncaught exception (mechanism ``onuncaughtexception``, ``handled: false``),
    then call the hooks that were installed before."""

    def __init__(
        self,
        client: "Posthog",
        rate_limiting: bool = False,
        bucket_size: float = 50,
        refill_rate: float = 10,
        refill_interval_seconds: float = 10,
    ) -> None:
        self.client = client
        self.closed = False
        # enable_exception_autocapture_rate_limiting: a bucket per exception type (the core's).
        self.limiter: Optional[_native.ExceptionRateLimiter] = (
            _native.ExceptionRateLimiter(
                float(bucket_size), float(refill_rate), float(refill_interval_seconds)
            )
            if rate_limiting
            else None
        )
        self.previous_excepthook: _Hook = sys.excepthook
        self.previous_threading_excepthook: _Hook = threading.excepthook
        sys.excepthook = self.exception_handler
        threading.excepthook = self.thread_exception_handler

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if sys.excepthook == self.exception_handler:
            sys.excepthook = _resolve(self.previous_excepthook, "exception_handler", "previous_excepthook")
        if threading.excepthook == self.thread_exception_handler:
            threading.excepthook = _resolve(
                self.previous_threading_excepthook,
                "thread_exception_handler",
                "previous_threading_excepthook",
            )

    def _capture(self, exc_info: ExcInfo, level: str, source: str) -> None:
        try:
            if self.limiter is not None:
                key = getattr(exc_info[0], "__name__", None) or "Exception"
                if self.limiter.consume(str(key)):
                    _log.info(
                        "Skipping exception capture because of client rate limiting. exception=%s",
                        key,
                    )
                    return
            self.client._capture_exception(
                exc_info,
                {
                    "level": level,
                    "source": source,
                    "mechanism": {"type": "onuncaughtexception", "handled": False},
                },
            )
        except Exception:
            pass

    def exception_handler(
        self,
        exc_type: Type[BaseException],
        exc_value: BaseException,
        exc_traceback: Optional[types.TracebackType],
    ) -> None:
        if not self.closed:
            # Sent by the client's exit handler, as any queued event.
            self._capture((exc_type, exc_value, exc_traceback), "fatal", "python.sys_excepthook")
        _resolve(self.previous_excepthook, "exception_handler", "previous_excepthook")(
            exc_type, exc_value, exc_traceback
        )

    def thread_exception_handler(self, args: Any) -> None:
        if not self.closed:
            self._capture(
                (args.exc_type, args.exc_value, args.exc_traceback),
                "error",
                "python.threading_excepthook",
            )
        _resolve(
            self.previous_threading_excepthook,
            "thread_exception_handler",
            "previous_threading_excepthook",
        )(args)


def _resolve(hook: _Hook, handler: str, previous: str) -> _Hook:
    """Skips the hooks of closed captures, keeping the chain."""
    for _ in range(1000):
        owner = getattr(hook, "__self__", None)
        if not isinstance(owner, ExceptionCapture) or not owner.closed:
            return hook
        if hook != getattr(owner, handler):
            return hook
        hook = getattr(owner, previous)
    return hook


Capturable = Union[BaseException, ExcInfo, None]
