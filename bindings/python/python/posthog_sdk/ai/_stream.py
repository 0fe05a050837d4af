"""Streams handed back to the caller unchanged, recording each chunk on the way through."""

from typing import Any, AsyncIterator, Iterator, Optional

from ._capture import Call


class StreamWrapper:
    """Iterates the provider's stream; the event is captured when it ends, fails or closes."""

    def __init__(self, stream: Any, call: Call) -> None:
        self._stream = stream
        self._call = call
        self._done = False
        call.streaming()

    def __iter__(self) -> Iterator[Any]:
        try:
            for chunk in self._stream:
                self._call.chunk(chunk)
                yield chunk
        except Exception as exc:
            self._end(exc)
            raise
        finally:
            self._end(None)

    def __next__(self) -> Any:
        try:
            chunk = next(self._stream)
        except StopIteration:
            self._end(None)
            raise
        except Exception as exc:
            self._end(exc)
            raise
        self._call.chunk(chunk)
        return chunk

    def _end(self, error: Optional[BaseException]) -> None:
        if not self._done:
            self._done = True
            self._call.finish(error=error)

    def close(self) -> None:
        """Closes the provider's stream and captures what was received."""
        try:
            close = getattr(self._stream, "close", None)
            if callable(close):
                close()
        finally:
            self._end(None)

    def __enter__(self) -> "StreamWrapper":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class AsyncStreamWrapper:
    """The async twin of :class:`StreamWrapper`."""

    def __init__(self, stream: Any, call: Call) -> None:
        self._stream = stream
        self._call = call
        self._done = False
        call.streaming()

    async def _gen(self) -> AsyncIterator[Any]:
        try:
            async for chunk in self._stream:
                self._call.chunk(chunk)
                yield chunk
        except Exception as exc:
            self._end(exc)
            raise
        finally:
            self._end(None)

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._gen()

    async def __anext__(self) -> Any:
        try:
            chunk = await self._stream.__anext__()
        except StopAsyncIteration:
            self._end(None)
            raise
        except Exception as exc:
            self._end(exc)
            raise
        self._call.chunk(chunk)
        return chunk

    def _end(self, error: Optional[BaseException]) -> None:
        if not self._done:
            self._done = True
            self._call.finish(error=error)

    async def close(self) -> None:
        """Closes the provider's stream and captures what was received."""
        try:
            close: Any = getattr(self._stream, "close", None)
            if close is not None:
                closing: Any = close()
                await closing
        finally:
            self._end(None)

    async def __aenter__(self) -> "AsyncStreamWrapper":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
