"""posthog_sdk: a PostHog client for Python on a shared Rust core.

>>> from posthog_sdk import Client
>>> with Client("phc_...", host="https://eu.i.posthog.com") as posthog:  # doctest: +SKIP
...     posthog.capture("signed_up", distinct_id="user-1", properties={"plan": "pro"})
"""

from . import _native, admin, flags
from ._native import FlagsSnapshot
from .admin import AdminClient, AsyncAdminClient, Pager
from .client import DEFAULT_SHUTDOWN_TIMEOUT, Client, FlagValue, FlushReport, Stats
from .errors import (
    ClosedError,
    ConfigError,
    ConflictError,
    ForbiddenError,
    InconclusiveError,
    InvalidInputError,
    InvalidKeyError,
    InvalidRequestError,
    NotFoundError,
    PostHogError,
    PostHogIOError,
    QueueFullError,
    QuotaLimitedError,
    RateLimitedError,
    ServerError,
    TimeoutError,
    TooLargeError,
    TransportError,
    UnauthorizedError,
    UnexpectedError,
)

from .query import ExportReport, QueryResult, QueryStatus

__version__: str = _native.__version__

__all__ = [
    "Client",
    "AdminClient",
    "AsyncAdminClient",
    "Pager",
    "QueryResult",
    "QueryStatus",
    "ExportReport",
    "admin",
    "FlushReport",
    "Stats",
    "FlagsSnapshot",
    "FlagValue",
    "flags",
    "DEFAULT_SHUTDOWN_TIMEOUT",
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
    "__version__",
]
