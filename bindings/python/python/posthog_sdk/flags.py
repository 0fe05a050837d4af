"""Local feature-flag evaluation with no client and no I/O: the core's evaluator, for scripts,
tests and tools.

>>> from posthog_sdk.flags import LocalEvaluator
>>> ev = LocalEvaluator({"flags": [{"id": 1, "key": "beta", "active": True,
...     "filters": {"groups": [{"properties": [], "rollout_percentage": 100}]}}]})
>>> ev.evaluate("beta", "user-1")
(True, None)

Each answer is the one PostHog's official SDKs give locally (the shared conformance vectors
check it). A flag or filter that cannot be decided locally raises
:class:`~posthog_sdk.InconclusiveError`, whose ``reason`` says why; it is not ``False``.

Also here: the flag-definitions cache provider (posthog-python's
``flag_definition_cache_provider``): the :class:`FlagDefinitionCacheProvider` protocol, the
shipped :class:`FileFlagDefinitionCache`, and the records of ``get_flags_decision``
(:class:`FeatureFlag`, :class:`FlagReason`, :class:`FlagMetadata`).
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from dataclasses import dataclass
from typing import (
    Any,
    Awaitable,
    Dict,
    List,
    Mapping,
    Optional,
    Protocol,
    TypedDict,
    Union,
    runtime_checkable,
)

from ._native import FileFlagDefinitionCache, FlagsSnapshot, LocalEvaluator, flag_hash, match_property
from .errors import InconclusiveError

__all__ = [
    "LocalEvaluator",
    "match_property",
    "flag_hash",
    "FlagsSnapshot",
    "InconclusiveError",
    "FlagDefinitionCacheData",
    "FlagDefinitionCacheProvider",
    "FileFlagDefinitionCache",
    "FeatureFlag",
    "FlagReason",
    "FlagMetadata",
    "LegacyFlagMetadata",
]


class _FlagDefinitionCacheFields(TypedDict):
    flags: List[Dict[str, Any]]
    group_type_mapping: Dict[str, str]
    cohorts: Dict[str, Any]


class FlagDefinitionCacheData(_FlagDefinitionCacheFields, total=False):
    """The definitions a cache provider stores and returns (the definitions endpoint's
    document, as posthog-python hands it over)."""

    minimal_flag_called_events: bool
    property_matching_version: int


@runtime_checkable
class FlagDefinitionCacheProvider(Protocol):
    """posthog-python's cache provider protocol: many processes share one fetch of the
    local-evaluation definitions. Before each poll the client asks
    ``should_fetch_flag_definitions()`` (take a lock: one process answers ``True``); that
    process fetches and hands new definitions to ``on_flag_definitions_received(data)``
    (store them, release the lock); the others call ``get_flag_definitions()`` (``None``
    when empty: a process with nothing loaded then fetches anyway). ``shutdown()`` runs when
    the client shuts down. A method may be ``async``; whatever a method raises is logged and
    never breaks evaluation (``should_fetch`` and ``get`` failing mean fetch)."""

    def get_flag_definitions(
        self,
    ) -> Union[Optional[FlagDefinitionCacheData], Awaitable[Optional[FlagDefinitionCacheData]]]: ...

    def should_fetch_flag_definitions(self) -> Union[bool, Awaitable[bool]]: ...

    def on_flag_definitions_received(
        self, data: FlagDefinitionCacheData
    ) -> Optional[Awaitable[None]]: ...

    def shutdown(self) -> Optional[Awaitable[None]]: ...


_PROVIDER_TIMEOUT = 10.0
_loop: Optional[asyncio.AbstractEventLoop] = None
_loop_lock = threading.Lock()


def _run_awaitable(awaitable: Awaitable[Any]) -> Any:
    """Runs an awaitable a provider returned on this module's own event loop thread (as
    posthog-python's async runner does), bounded."""
    global _loop
    with _loop_lock:
        if _loop is None or _loop.is_closed():
            _loop = asyncio.new_event_loop()
            threading.Thread(
                target=_loop.run_forever, name="posthog-cache-provider", daemon=True
            ).start()
        loop = _loop

    async def wait() -> Any:
        return await awaitable

    return asyncio.run_coroutine_threadsafe(wait(), loop).result(_PROVIDER_TIMEOUT)


def _call_provider(provider: Any, method: str, data: Any) -> Any:
    """Called by the core's poller (on its thread) for each protocol call."""
    fn = getattr(provider, method)
    result = fn(data) if method == "on_flag_definitions_received" else fn()
    if inspect.isawaitable(result):
        result = _run_awaitable(result)
    if method == "should_fetch_flag_definitions":
        return bool(result)
    if method == "get_flag_definitions":
        return dict(result) if result else None
    return None


@dataclass(frozen=True)
class FlagReason:
    """Why ``/flags`` decided a flag (posthog-python's ``FlagReason``)."""

    code: str
    condition_index: Optional[int]
    description: str

    @classmethod
    def from_json(cls, resp: Any) -> Optional["FlagReason"]:
        if not resp:
            return None
        return cls(
            code=resp.get("code", ""),
            condition_index=resp.get("condition_index"),
            description=resp.get("description", ""),
        )


@dataclass(frozen=True)
class LegacyFlagMetadata:
    """Metadata of a record without any: only the payload."""

    payload: Any


@dataclass(frozen=True)
class FlagMetadata:
    """A flag record's metadata (posthog-python's ``FlagMetadata``); ``payload`` is the
    payload's JSON text as the server sent it."""

    id: Optional[int]
    payload: Optional[str]
    version: Optional[int]
    description: str
    has_experiment: Optional[bool] = None

    @classmethod
    def from_json(cls, resp: Any) -> Union["FlagMetadata", LegacyFlagMetadata]:
        if not resp:
            return LegacyFlagMetadata(payload=None)
        has_experiment = resp.get("has_experiment")
        return cls(
            id=resp.get("id"),
            payload=resp.get("payload"),
            version=resp.get("version"),
            description=resp.get("description", ""),
            has_experiment=has_experiment if isinstance(has_experiment, bool) else None,
        )


@dataclass(frozen=True)
class FeatureFlag:
    """One flag of a ``get_flags_decision`` answer (posthog-python's ``FeatureFlag``)."""

    key: str
    enabled: bool
    variant: Optional[str]
    reason: Optional[FlagReason]
    metadata: Union[FlagMetadata, LegacyFlagMetadata]

    def get_value(self) -> Union[bool, str]:
        """The variant of a multivariate flag, else whether the flag is enabled."""
        return self.variant or self.enabled

    @classmethod
    def from_json(cls, key: str, resp: Mapping[str, Any]) -> "FeatureFlag":
        metadata = resp.get("metadata")
        if resp.get("failed") is True and metadata:
            metadata = {**metadata, "payload": None}
        return cls(
            key=key,
            enabled=resp.get("enabled"),  # type: ignore[arg-type]
            variant=resp.get("variant"),
            reason=FlagReason.from_json(resp.get("reason")),
            metadata=FlagMetadata.from_json(metadata),
        )


def _decision(raw: Dict[str, Any]) -> Dict[str, Any]:
    """The core's normalised ``/flags`` answer with its records as :class:`FeatureFlag`."""
    flags = raw.get("flags") or {}
    raw["flags"] = {key: FeatureFlag.from_json(key, record) for key, record in flags.items()}
    return raw
