"""The private native module of posthog_sdk (Rust, pyo3). Use posthog_sdk.Client instead."""

from typing import Any, Callable, Dict, List, Mapping, Optional

__version__: str
SDK_NAME: str
DEFAULT_SHUTDOWN_TIMEOUT: float

class Client:
    def __init__(
        self,
        api_key: str,
        *,
        host: Optional[str] = None,
        flush_at: Optional[int] = None,
        flush_interval: Optional[float] = None,
        max_queue_size: Optional[int] = None,
        max_queue_bytes: Optional[int] = None,
        max_batch_bytes: Optional[int] = None,
        max_event_bytes: Optional[int] = None,
        max_retries: Optional[int] = None,
        timeout: Optional[float] = None,
        gzip: Optional[bool] = None,
        max_in_flight: Optional[int] = None,
        overflow: Optional[str] = None,
        block_timeout: Optional[float] = None,
        protocol: Optional[str] = None,
        disable_geoip: Optional[bool] = None,
        historical_migration: Optional[bool] = None,
        disabled: Optional[bool] = None,
        super_properties: Optional[Mapping[str, Any]] = None,
        on_error: Optional[Callable[[Any], Any]] = None,
        before_send: Optional[Callable[[Dict[str, Any]], Optional[Dict[str, Any]]]] = None,
    ) -> None: ...
    @property
    def host(self) -> str: ...
    @property
    def is_shut_down(self) -> bool: ...
    def capture(
        self,
        event: Any,
        distinct_id: Any,
        properties: Any = None,
        timestamp: Any = None,
        uuid: Any = None,
        groups: Any = None,
    ) -> Optional[str]: ...
    def identify(
        self, distinct_id: Any, properties: Any = None, set_once: Any = None
    ) -> Optional[str]: ...
    def alias(self, distinct_id: Any, alias: Any) -> Optional[str]: ...
    def group_identify(
        self, group_type: Any, group_key: Any, properties: Any = None, distinct_id: Any = None
    ) -> Optional[str]: ...
    def set(self, distinct_id: Any, properties: Any = None) -> Optional[str]: ...
    def set_once(self, distinct_id: Any, properties: Any = None) -> Optional[str]: ...
    def flush(self, timeout: float) -> Dict[str, int]: ...
    def shutdown(self, timeout: float) -> Dict[str, int]: ...
    def stats(self) -> Dict[str, int]: ...
    def rotate_key(self, api_key: str) -> None: ...

def _error_kinds() -> List[str]: ...
def _raise_sample(kind: str) -> None: ...
def _mark_finalizing() -> None: ...
