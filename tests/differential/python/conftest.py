"""The one test server of the session (each run resets it)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from server import Server, ServerProcess  # noqa: E402


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    try:
        proc = ServerProcess()
    except RuntimeError as e:
        pytest.fail(str(e))
    try:
        yield proc.server
    finally:
        proc.stop()
