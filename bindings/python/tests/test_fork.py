"""Fork safety: a client made before ``fork()`` works in the child (os.register_at_fork)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from conftest import API_KEY, TestServer

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


@pytest.mark.parametrize("api", ["Client", "Posthog", "module"])
def test_parent_and_child_both_deliver_after_fork(server: TestServer, api: str) -> None:
    make = {
        "Client": f"c = posthog_sdk.Client({API_KEY!r}, host={server.url!r}, flush_at=1000, "
        "flush_interval=3600)\ncap = lambda e: c.capture(e, 'd')",
        "Posthog": f"c = posthog_sdk.Posthog({API_KEY!r}, host={server.url!r}, flush_at=1000, "
        "flush_interval=3600)\ncap = lambda e: c.capture(e, distinct_id='d')",
        "module": f"posthog_sdk.api_key = {API_KEY!r}\nposthog_sdk.host = {server.url!r}\n"
        "cap = lambda e: posthog_sdk.capture(e, distinct_id='d')",
    }[api]
    script = "import os, sys, posthog_sdk\n" + make + textwrap.dedent(
        """
        assert cap("before_fork")          # still queued at the fork
        pid = os.fork()
        if pid == 0:
            assert cap("child")
            sys.exit(0)                    # the child's atexit hook delivers
        assert cap("parent")
        _, status = os.waitpid(pid, 0)
        print("child status", status)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
        env=dict(os.environ),
    )
    assert proc.returncode == 0, proc.stderr
    assert "child status 0" in proc.stdout
    events = server.wait(3)
    names = sorted(e["event"] for e in events)
    assert names == ["before_fork", "child", "parent"]  # each once: nothing duplicated
    assert len({e["uuid"] for e in events}) == 3


def test_fork_in_process_child_exits_cleanly(server: TestServer) -> None:
    """A real os.fork() of this process: the child captures, flushes and exits."""
    import posthog_sdk

    client = posthog_sdk.Posthog(API_KEY, host=server.url, flush_at=1000, flush_interval=3600)
    try:
        client.capture("pre", distinct_id="d")
        pid = os.fork()
        if pid == 0:  # pragma: no cover - child
            code = 1
            try:
                ok = client.capture("in_child", distinct_id="d") is not None
                report = client.flush(10)
                code = 0 if ok and report is not None and report.sent == 1 else 2
            finally:
                os._exit(code)
        client.capture("in_parent", distinct_id="d")
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        client.flush(10)
        events = server.wait(3)
        assert sorted(e["event"] for e in events) == ["in_child", "in_parent", "pre"]
    finally:
        client.shutdown()
