#!/usr/bin/env python3
"""SDK compliance adapter of the Python binding (``posthog_sdk``).

Implements the adapter interface of PostHog's SDK test harness
(https://github.com/PostHog/posthog-sdk-test-harness: CONTRACT.yaml v1.1, ADAPTER_GUIDE.md)
with the standard library's ``http.server``. Every endpoint is a thin call into the SDK's
public API: ``posthog_sdk.Posthog`` (the posthog-python-compatible class) when the binding
has it, else ``posthog_sdk.Client``; ``POSTHOG_ADAPTER_CLASS=Client|Posthog`` forces one.

    python adapter.py [--port N] [--bind ADDR]      (or PORT / ADAPTER_BIND; port 0 = any)

Prints one line, ``http://ADDR:PORT``, then serves until killed. See tests/compliance/README.md.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import sys
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Optional, Tuple

import posthog_sdk

ADAPTER_VERSION = "1.0.0"
FLUSH_TIMEOUT_S = 30.0
CAPTURE_V1 = os.environ.get("POSTHOG_CAPTURE_MODE") == "v1"

Reply = Tuple[int, Dict[str, Any]]


def _client_class() -> Any:
    wanted = os.environ.get("POSTHOG_ADAPTER_CLASS")
    if wanted:
        return getattr(posthog_sdk, wanted)
    return getattr(posthog_sdk, "Posthog", None) or posthog_sdk.Client


CLIENT_CLASS = _client_class()


def _accepts(fn: Any, name: str) -> bool:
    """Whether ``fn`` takes a keyword argument ``name`` (the two classes differ a little)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


def _core(client: Any) -> Any:
    """The object with ``stats()`` and ``shutdown(timeout=)``: ``Posthog.client`` (its public
    :class:`posthog_sdk.Client`) for the posthog-python-compatible class, else the client."""
    inner = getattr(client, "client", None)
    return inner if inner is not None and hasattr(inner, "stats") else client


def _stat(stats: Any, name: str) -> int:
    if stats is None:
        return 0
    value = stats.get(name) if isinstance(stats, dict) else getattr(stats, name, 0)
    return int(value or 0)


def _as_dict(obj: Any) -> Any:
    if obj is None or isinstance(obj, dict):
        return obj
    if hasattr(obj, "__dataclass_fields__"):
        return {k: getattr(obj, k) for k in obj.__dataclass_fields__}
    return None


def _bad(status: int, message: str) -> Reply:
    return status, {"success": False, "error": message}


NOT_INITIALISED = (400, {"success": False, "error": "SDK not initialized: call /init first"})


def _timestamp(text: str) -> datetime:
    """The contract's ISO 8601 text as an aware datetime (both classes take datetimes)."""
    t = text.strip()
    if t.endswith(("Z", "z")):
        t = t[:-1] + "+00:00"
    dt = datetime.fromisoformat(t)
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


class Session:
    """One initialised SDK client and what the adapter observed about it."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.last_error: Optional[str] = None
        self.flushes = 0


class Adapter:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.session: Optional[Session] = None

    def _current(self) -> Optional[Session]:
        with self.lock:
            return self.session

    def health(self) -> Reply:
        return 200, {
            "sdk_name": "posthog-sdk-python",
            "sdk_version": posthog_sdk.__version__,
            "adapter_version": ADAPTER_VERSION,
            "capabilities": ["capture_v1" if CAPTURE_V1 else "capture_v0", "encoding_gzip"]
            + (["capture_ai_v0"] if not CAPTURE_V1 and hasattr(CLIENT_CLASS, "capture_ai") else []),
            "client_class": f"posthog_sdk.{CLIENT_CLASS.__name__}",
        }

    def _discard(self) -> None:
        """Drops the current client: shut down with no drain time (queued events abandoned)."""
        with self.lock:
            old, self.session = self.session, None
        if old is None:
            return
        core = _core(old.client)
        try:
            if _accepts(core.shutdown, "timeout"):
                core.shutdown(timeout=0)
            else:
                core.shutdown()
        except Exception:  # noqa: BLE001 - a reset must not fail on the old client
            pass

    def init(self, body: Dict[str, Any]) -> Reply:
        api_key, host = body.get("api_key"), body.get("host")
        if not isinstance(api_key, str) or not isinstance(host, str):
            return _bad(400, "api_key and host are required strings")
        self._discard()
        holder: Dict[str, Session] = {}

        def on_error(*args: Any) -> None:  # Client: (error); posthog-python: (error, batch)
            session = holder.get("s")
            if session is not None and args:
                session.last_error = str(args[0])

        kwargs: Dict[str, Any] = {"host": host, "on_error": on_error}
        if body.get("flush_at") is not None:
            kwargs["flush_at"] = int(body["flush_at"])
        if body.get("flush_interval_ms") is not None:
            kwargs["flush_interval"] = int(body["flush_interval_ms"]) / 1000.0
        if body.get("max_retries") is not None:
            kwargs["max_retries"] = int(body["max_retries"])
        if body.get("enable_compression") is not None:
            kwargs["gzip"] = bool(body["enable_compression"])
        for name in ("disable_geoip", "historical_migration"):
            if body.get(name) is not None:
                kwargs[name] = bool(body[name])
        if CAPTURE_V1:
            kwargs["protocol"] = "v1"
        try:
            client = CLIENT_CLASS(api_key, **kwargs)
        except Exception as e:  # noqa: BLE001 - reported to the harness
            return _bad(400, f"{type(e).__name__}: {e}")
        session = Session(client)
        holder["s"] = session
        with self.lock:
            self.session = session
        return 200, {"success": True}

    def capture(self, body: Dict[str, Any], ai: bool = False) -> Reply:
        session = self._current()
        if session is None:
            return NOT_INITIALISED
        distinct_id, event = body.get("distinct_id"), body.get("event")
        if not isinstance(distinct_id, str) or not isinstance(event, str):
            return _bad(400, "distinct_id and event are required strings")
        properties = body.get("properties")
        if properties is not None and not isinstance(properties, dict):
            return _bad(400, "properties must be an object")
        kwargs: Dict[str, Any] = {"event": event, "distinct_id": distinct_id}
        if properties is not None:
            kwargs["properties"] = properties
        if body.get("timestamp") is not None:
            try:
                kwargs["timestamp"] = _timestamp(str(body["timestamp"]))
            except ValueError as e:
                return _bad(400, f"timestamp: {e}")
        if body.get("uuid") is not None:
            kwargs["uuid"] = str(body["uuid"])
        try:
            if ai:
                event_name = kwargs.pop("event")
                uuid = session.client.capture_ai(event_name, **kwargs)
            else:
                uuid = session.client.capture(**kwargs)
        except Exception as e:  # noqa: BLE001
            session.last_error = f"{type(e).__name__}: {e}"
            return _bad(500, session.last_error)
        if uuid is None:
            return _bad(400, "the SDK did not accept the event (see /state last_error)")
        return 200, {"success": True, "uuid": str(uuid)}

    def flush(self) -> Reply:
        session = self._current()
        if session is None:
            return NOT_INITIALISED
        stats = getattr(_core(session.client), "stats", None)
        before = _stat(stats(), "sent") if stats else 0
        try:
            if _accepts(session.client.flush, "timeout"):
                report = session.client.flush(timeout=FLUSH_TIMEOUT_S)
            elif _accepts(session.client.flush, "timeout_seconds"):
                report = session.client.flush(timeout_seconds=FLUSH_TIMEOUT_S)
            else:
                report = session.client.flush()
        except Exception as e:  # noqa: BLE001 - a failed flush is still an answer
            session.flushes += 1
            session.last_error = f"{type(e).__name__}: {e}"
            return 200, {"success": False, "events_flushed": 0, "error": session.last_error}
        session.flushes += 1
        report_dict = _as_dict(report)
        if report is None and _accepts(session.client.flush, "timeout_seconds"):
            # Posthog.flush returns None when its bound passed (posthog-python's shape).
            session.last_error = "flush did not finish in time"
            return 200, {"success": False, "events_flushed": 0, "error": session.last_error}
        if report_dict is not None and "sent" in report_dict:
            flushed = int(report_dict["sent"])
        else:
            flushed = (_stat(stats(), "sent") - before) if stats else 0
        return 200, {"success": True, "events_flushed": flushed, "report": report_dict}

    def get_feature_flag(self, body: Dict[str, Any]) -> Reply:
        session = self._current()
        if session is None:
            return NOT_INITIALISED
        key, distinct_id = body.get("key"), body.get("distinct_id")
        if not isinstance(key, str) or not isinstance(distinct_id, str):
            return _bad(400, "key and distinct_id are required strings")
        fn = session.client.get_feature_flag
        kwargs: Dict[str, Any] = {}
        for name in ("groups", "person_properties", "group_properties"):
            if body.get(name) is not None:
                if not isinstance(body[name], dict):
                    return _bad(400, f"{name} must be an object")
                kwargs[name] = body[name]
        for name in ("disable_geoip", "force_remote"):
            if body.get(name) is not None and _accepts(fn, name):
                kwargs[name] = bool(body[name])
        try:
            value = fn(key, distinct_id, **kwargs)
        except Exception as e:  # noqa: BLE001
            session.last_error = f"{type(e).__name__}: {e}"
            return _bad(400, session.last_error)
        return 200, {"success": True, "value": value}

    def state(self) -> Reply:
        session = self._current()
        if session is None:
            return 200, {
                "pending_events": 0,
                "total_events_captured": 0,
                "total_events_sent": 0,
                "total_retries": 0,
                "last_error": None,
                "requests_made": [],
                "total_flushes": 0,
                "initialized": False,
            }
        stats_fn = getattr(_core(session.client), "stats", None)
        stats = stats_fn() if stats_fn else None
        return 200, {
            "pending_events": _stat(stats, "pending"),
            "total_events_captured": _stat(stats, "accepted"),
            "total_events_sent": _stat(stats, "sent"),
            "total_retries": _stat(stats, "retried"),
            "last_error": session.last_error,
            # The binding has no hook on its HTTP layer: see README, "Assumptions".
            "requests_made": [],
            "total_flushes": session.flushes,
            "initialized": True,
            "sdk_stats": _as_dict(stats),
        }

    def reset(self) -> Reply:
        self._discard()
        return 200, {"success": True}

    def route(self, method: str, path: str, raw: bytes) -> Reply:
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            return _bad(400, "the body is not JSON")
        if method == "POST" and not isinstance(body, dict):
            return _bad(400, "the body must be a JSON object")
        routes = {
            ("GET", "/health"): lambda: self.health(),
            ("GET", "/state"): lambda: self.state(),
            ("POST", "/init"): lambda: self.init(body),
            ("POST", "/capture"): lambda: self.capture(body),
            ("POST", "/capture_ai"): lambda: self.capture(body, ai=True),
            ("POST", "/flush"): lambda: self.flush(),
            ("POST", "/get_feature_flag"): lambda: self.get_feature_flag(body),
            ("POST", "/reset"): lambda: self.reset(),
        }
        handler = routes.get((method, path))
        if handler is not None:
            return handler()
        if any(p == path for _, p in routes):
            return _bad(405, "method not allowed")
        return _bad(404, f"no endpoint {path}")


ADAPTER = Adapter()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        # The harness's parallel mode appends `?test_id=`; this adapter is sequential.
        path = self.path.split("?", 1)[0]
        try:
            status, reply = ADAPTER.route(self.command, path, raw)
        except Exception as e:  # noqa: BLE001 - never drop a connection without an answer
            status, reply = _bad(500, f"{type(e).__name__}: {e}")
        data = json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True

    do_GET = _handle
    do_POST = _handle
    do_PUT = _handle
    do_DELETE = _handle

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        if os.environ.get("ADAPTER_LOG"):
            sys.stderr.write("python-adapter: " + (format % args) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    parser.add_argument("--bind", default=os.environ.get("ADAPTER_BIND", "127.0.0.1"))
    args = parser.parse_args()
    server = ThreadingHTTPServer((args.bind, args.port), Handler)
    server.daemon_threads = True
    print(f"http://{args.bind}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
