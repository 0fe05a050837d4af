"""``Anthropic`` and ``AsyncAnthropic`` that capture ``$ai_generation`` events for
``messages.create`` (posthog-python's ``posthog.ai.anthropic``), sync and async, streamed or
not, with the same ``posthog_*`` arguments as the OpenAI wrappers."""

from functools import cached_property
from typing import Any, Optional

import anthropic

from ._wrap import Resource, run_async, run_sync

__all__ = ["Anthropic", "AsyncAnthropic"]


def _client(posthog_client: Any) -> Any:
    if posthog_client is not None:
        return posthog_client
    from .._default import setup

    return setup()


class _Messages(Resource):
    def create(self, **kwargs: Any) -> Any:
        """``messages.create``, captured as ``$ai_generation``."""
        return run_sync(self._owner, "anthropic_messages", self._original.create, kwargs)


class _AsyncMessages(Resource):
    async def create(self, **kwargs: Any) -> Any:
        """``messages.create``, captured as ``$ai_generation``."""
        return await run_async(self._owner, "anthropic_messages", self._original.create, kwargs)


class Anthropic(anthropic.Anthropic):
    """``anthropic.Anthropic`` whose calls are captured through ``posthog_client``."""

    def __init__(self, posthog_client: Optional[Any] = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._ph_client = _client(posthog_client)

    @cached_property
    def messages(self) -> _Messages:  # type: ignore[override]
        """``messages``, whose ``create`` is captured."""
        return _Messages(self, super().messages)


class AsyncAnthropic(anthropic.AsyncAnthropic):
    """``anthropic.AsyncAnthropic`` whose calls are captured through ``posthog_client``."""

    def __init__(self, posthog_client: Optional[Any] = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._ph_client = _client(posthog_client)

    @cached_property
    def messages(self) -> _AsyncMessages:  # type: ignore[override]
        """``messages``, whose ``create`` is captured."""
        return _AsyncMessages(self, super().messages)
