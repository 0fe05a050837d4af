"""The exceptions of posthog_sdk: one class per error kind of the core.

Every class derives from :class:`PostHogError` and from the builtin exception that fits, so
``except ValueError`` catches a bad key and ``except ConnectionError`` a failed connection.
"""

from __future__ import annotations

import builtins
from typing import Any, Dict, Mapping, Optional, Type

__all__ = [
    "PostHogError",
    "ConfigError",
    "InvalidKeyError",
    "InvalidInputError",
    "TransportError",
    "TimeoutError",
    "RateLimitedError",
    "UnauthorizedError",
    "ForbiddenError",
    "InvalidRequestError",
    "TooLargeError",
    "QuotaLimitedError",
    "NotFoundError",
    "ConflictError",
    "ServerError",
    "QueueFullError",
    "ClosedError",
    "UnexpectedError",
    "InconclusiveError",
    "PostHogIOError",
]


class PostHogError(Exception):
    """Base class of every error posthog_sdk raises or reports to ``on_error``.

    Attributes:
        kind: the stable snake_case kind, e.g. ``"invalid_key"`` or ``"server"``.
        status: the HTTP status behind the error, when there was one.
        request_id: the request id PostHog echoed, when known.
        retry_after: seconds PostHog asked to wait (``RateLimitedError``, a 503), when given.
        scope: the missing scope (``ForbiddenError``), when PostHog named one.
        attr: the field PostHog blamed (``InvalidRequestError``), when it named one.
        reason: why local flag evaluation could not decide (``InconclusiveError``).
        checkpoint: where a stopped ``AdminClient.export`` can resume (a dict), else ``None``.
    """

    kind: str = "unknown"

    def __init__(
        self,
        message: str,
        *,
        kind: Optional[str] = None,
        status: Optional[int] = None,
        request_id: Optional[str] = None,
        retry_after: Optional[int] = None,
        scope: Optional[str] = None,
        attr: Optional[str] = None,
        reason: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        if kind is not None:
            self.kind = kind
        self.message = message
        self.status = status
        self.request_id = request_id
        self.retry_after = retry_after
        self.scope = scope
        self.attr = attr
        self.reason = reason
        self.checkpoint: Optional[Dict[str, Any]] = None

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, kind={self.kind!r}, status={self.status!r})"


class ConfigError(PostHogError, ValueError):
    """An option is invalid (host, sizes, intervals…)."""

    kind = "config"


class InvalidKeyError(PostHogError, ValueError):
    """A key is missing, malformed, or of the wrong type (e.g. a personal ``phx_`` key)."""

    kind = "invalid_key"


class InvalidInputError(PostHogError, ValueError):
    """An event or argument is not acceptable (empty name, unconvertible property…)."""

    kind = "invalid_input"


class TransportError(PostHogError, ConnectionError):
    """The connection failed before an answer arrived."""

    kind = "transport"


class TimeoutError(PostHogError, builtins.TimeoutError):  # noqa: A001 - deliberate
    """A request, a flush or a shutdown did not finish in time."""

    kind = "timeout"


class RateLimitedError(PostHogError, RuntimeError):
    """PostHog answered 429; ``retry_after`` holds its Retry-After when given."""

    kind = "rate_limited"


class UnauthorizedError(PostHogError, PermissionError):
    """PostHog rejected the key (401)."""

    kind = "unauthorized"


class ForbiddenError(PostHogError, PermissionError):
    """PostHog refused the request for this key (403), e.g. a missing ``scope``."""

    kind = "forbidden"


class InvalidRequestError(PostHogError, ValueError):
    """PostHog refused the request as malformed (400 and other 4xx)."""

    kind = "invalid_request"


class TooLargeError(PostHogError, ValueError):
    """The payload is too large (413, or one event over the size limit)."""

    kind = "too_large"


class QuotaLimitedError(PostHogError, RuntimeError):
    """The project is over its quota (402)."""

    kind = "quota_limited"


class NotFoundError(PostHogError, LookupError):
    """The resource does not exist (404)."""

    kind = "not_found"


class ConflictError(PostHogError, RuntimeError):
    """The request conflicts with the current state (409)."""

    kind = "conflict"


class ServerError(PostHogError, RuntimeError):
    """PostHog failed (5xx)."""

    kind = "server"


class QueueFullError(PostHogError, RuntimeError):
    """The queue was full and an event was dropped."""

    kind = "queue_full"


class ClosedError(PostHogError, RuntimeError):
    """The client was shut down."""

    kind = "closed"


class UnexpectedError(PostHogError, RuntimeError):
    """Something answered that PostHog never answers."""

    kind = "unexpected"


class InconclusiveError(PostHogError, LookupError):
    """Local flag evaluation cannot decide (``posthog_sdk.flags``); ``reason`` says why:
    ``experience_continuity``, ``unsupported_definition``, ``unresolved_dependency``,
    ``missing_context`` or ``unknown_flag``. Not ``False``: only PostHog's servers can answer."""

    kind = "inconclusive"


class PostHogIOError(PostHogError, OSError):
    """Reading or writing a local file or stream failed (e.g. an export's output). When a
    Python file object's ``write`` raised, that exception is the ``__cause__``."""

    kind = "io"


#: The class of each kind. A kind missing here becomes a bare PostHogError (and fails the tests).
ERROR_CLASSES: Dict[str, Type[PostHogError]] = {
    cls.kind: cls
    for cls in (
        ConfigError,
        InvalidKeyError,
        InvalidInputError,
        TransportError,
        TimeoutError,
        RateLimitedError,
        UnauthorizedError,
        ForbiddenError,
        InvalidRequestError,
        TooLargeError,
        QuotaLimitedError,
        NotFoundError,
        ConflictError,
        ServerError,
        QueueFullError,
        ClosedError,
        UnexpectedError,
        InconclusiveError,
        PostHogIOError,
    )
}


def _from_native(
    kind: str, message: str, status: Optional[int], extra: Mapping[str, Any]
) -> PostHogError:
    """Builds the exception for a core error (called by the native module)."""
    cls = ERROR_CLASSES.get(kind, PostHogError)
    return cls(message, kind=kind, status=status, **dict(extra))
