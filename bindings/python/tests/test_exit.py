"""Events captured just before interpreter exit are delivered by the bounded atexit flush:
with ``Posthog`` and with the module-level default client (posthog-python's API)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

from conftest import API_KEY, TestServer


def run(script: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True, text=True, timeout=60, env=dict(os.environ),
    )


def test_posthog_delivers_at_exit(server: TestServer) -> None:
    proc = run(
        f"""
        from posthog_sdk import Posthog
        posthog = Posthog({API_KEY!r}, host={server.url!r}, flush_at=1000, flush_interval=3600)
        for i in range(3):
            assert posthog.capture("at_exit", distinct_id="d", properties={{"i": i}})
        """
    )
    assert proc.returncode == 0, proc.stderr
    events = server.wait(3)
    assert sorted(e["properties"]["i"] for e in events) == [0, 1, 2]


def test_module_level_default_client_delivers_at_exit(server: TestServer) -> None:
    start = time.monotonic()
    proc = run(
        f"""
        import posthog_sdk
        posthog_sdk.api_key = {API_KEY!r}
        posthog_sdk.host = {server.url!r}
        for i in range(3):
            assert posthog_sdk.capture("module_exit", distinct_id="d", properties={{"i": i}})
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert time.monotonic() - start < 30
    events = server.wait(3)
    assert sorted(e["properties"]["i"] for e in events) == [0, 1, 2]
    assert {e["event"] for e in events} == {"module_exit"}
