"""Fixtures: the local posthog-testserver binary and clients pointed at it."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import urllib.request
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest

import posthog_sdk

REPO = Path(__file__).resolve().parents[3]
SERVER_BIN = os.environ.get(
    "POSTHOG_TESTSERVER_BIN",
    str(REPO / "target" / "debug" / ("posthog-testserver" + (".exe" if os.name == "nt" else ""))),
)
API_KEY = "phc_pythonbindingtestkey"
#: The flags secure key the test server knows (scope: read definitions).
SECURE_KEY = "phs_testsecurekey"
#: The definitions the test server serves by default (53 flags).
FLAG_DEFINITIONS = REPO / "crates" / "posthog-flags" / "tests" / "data" / "flag_definitions.json"


class TestServer:
    """The test server's HTTP control API, over urllib only."""

    __test__ = False  # not a test class

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

    def stats(self) -> Dict[str, Any]:
        return self._call("/_test/stats")

    def faults(self, faults: List[Dict[str, Any]]) -> None:
        self._call("/_test/faults", faults)

    def flag_overrides(self, overrides: Dict[str, Any]) -> None:
        """`{"key": {"value": …, "payload": …}}`: what /flags answers for those keys."""
        self._call("/_test/flags/overrides", overrides)

    def quota_limited(self, on: bool) -> None:
        self._call("/_test/flags/quota_limited", {"on": on})

    def flag_definitions(self, definitions: Dict[str, Any]) -> str:
        """Serves these definitions; returns the new ETag."""
        return str(self._call("/_test/flags/definitions", definitions)["etag"])

    def personal_key(self, scopes: List[str]) -> str:
        """Registers a new personal key with these scopes; answers it."""
        import secrets

        key = "phx_test_" + secrets.token_hex(8)
        self.post("/_test/keys", {key: scopes})
        return key

    def post(self, path: str, body: Any) -> Any:
        """Any control call, e.g. ``post("/_test/keys", {"phx_k": ["feature_flag:read"]})``."""
        return self._call(path, body)

    def reset(self) -> None:
        self._call("/_test/reset", {})

    def wait(self, events: int, timeout_ms: int = 10_000) -> List[Dict[str, Any]]:
        """Waits until at least `events` are stored and returns them all."""
        answer = self._call(
            f"/_test/wait?events={events}&timeout_ms={timeout_ms}", timeout=timeout_ms / 1000 + 10
        )
        assert answer["ok"], f"expected {events} events, the server has {answer['events']}"
        return self.events()


@pytest.fixture(scope="session")
def server_session() -> Iterator[TestServer]:
    if not os.path.exists(SERVER_BIN):
        pytest.fail(f"{SERVER_BIN} is missing: run `cargo build -p posthog-testserver`")
    proc = subprocess.Popen(
        [SERVER_BIN, "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    first: List[str] = []
    reader = threading.Thread(target=lambda: first.append(proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(30)
    url = first[0].strip() if first else ""
    if not url.startswith("http://127.0.0.1:"):
        proc.kill()
        pytest.fail(f"the test server did not start (first line {url!r})")
    try:
        yield TestServer(url)
    finally:
        proc.kill()
        proc.wait(10)


@pytest.fixture
def server(server_session: TestServer) -> TestServer:
    server_session.reset()
    return server_session


#: The personal key the test server knows (scope ``*``).
PERSONAL_KEY = "phx_testpersonalkey"


@pytest.fixture
def admin(server: TestServer) -> Iterator[posthog_sdk.AdminClient]:
    """An admin client on the test server (personal key with every scope)."""
    client = posthog_sdk.AdminClient(PERSONAL_KEY, host=server.url, timeout=30)
    yield client
    client.close()


@pytest.fixture
def make_client(server: TestServer) -> Iterator[Callable[..., posthog_sdk.Client]]:
    """Builds clients on the test server (no timed flushes) and shuts them down after the test."""
    made: List[posthog_sdk.Client] = []

    def make(**options: Any) -> posthog_sdk.Client:
        options.setdefault("host", server.url)
        options.setdefault("flush_at", 1000)
        options.setdefault("flush_interval", 3600)
        client = posthog_sdk.Client(options.pop("api_key", API_KEY), **options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.shutdown(timeout=10)


class Recorder:
    """A thread-safe on_error callback that keeps what it was given."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._errors: List[BaseException] = []
        self.threads: List[str] = []

    def __call__(self, error: BaseException) -> None:
        with self._lock:
            self._errors.append(error)
            self.threads.append(threading.current_thread().name)

    @property
    def errors(self) -> List[BaseException]:
        with self._lock:
            return list(self._errors)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()
