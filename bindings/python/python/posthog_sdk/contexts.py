"""Contexts as in posthog-python: ``with new_context(): identify_context(...); tag(...)``.

Pure API plumbing over :mod:`contextvars`: a context holds a distinct id, a session id, a
device id and tags; :class:`posthog_sdk.Posthog` reads them when an event is captured inside
it. Each asyncio task and each thread sees its own context.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import os
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, List, Optional, TypeVar

__all__ = [
    "new_context",
    "scoped",
    "tag",
    "get_tags",
    "identify_context",
    "set_context_session",
    "set_context_device_id",
    "get_context_distinct_id",
    "get_context_session_id",
    "get_context_device_id",
    "set_capture_exception_code_variables_context",
    "set_code_variables_mask_patterns_context",
    "set_code_variables_ignore_patterns_context",
    "set_code_variables_mask_url_credentials_context",
    "set_code_variables_detect_secrets_context",
]

_F = TypeVar("_F", bound=Callable[..., Any])


class _Scope:
    __slots__ = (
        "parent",
        "fresh",
        "distinct_id",
        "session_id",
        "device_id",
        "tags",
        "generation",
        "code_variables",
    )

    def __init__(self, parent: Optional["_Scope"], fresh: bool) -> None:
        self.parent = parent
        self.fresh = fresh
        self.distinct_id: Optional[str] = None
        self.session_id: Optional[str] = None
        self.device_id: Optional[str] = None
        self.tags: Dict[str, Any] = {}
        self.generation = _generation
        #: Code-variable overrides of error tracking (``set_*_context``), by option name.
        self.code_variables: Dict[str, Any] = {}

    def _inherited(self, attr: str) -> Optional[str]:
        scope: Optional[_Scope] = self
        while scope is not None:
            value: Optional[str] = getattr(scope, attr)
            if value is not None or scope.fresh:
                return value
            scope = scope.parent
        return None

    def code_variable_option(self, name: str) -> Any:
        scope: Optional[_Scope] = self
        while scope is not None:
            if name in scope.code_variables:
                return scope.code_variables[name]
            if scope.fresh:
                return None
            scope = scope.parent
        return None

    def collect_tags(self) -> Dict[str, Any]:
        chain = []
        scope: Optional[_Scope] = self
        while scope is not None:
            chain.append(scope)
            if scope.fresh:
                break
            scope = scope.parent
        tags: Dict[str, Any] = {}
        for s in reversed(chain):  # inner scopes win
            tags.update(s.tags)
        return tags


_stack: "contextvars.ContextVar[Optional[_Scope]]" = contextvars.ContextVar(
    "posthog_sdk_context", default=None
)
#: Bumped in a forked child: contexts entered before the fork do not leak into it.
_generation = 0


def _reset_after_fork() -> None:
    global _generation
    _generation += 1
    _stack.set(None)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def _current() -> Optional[_Scope]:
    scope = _stack.get()
    if scope is not None and scope.generation != _generation:
        return None
    return scope


def _default_capture_exceptions(client: Optional[Any]) -> bool:
    """posthog-python's default for ``capture_exceptions``: the client's
    ``enable_exception_autocapture`` (the module's default client when none is given)."""
    if client is None:
        import sys

        client = getattr(sys.modules.get("posthog_sdk"), "default_client", None)
    return bool(getattr(client, "enable_exception_autocapture", False))


@contextmanager
def new_context(
    fresh: bool = False,
    capture_exceptions: Optional[bool] = None,
    client: Optional[Any] = None,
) -> Iterator[None]:
    """A context for the ``with`` block: tags, the distinct id (``identify_context``) and the
    session id set inside it apply to events captured inside it. ``fresh=True`` inherits
    nothing from the enclosing context. With ``capture_exceptions`` (default: the client's
    ``enable_exception_autocapture``), an exception raised in the block is captured, with the
    context's tags and distinct id, by ``client`` (else the module's default client), then
    re-raised."""
    capture = (
        capture_exceptions
        if capture_exceptions is not None
        else _default_capture_exceptions(client)
    )
    scope = _Scope(_current(), fresh)
    token = _stack.set(scope)
    try:
        yield
    except Exception as e:
        if capture:
            try:
                if client is not None:
                    client.capture_exception(e)
                else:
                    from ._default import capture_exception

                    capture_exception(e)
            except Exception:  # never in place of the application's exception
                pass
        raise
    finally:
        if scope.generation == _generation:
            try:
                _stack.reset(token)
            except ValueError:  # left in another context (e.g. a generator): fall back
                _stack.set(scope.parent)


def scoped(
    fresh: bool = False, capture_exceptions: Optional[bool] = None, client: Optional[Any] = None
) -> Callable[[_F], _F]:
    """A decorator: runs the function inside ``new_context(fresh, capture_exceptions,
    client)``."""

    def decorator(func: _F) -> _F:
        if inspect.iscoroutinefunction(func):
            # An `async def` (FastAPI style): the context must wrap the awaited body.
            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with new_context(fresh=fresh, capture_exceptions=capture_exceptions, client=client):
                    return await func(*args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with new_context(fresh=fresh, capture_exceptions=capture_exceptions, client=client):
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def tag(name: str, value: Any) -> None:
    """Adds a tag (an event property) to the current context; outside a context, nothing."""
    scope = _current()
    if scope is not None:
        scope.tags[name] = value


def in_context() -> bool:
    """Whether a context is active (``new_context`` / ``@scoped``)."""
    return _current() is not None


def get_tags() -> Dict[str, Any]:
    """The tags of the current context (a copy)."""
    scope = _current()
    return scope.collect_tags() if scope is not None else {}


def identify_context(distinct_id: str) -> None:
    """Events captured in this context (and its children) without a ``distinct_id`` use this
    one. Outside a context, nothing."""
    scope = _current()
    if scope is not None:
        scope.distinct_id = distinct_id


def set_context_session(session_id: str) -> None:
    """Events captured in this context get ``$session_id``. Outside a context, nothing."""
    scope = _current()
    if scope is not None:
        scope.session_id = session_id


def set_context_device_id(device_id: str) -> None:
    """Flag calls in this context use this ``device_id`` unless given one."""
    scope = _current()
    if scope is not None:
        scope.device_id = device_id


def _set_code_variables_option(name: str, value: Any) -> None:
    scope = _current()
    if scope is not None:
        scope.code_variables[name] = value


def set_capture_exception_code_variables_context(enabled: bool) -> None:
    """Exceptions captured in this context include code variables (or not), whatever the
    client's ``capture_exception_code_variables``. Outside a context, nothing."""
    _set_code_variables_option("capture_exception_code_variables", enabled)


def set_code_variables_mask_patterns_context(mask_patterns: List[str]) -> None:
    """The ``code_variables_mask_patterns`` of exceptions captured in this context."""
    _set_code_variables_option("code_variables_mask_patterns", list(mask_patterns))


def set_code_variables_ignore_patterns_context(ignore_patterns: List[str]) -> None:
    """The ``code_variables_ignore_patterns`` of exceptions captured in this context."""
    _set_code_variables_option("code_variables_ignore_patterns", list(ignore_patterns))


def set_code_variables_mask_url_credentials_context(enabled: bool) -> None:
    """The ``code_variables_mask_url_credentials`` of exceptions captured in this context."""
    _set_code_variables_option("code_variables_mask_url_credentials", enabled)


def set_code_variables_detect_secrets_context(enabled: bool) -> None:
    """The ``code_variables_detect_secrets`` of exceptions captured in this context."""
    _set_code_variables_option("code_variables_detect_secrets", enabled)


def get_code_variables_context(name: str) -> Any:
    """The current context's override of a code-variable option (``None``: not set)."""
    scope = _current()
    return scope.code_variable_option(name) if scope is not None else None


def get_context_distinct_id() -> Optional[str]:
    scope = _current()
    return scope._inherited("distinct_id") if scope is not None else None


def get_context_session_id() -> Optional[str]:
    scope = _current()
    return scope._inherited("session_id") if scope is not None else None


def get_context_device_id() -> Optional[str]:
    scope = _current()
    return scope._inherited("device_id") if scope is not None else None
