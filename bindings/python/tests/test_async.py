"""AsyncPosthog: awaitable flush/shutdown/flags that do not block the event loop."""

from __future__ import annotations

import asyncio
import time

from conftest import API_KEY, TestServer
from posthog_sdk import AsyncPosthog, new_context, identify_context


def test_async_capture_flush_flags_shutdown(server: TestServer) -> None:
    server.flag_overrides({"beta": {"value": True, "payload": None}})

    async def main() -> None:
        ph = AsyncPosthog(API_KEY, host=server.url, flush_at=1000, flush_interval=3600)
        with new_context():
            identify_context("ctx")
            assert ph.capture("a")  # plain method: queueing never blocks
            assert await ph.get_feature_flag("beta", "u") is True
            assert await ph.feature_enabled("beta", "u") is True
            flags = await ph.evaluate_flags(flag_keys=["beta"])  # the context's distinct id
            assert flags.is_enabled("beta")
        report = await ph.flush()
        assert report is not None and report.sent >= 1
        assert await ph.capture_immediate("b", distinct_id="u")
        await ph.shutdown()

    asyncio.run(main())
    events = {e["event"]: e for e in server.wait(2)}
    assert events["a"]["distinct_id"] == "ctx"


def test_async_flush_does_not_block_the_loop(server: TestServer) -> None:
    server.faults([{"latency_ms": 800}])

    async def main() -> int:
        ph = AsyncPosthog(API_KEY, host=server.url, flush_at=1000, flush_interval=3600)
        ph.capture("slow", distinct_id="u")
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.02)
                ticks += 1

        t = asyncio.create_task(ticker())
        start = time.monotonic()
        await ph.flush()
        elapsed = time.monotonic() - start
        t.cancel()
        await ph.shutdown()
        assert elapsed >= 0.5, elapsed
        return ticks

    assert asyncio.run(main()) >= 10
