"""posthog_sdk: a PostHog client for Python on a shared Rust core.

>>> from posthog_sdk import Client
>>> with Client("phc_...", host="https://eu.i.posthog.com") as posthog:  # doctest: +SKIP
...     posthog.capture("signed_up", distinct_id="user-1", properties={"plan": "pro"})
"""

from . import _native
from .client import DEFAULT_SHUTDOWN_TIMEOUT, Client, FlushReport, Stats
from .errors import (
    ClosedError,
    ConfigError,
    ConflictError,
    ForbiddenError,
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
    "__version__",
]
