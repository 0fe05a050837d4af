"""The wrapped provider methods: sync and async, streamed or not."""

import asyncio
from typing import Any, Callable, Dict, Optional

from ._capture import Call, split_args
from ._stream import AsyncStreamWrapper, StreamWrapper


class Resource:
    """A provider resource whose other attributes are the original's."""

    def __init__(self, owner: Any, original: Any) -> None:
        self._owner = owner
        self._original = original

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)


def run_sync(
    owner: Any, api: str, method: Callable[..., Any], kwargs: Dict[str, Any],
    prepare: Optional[Callable[[Dict[str, Any]], None]] = None,
) -> Any:
    ph = split_args(kwargs)
    streamed = bool(kwargs.get("stream")) and api != "embeddings"
    if streamed and prepare is not None:
        prepare(kwargs)
    call = Call(owner._ph_client, api, kwargs, ph, owner.base_url)
    if streamed:
        call.streaming()
    try:
        result = method(**kwargs)
    except Exception as exc:
        call.finish(error=exc)
        raise
    if streamed:
        return StreamWrapper(result, call)
    call.finish(response=result)
    return result


async def run_async(
    owner: Any, api: str, method: Callable[..., Any], kwargs: Dict[str, Any],
    prepare: Optional[Callable[[Dict[str, Any]], None]] = None,
) -> Any:
    ph = split_args(kwargs)
    streamed = bool(kwargs.get("stream")) and api != "embeddings"
    if streamed and prepare is not None:
        prepare(kwargs)
    call = Call(owner._ph_client, api, kwargs, ph, owner.base_url)
    if streamed:
        call.streaming()
    try:
        result = await method(**kwargs)
    except asyncio.CancelledError:
        call.finish(cancelled=True)
        raise
    except Exception as exc:
        call.finish(error=exc)
        raise
    if streamed:
        return AsyncStreamWrapper(result, call)
    call.finish(response=result)
    return result
