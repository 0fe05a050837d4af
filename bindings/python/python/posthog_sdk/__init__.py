"""posthog_sdk: a PostHog client for Python on a shared Rust core.

A drop-in for posthog-python: ``from posthog_sdk import Posthog`` (or the module-level API,
``posthog_sdk.api_key = "phc_..."; posthog_sdk.capture("event", distinct_id="u")``).

>>> from posthog_sdk import Client
>>> with Client("phc_...", host="https://eu.i.posthog.com") as posthog:  # doctest: +SKIP
...     posthog.capture("signed_up", distinct_id="user-1", properties={"plan": "pro"})
"""

from typing import Any, Callable, Dict, List, Optional

from . import _native, admin, contexts, flags
from ._default import (
    alias,
    capture,
    capture_exception,
    evaluate_flags,
    feature_enabled,
    flush,
    get_all_flags,
    get_all_flags_and_payloads,
    get_feature_flag,
    get_feature_flag_payload,
    get_feature_flag_result,
    get_remote_config_payload,
    group_identify,
    join,
    load_feature_flags,
    set,
    set_once,
    setup,
    shutdown,
)
from .aio import AsyncPosthog
from .contexts import (
    get_tags,
    identify_context,
    new_context,
    scoped,
    set_capture_exception_code_variables_context,
    set_code_variables_detect_secrets_context,
    set_code_variables_ignore_patterns_context,
    set_code_variables_mask_patterns_context,
    set_code_variables_mask_url_credentials_context,
    set_context_device_id,
    set_context_session,
    tag,
)
from .posthog import ID_TYPES, FeatureFlagEvaluations, Posthog
from ._native import FlagsSnapshot
from .admin import AdminClient, AsyncAdminClient, Pager
from .client import DEFAULT_SHUTDOWN_TIMEOUT, Client, FlagValue, FlushReport, RecordCipher, Stats
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
VERSION: str = __version__

# ---- module-level settings of the default client (posthog-python's names and defaults) ----
api_key: Optional[str] = None
project_api_key: Optional[str] = None
host: Optional[str] = None
on_error: Optional[Callable[[Exception, List[Any]], Any]] = None
debug: bool = False
send: bool = True
sync_mode: bool = False
disabled: bool = False
personal_api_key: Optional[str] = None
secret_key: Optional[str] = None
poll_interval: int = 30
disable_geoip: bool = True
feature_flags_request_timeout_seconds: float = 3
super_properties: Optional[Dict[str, Any]] = None
before_send: Optional[Callable[[Dict[str, Any]], Optional[Dict[str, Any]]]] = None
enable_local_evaluation: bool = True
#: posthog-python's ``flag_definition_cache_provider`` (see :mod:`posthog_sdk.flags`).
flag_definition_cache_provider: Optional[Any] = None
#: The client the module-level functions use (built by ``setup()`` on first use).
default_client: Optional[Posthog] = None

__all__ = [
    "Posthog",
    "AsyncPosthog",
    "FeatureFlagEvaluations",
    "ID_TYPES",
    "VERSION",
    "contexts",
    "setup",
    "capture",
    "set",
    "set_once",
    "alias",
    "group_identify",
    "capture_exception",
    "feature_enabled",
    "get_feature_flag",
    "get_feature_flag_payload",
    "get_feature_flag_result",
    "get_remote_config_payload",
    "get_all_flags",
    "get_all_flags_and_payloads",
    "evaluate_flags",
    "load_feature_flags",
    "flush",
    "join",
    "shutdown",
    "new_context",
    "scoped",
    "tag",
    "get_tags",
    "identify_context",
    "set_context_session",
    "set_context_device_id",
    "set_capture_exception_code_variables_context",
    "set_code_variables_mask_patterns_context",
    "set_code_variables_ignore_patterns_context",
    "set_code_variables_mask_url_credentials_context",
    "set_code_variables_detect_secrets_context",
    "api_key",
    "project_api_key",
    "host",
    "on_error",
    "debug",
    "send",
    "sync_mode",
    "disabled",
    "personal_api_key",
    "secret_key",
    "poll_interval",
    "disable_geoip",
    "feature_flags_request_timeout_seconds",
    "super_properties",
    "before_send",
    "enable_local_evaluation",
    "flag_definition_cache_provider",
    "default_client",
    "Client",
    "RecordCipher",
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
