"""posthog_sdk: a PostHog client for Python on a shared Rust core.

>>> from posthog_sdk import Client
>>> with Client("phc_...", host="https://eu.i.posthog.com") as posthog:  # doctest: +SKIP
...     posthog.capture("signed_up", distinct_id="user-1", properties={"plan": "pro"})
"""

from . import _native, flags
from ._native import FlagsSnapshot
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

__version__: str = _native.__version__

__all__ = [
    "Client",
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
    "__version__",
]
