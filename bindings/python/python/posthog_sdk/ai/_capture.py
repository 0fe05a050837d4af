"""What every wrapper shares: the call description handed to the core, and the capture."""

import json
import logging
import time
import uuid as _uuid
from typing import Any, Callable, Dict, List, Mapping, Optional

from .. import _native
from ..contexts import get_context_distinct_id

log = logging.getLogger("posthog")

#: The ``posthog_*`` arguments every wrapped method takes.
POSTHOG_ARGS = (
    "posthog_distinct_id",
    "posthog_trace_id",
    "posthog_properties",
    "posthog_privacy_mode",
    "posthog_groups",
    "posthog_provider_override",
)


def jsonable(value: Any) -> Any:
    """A JSON-safe copy of a provider object: pydantic models dumped, ``NOT_GIVEN`` dropped."""
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        try:
            return jsonable(dump(mode="json"))
        except Exception:  # noqa: BLE001 - a model that cannot dump itself is shown as text
            return str(value)
    if isinstance(value, Mapping):
        return {
            str(k): jsonable(v) for k, v in value.items() if not _not_given(v)
        }
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _not_given(value: Any) -> bool:
    return type(value).__name__ in ("NotGiven", "Omit")


def split_args(kwargs: Dict[str, Any]) -> Dict[str, Any]:
    """Removes the ``posthog_*`` arguments from ``kwargs`` and returns them."""
    return {name: kwargs.pop(name, None) for name in POSTHOG_ARGS}


def error_of(exc: BaseException) -> Dict[str, Any]:
    """The error part of a call description."""
    status = getattr(exc, "status_code", None)
    if not isinstance(status, int):
        code = getattr(exc, "code", None)
        status = code if isinstance(code, int) and 100 <= code <= 599 else None
    return {"status": status, "name": type(exc).__name__, "message": str(exc)}


class Call:
    """One wrapped provider call: started at construction, captured by ``finish``."""

    __slots__ = ("client", "api", "request", "ph", "base_url", "start", "chunks", "first_token")

    def __init__(
        self, client: Any, api: str, request: Dict[str, Any], ph: Dict[str, Any], base_url: Any
    ) -> None:
        self.client = client
        self.api = api
        self.request = request
        self.ph = ph
        if self.ph.get("posthog_trace_id") is None:
            self.ph["posthog_trace_id"] = str(_uuid.uuid4())
        self.base_url = base_url
        self.chunks: Optional[List[Any]] = None
        self.first_token: Optional[float] = None
        self.start = time.time()

    def streaming(self) -> None:
        """Marks the call as streamed (its chunks follow)."""
        if self.chunks is None:
            self.chunks = []

    def chunk(self, chunk: Any) -> None:
        """Records one streamed chunk."""
        if self.chunks is None:
            self.chunks = []
        if self.first_token is None:
            self.first_token = time.time() - self.start
        self.chunks.append(jsonable(chunk))

    def finish(
        self, response: Any = None, error: Optional[BaseException] = None, *, cancelled: bool = False
    ) -> None:
        """Captures the event; never raises (telemetry must not change the caller's result)."""
        try:
            self._capture(response, error, cancelled)
        except Exception as exc:  # noqa: BLE001
            log.warning("[PostHog] failed to capture an AI event: %s", type(exc).__name__)

    def _capture(self, response: Any, error: Optional[BaseException], cancelled: bool) -> None:
        latency = time.time() - self.start
        distinct_id = self.ph.get("posthog_distinct_id")
        if distinct_id is None and self.chunks is None and self.api != "embeddings":
            # posthog-python's non-streamed calls read an outer context's distinct id too.
            distinct_id = get_context_distinct_id()
        call: Dict[str, Any] = {
            "profile": "posthog-python",
            "api": self.api,
            "request": jsonable(self.request),
            "response": None if response is None else jsonable(response),
            "chunks": self.chunks,
            "latency": latency,
            "time_to_first_token": self.first_token,
            "base_url": str(self.base_url) if self.base_url is not None else "",
            "distinct_id": distinct_id,
            "trace_id": self.ph.get("posthog_trace_id"),
            "properties": jsonable(self.ph.get("posthog_properties") or {}),
            "privacy_mode": bool(self.ph.get("posthog_privacy_mode")),
            "client_privacy_mode": bool(getattr(self.client, "privacy_mode", False)),
            "groups": jsonable(self.ph.get("posthog_groups")),
            "provider_override": self.ph.get("posthog_provider_override"),
            "lib_version": _native.__version__,
        }
        if error is not None:
            call["error"] = error_of(error)
        elif cancelled:
            call["error"] = {"status": None, "cancelled": True}
        event = json.loads(_native.ai_event(json.dumps(call)))
        send(self.client, event)


def send(client: Any, event: Dict[str, Any]) -> None:
    """Hands a built AI event to the client's ordinary ``capture``."""
    capture: Callable[..., Any] = client.capture
    capture(
        event["event"],
        distinct_id=event["distinct_id"],
        properties=event["properties"],
        groups=event.get("groups"),
    )


def _manual(
    kind: str, client: Any, distinct_id: Optional[str], groups: Optional[Dict[str, Any]], parts: Dict[str, Any]
) -> None:
    name, properties = json.loads(_native.ai_manual_event(kind, json.dumps(jsonable(parts))))
    if distinct_id is None:
        properties["$process_person_profile"] = False
    client.capture(
        name, distinct_id=distinct_id or parts["trace_id"], properties=properties, groups=groups
    )


def capture_trace(
    client: Any,
    trace_id: str,
    *,
    name: Optional[str] = None,
    input_state: Any = None,
    output_state: Any = None,
    latency: Optional[float] = None,
    error: Optional[str] = None,
    distinct_id: Optional[str] = None,
    properties: Optional[Dict[str, Any]] = None,
    privacy_mode: bool = False,
    groups: Optional[Dict[str, Any]] = None,
) -> None:
    """Captures a ``$ai_trace`` (the root of a trace) through ``client``."""
    _manual("trace", client, distinct_id, groups, {
        "trace_id": trace_id, "name": name, "input_state": input_state,
        "output_state": output_state, "latency": latency, "error": error,
        "privacy_mode": privacy_mode or bool(getattr(client, "privacy_mode", False)),
        "properties": properties,
    })


def capture_span(
    client: Any,
    trace_id: str,
    span_id: str,
    *,
    parent_id: Optional[str] = None,
    name: Optional[str] = None,
    input_state: Any = None,
    output_state: Any = None,
    latency: Optional[float] = None,
    error: Optional[str] = None,
    distinct_id: Optional[str] = None,
    properties: Optional[Dict[str, Any]] = None,
    privacy_mode: bool = False,
    groups: Optional[Dict[str, Any]] = None,
) -> None:
    """Captures a ``$ai_span`` (one step of a trace) through ``client``."""
    _manual("span", client, distinct_id, groups, {
        "trace_id": trace_id, "span_id": span_id, "parent_id": parent_id or trace_id,
        "name": name, "input_state": input_state, "output_state": output_state,
        "latency": latency, "error": error,
        "privacy_mode": privacy_mode or bool(getattr(client, "privacy_mode", False)),
        "properties": properties,
    })
