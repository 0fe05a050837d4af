"""``AsyncPosthog``: :class:`posthog_sdk.Posthog` for asyncio.

Queueing calls (``capture``, ``set``, ``alias``…) never block, so they stay plain methods, as
in posthog-python's ``AsyncPosthog``. Every call that may wait (flush, shutdown, flags, the
definitions load) is a coroutine that runs the blocking call in a worker thread (the native
side releases the GIL while it waits), so the event loop never blocks. Contexts
(``new_context``…) follow the calling task: the worker thread runs in a copy of it.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from typing import Any, Callable, Dict, List, Mapping, Optional, TypeVar, Union

from .client import FlagValue, FlushReport
from .posthog import ID_TYPES, FeatureFlagEvaluations, Posthog

__all__ = ["AsyncPosthog"]

_T = TypeVar("_T")


async def _in_thread(func: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    loop = asyncio.get_running_loop()
    ctx = contextvars.copy_context()
    return await loop.run_in_executor(None, functools.partial(ctx.run, func, *args, **kwargs))


class AsyncPosthog(Posthog):
    """The same constructor as :class:`Posthog` (posthog-python's ``AsyncPosthog`` takes a
    subset of it); the waiting calls are awaitable."""

    async def capture_immediate(self, event: str, **kwargs: Any) -> Optional[str]:
        """Captures, then waits until the event is delivered (or failed)."""
        uuid = Posthog.capture(self, event, **kwargs)
        await self.flush()
        return uuid

    async def flush(self, timeout_seconds: Optional[float] = 10) -> Optional[FlushReport]:  # type: ignore[override]
        return await _in_thread(Posthog.flush, self, timeout_seconds)

    async def shutdown(self) -> None:  # type: ignore[override]
        await _in_thread(Posthog.shutdown, self)

    async def join(self) -> None:  # type: ignore[override]
        await _in_thread(Posthog.shutdown, self)

    async def load_feature_flags(self) -> None:  # type: ignore[override]
        await _in_thread(Posthog.load_feature_flags, self)

    async def evaluate_flags(  # type: ignore[override]
        self,
        distinct_id: Optional[ID_TYPES] = None,
        *,
        groups: Optional[Mapping[str, Union[str, int]]] = None,
        person_properties: Optional[Dict[str, Any]] = None,
        group_properties: Optional[Dict[str, Dict[str, Any]]] = None,
        only_evaluate_locally: bool = False,
        disable_geoip: Optional[bool] = None,
        flag_keys: Optional[List[str]] = None,
        device_id: Optional[str] = None,
    ) -> FeatureFlagEvaluations:
        return await _in_thread(
            Posthog.evaluate_flags,
            self,
            distinct_id,
            groups=groups,
            person_properties=person_properties,
            group_properties=group_properties,
            only_evaluate_locally=only_evaluate_locally,
            disable_geoip=disable_geoip,
            flag_keys=flag_keys,
            device_id=device_id,
        )

    async def feature_enabled(  # type: ignore[override]
        self, key: str, distinct_id: ID_TYPES, **kwargs: Any
    ) -> Optional[bool]:
        """As :meth:`Posthog.feature_enabled` (same keyword options)."""
        return await _in_thread(Posthog.feature_enabled, self, key, distinct_id, **kwargs)

    async def get_feature_flag(  # type: ignore[override]
        self, key: str, distinct_id: ID_TYPES, **kwargs: Any
    ) -> Optional[FlagValue]:
        """As :meth:`Posthog.get_feature_flag` (same keyword options)."""
        return await _in_thread(Posthog.get_feature_flag, self, key, distinct_id, **kwargs)

    async def get_feature_flag_payload(
        self, key: str, distinct_id: ID_TYPES, **kwargs: Any
    ) -> Optional[object]:
        """As :meth:`Posthog.get_feature_flag_payload` (same keyword options)."""
        return await _in_thread(Posthog.get_feature_flag_payload, self, key, distinct_id, **kwargs)

    async def get_all_flags(  # type: ignore[override]
        self, distinct_id: ID_TYPES, **kwargs: Any
    ) -> Optional[Dict[str, FlagValue]]:
        """As :meth:`Posthog.get_all_flags` (same keyword options)."""
        return await _in_thread(Posthog.get_all_flags, self, distinct_id, **kwargs)

    async def get_all_flags_and_payloads(  # type: ignore[override]
        self, distinct_id: ID_TYPES, **kwargs: Any
    ) -> Dict[str, Dict[str, Any]]:
        """As :meth:`Posthog.get_all_flags_and_payloads` (same keyword options)."""
        return await _in_thread(Posthog.get_all_flags_and_payloads, self, distinct_id, **kwargs)

    async def get_remote_config_payload(self, key: str) -> Any:
        return Posthog.get_remote_config_payload(self, key)
