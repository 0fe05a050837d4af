"""``OpenAI`` and ``AsyncOpenAI`` that capture ``$ai_generation`` / ``$ai_embedding`` events
(posthog-python's ``posthog.ai.openai``): chat completions, the responses API and
embeddings, sync and async, streamed or not. Every wrapped method also takes
``posthog_distinct_id``, ``posthog_trace_id``, ``posthog_properties``,
``posthog_privacy_mode``, ``posthog_groups`` and ``posthog_provider_override``."""

from functools import cached_property
from typing import Any, Dict, Optional

import openai

from ._wrap import Resource, run_async, run_sync

__all__ = ["OpenAI", "AsyncOpenAI"]


def _with_usage(kwargs: Dict[str, Any]) -> None:
    # A streamed chat completion reports usage only when asked (as posthog.ai does).
    options = kwargs.get("stream_options")
    kwargs["stream_options"] = {**(options if isinstance(options, dict) else {}), "include_usage": True}


def _client(posthog_client: Any) -> Any:
    if posthog_client is not None:
        return posthog_client
    from .._default import setup

    return setup()


class _Completions(Resource):
    def create(self, **kwargs: Any) -> Any:
        """``chat.completions.create``, captured as ``$ai_generation``."""
        return run_sync(self._owner, "chat", self._original.create, kwargs, _with_usage)


class _Chat(Resource):
    @property
    def completions(self) -> _Completions:
        return _Completions(self._owner, self._original.completions)


class _Responses(Resource):
    def create(self, **kwargs: Any) -> Any:
        """``responses.create``, captured as ``$ai_generation``."""
        return run_sync(self._owner, "responses", self._original.create, kwargs)


class _Embeddings(Resource):
    def create(self, **kwargs: Any) -> Any:
        """``embeddings.create``, captured as ``$ai_embedding``."""
        return run_sync(self._owner, "embeddings", self._original.create, kwargs)


class OpenAI(openai.OpenAI):
    """``openai.OpenAI`` whose calls are captured through ``posthog_client`` (else the
    module-level default client)."""

    def __init__(self, posthog_client: Optional[Any] = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._ph_client = _client(posthog_client)

    @cached_property
    def chat(self) -> _Chat:  # type: ignore[override]
        """``chat``, whose ``completions.create`` is captured."""
        return _Chat(self, super().chat)

    @cached_property
    def responses(self) -> _Responses:  # type: ignore[override]
        """``responses``, whose ``create`` is captured."""
        return _Responses(self, super().responses)

    @cached_property
    def embeddings(self) -> _Embeddings:  # type: ignore[override]
        """``embeddings``, whose ``create`` is captured."""
        return _Embeddings(self, super().embeddings)


class _AsyncCompletions(Resource):
    async def create(self, **kwargs: Any) -> Any:
        """``chat.completions.create``, captured as ``$ai_generation``."""
        return await run_async(self._owner, "chat", self._original.create, kwargs, _with_usage)


class _AsyncChat(Resource):
    @property
    def completions(self) -> _AsyncCompletions:
        return _AsyncCompletions(self._owner, self._original.completions)


class _AsyncResponses(Resource):
    async def create(self, **kwargs: Any) -> Any:
        """``responses.create``, captured as ``$ai_generation``."""
        return await run_async(self._owner, "responses", self._original.create, kwargs)


class _AsyncEmbeddings(Resource):
    async def create(self, **kwargs: Any) -> Any:
        """``embeddings.create``, captured as ``$ai_embedding``."""
        return await run_async(self._owner, "embeddings", self._original.create, kwargs)


class AsyncOpenAI(openai.AsyncOpenAI):
    """``openai.AsyncOpenAI`` whose calls are captured through ``posthog_client``."""

    def __init__(self, posthog_client: Optional[Any] = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._ph_client = _client(posthog_client)

    @cached_property
    def chat(self) -> _AsyncChat:  # type: ignore[override]
        """``chat``, whose ``completions.create`` is captured."""
        return _AsyncChat(self, super().chat)

    @cached_property
    def responses(self) -> _AsyncResponses:  # type: ignore[override]
        """``responses``, whose ``create`` is captured."""
        return _AsyncResponses(self, super().responses)

    @cached_property
    def embeddings(self) -> _AsyncEmbeddings:  # type: ignore[override]
        """``embeddings``, whose ``create`` is captured."""
        return _AsyncEmbeddings(self, super().embeddings)
