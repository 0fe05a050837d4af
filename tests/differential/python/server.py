"""The test server: start it, and its HTTP control API (urllib only, so both packages'
subprocesses can use it without importing anything of either)."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import urllib.request
from pathlib import Path
from typing import Any, Dict, List, Optional

REPO = Path(__file__).resolve().parents[3]
SERVER_BIN = os.environ.get(
    "POSTHOG_TESTSERVER_BIN",
    str(REPO / "target" / "debug" / ("posthog-testserver" + (".exe" if os.name == "nt" else ""))),
)


class Server:
    """A handle on a running test server (its URL and control calls)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def _call(self, path: str, body: Optional[Any] = None, timeout: float = 30.0) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.url + path,
            data=data,
            method="GET" if body is None else "POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read().decode() or "null")

    def events(self) -> List[Dict[str, Any]]:
        return self._call("/_test/events")

    def requests(self) -> List[Dict[str, Any]]:
        return self._call("/_test/requests")

    def faults(self, faults: List[Dict[str, Any]]) -> None:
        """Each fault may name its `route`: capture (default), flags, definitions."""
        self._call("/_test/faults", faults)

    def flag_overrides(self, overrides: Dict[str, Any]) -> None:
        self._call("/_test/flags/overrides", overrides)

    def quota_limited(self, on: bool) -> None:
        self._call("/_test/flags/quota_limited", {"on": on})

    def flag_definitions(self, definitions: Dict[str, Any]) -> str:
        return str(self._call("/_test/flags/definitions", definitions)["etag"])

    def reset(self) -> None:
        self._call("/_test/reset", {})

    def wait(self, events: int = 0, requests: int = 0, timeout_ms: int = 5000) -> bool:
        """Long-polls until at least `events` are stored and `requests` recorded."""
        answer = self._call(
            f"/_test/wait?events={events}&requests={requests}&timeout_ms={timeout_ms}",
            timeout=timeout_ms / 1000 + 10,
        )
        return bool(answer["ok"])


class ServerProcess:
    """Starts the binary on a free port and stops it (only the process it started)."""

    def __init__(self) -> None:
        if not os.path.exists(SERVER_BIN):
            raise RuntimeError(f"{SERVER_BIN} is missing: run `cargo build -p posthog-testserver`")
        self.proc = subprocess.Popen(
            [SERVER_BIN, "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        first: List[str] = []
        reader = threading.Thread(
            target=lambda: first.append(self.proc.stdout.readline()),  # type: ignore[union-attr]
            daemon=True,
        )
        reader.start()
        reader.join(30)
        url = first[0].strip() if first else ""
        if not url.startswith("http://127.0.0.1:"):
            self.stop()
            raise RuntimeError(f"the test server did not start (first line {url!r})")
        self.server = Server(url)

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait(10)
