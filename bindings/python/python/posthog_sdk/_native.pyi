"""The private native module of posthog_sdk (Rust, pyo3). Use posthog_sdk.Client instead."""

from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple, Union

_FlagValue = Union[bool, str]
# groups, person_properties, group_properties, only_evaluate_locally,
# send_feature_flag_events, disable_geoip, force_remote, device_id
_FlagArgs = Tuple[Any, Any, Any, Any, Any, Any, Any, Any]

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
        personal_api_key: Optional[str] = None,
        poll_interval: Optional[float] = None,
        feature_flags_request_timeout_seconds: Optional[float] = None,
        send_feature_flag_events: Optional[bool] = None,
        storage_dir: Optional[str] = None,
        cipher: Optional[Any] = None,
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
        flags: Optional[FlagsSnapshot] = None,
        disable_geoip: Optional[bool] = None,
    ) -> Optional[str]: ...
    def identify(
        self, distinct_id: Any, properties: Any = None, set_once: Any = None
    ) -> Optional[str]: ...
    def alias(
        self,
        distinct_id: Any,
        alias: Any,
        timestamp: Any = None,
        uuid: Any = None,
        disable_geoip: Optional[bool] = None,
    ) -> Optional[str]: ...
    def group_identify(
        self,
        group_type: Any,
        group_key: Any,
        properties: Any = None,
        distinct_id: Any = None,
        timestamp: Any = None,
        uuid: Any = None,
        disable_geoip: Optional[bool] = None,
    ) -> Optional[str]: ...
    def set(
        self,
        distinct_id: Any,
        properties: Any = None,
        timestamp: Any = None,
        uuid: Any = None,
        disable_geoip: Optional[bool] = None,
    ) -> Optional[str]: ...
    def set_once(
        self,
        distinct_id: Any,
        properties: Any = None,
        timestamp: Any = None,
        uuid: Any = None,
        disable_geoip: Optional[bool] = None,
    ) -> Optional[str]: ...
    # Flag calls take their options as one tuple, by position (None = not given).
    def get_feature_flag(
        self, key: Any, distinct_id: Any, options: Optional[_FlagArgs] = None
    ) -> Optional[_FlagValue]: ...
    def is_feature_enabled(
        self, key: Any, distinct_id: Any, options: Optional[_FlagArgs] = None
    ) -> Optional[bool]: ...
    def get_feature_flag_payload(
        self, key: Any, distinct_id: Any, options: Optional[_FlagArgs] = None
    ) -> Any: ...
    def get_all_flags(
        self, distinct_id: Any, options: Optional[_FlagArgs] = None
    ) -> Dict[str, _FlagValue]: ...
    def get_all_flags_and_payloads(
        self, distinct_id: Any, options: Optional[_FlagArgs] = None
    ) -> Tuple[Dict[str, _FlagValue], Dict[str, Any]]: ...
    def evaluate_flags(
        self,
        distinct_id: Any,
        flag_keys: Optional[Iterable[str]] = None,
        options: Optional[_FlagArgs] = None,
    ) -> FlagsSnapshot: ...
    def reload_feature_flags(self) -> None: ...
    def flush(self, timeout: float) -> Dict[str, int]: ...
    def shutdown(self, timeout: float) -> Dict[str, int]: ...
    def stats(self) -> Dict[str, int]: ...
    def rotate_key(self, api_key: str) -> None: ...
    def _after_fork_in_child(self) -> Client: ...

class FlagsSnapshot:
    """The flags of one distinct id, evaluated at one moment (Client.evaluate_flags)."""

    def get_flag(self, key: str) -> Optional[_FlagValue]: ...
    def is_enabled(self, key: str) -> bool: ...
    def get_payload(self, key: str) -> Any: ...
    @property
    def keys(self) -> List[str]: ...
    @property
    def unresolved(self) -> Dict[str, str]: ...
    @property
    def request_id(self) -> Optional[str]: ...
    @property
    def distinct_id(self) -> str: ...
    def to_dict(self) -> Dict[str, Any]: ...
    def event_properties(self) -> Dict[str, Any]: ...
    def __len__(self) -> int: ...
    def __contains__(self, key: str) -> bool: ...

class LocalEvaluator:
    """Local flag evaluation over a definitions response (dict or JSON text); no I/O."""

    def __init__(self, definitions: Union[Mapping[str, Any], str]) -> None: ...
    def evaluate(
        self,
        key: str,
        distinct_id: Union[str, int],
        *,
        device_id: Optional[str] = None,
        person_properties: Optional[Mapping[str, Any]] = None,
        groups: Optional[Mapping[str, Any]] = None,
        group_properties: Optional[Mapping[str, Mapping[str, Any]]] = None,
    ) -> Tuple[_FlagValue, Any]: ...
    @property
    def keys(self) -> List[str]: ...
    def __len__(self) -> int: ...

_Project = Union[int, str]
_Item = Dict[str, Any]

class AdminPager:
    """The items of a list endpoint, one page fetched at a time."""

    def __iter__(self) -> AdminPager: ...
    def __next__(self) -> Any: ...
    @property
    def total(self) -> Optional[int]: ...
    @property
    def pages_fetched(self) -> int: ...

class AdminClient:
    def __init__(
        self,
        personal_api_key: Optional[str] = None,
        host: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        max_throttle_retries: Optional[int] = None,
        max_concurrency: Optional[int] = None,
        retry_writes: Optional[bool] = None,
    ) -> None: ...
    @property
    def host(self) -> str: ...
    def close(self) -> None: ...
    def rotate_key(self, key: str) -> None: ...
    def me(self) -> _Item: ...
    def projects_list(self) -> AdminPager: ...
    def projects_get(self, project: _Project) -> _Item: ...
    def flags_list(self, project: _Project) -> AdminPager: ...
    def flags_get(self, project: _Project, id: int) -> _Item: ...
    def flags_create(
        self,
        project: _Project,
        key: str,
        name: Optional[str] = None,
        active: Optional[bool] = None,
        filters: Optional[Mapping[str, Any]] = None,
        rollout_percentage: Optional[float] = None,
        extra: Optional[Mapping[str, Any]] = None,
    ) -> _Item: ...
    def flags_update(self, project: _Project, id: int, changes: Mapping[str, Any]) -> _Item: ...
    def flags_set_active(self, project: _Project, id: int, active: bool) -> _Item: ...
    def flags_delete(self, project: _Project, id: int) -> _Item: ...
    def flags_activity(self, project: _Project, id: int) -> AdminPager: ...
    def persons_list(self, project: _Project, distinct_id: Optional[str] = None) -> AdminPager: ...
    def persons_get(self, project: _Project, id: str) -> _Item: ...
    def persons_delete(self, project: _Project, id: str) -> None: ...
    def cohorts_list(self, project: _Project) -> AdminPager: ...
    def cohorts_get(self, project: _Project, id: int) -> _Item: ...
    def cohorts_create_static(
        self, project: _Project, name: str, person_ids: List[str]
    ) -> _Item: ...
    def insights_list(self, project: _Project) -> AdminPager: ...
    def insights_get(self, project: _Project, id: int) -> _Item: ...
    def annotations_list(self, project: _Project) -> AdminPager: ...
    def annotations_create(self, project: _Project, content: str, at: Any) -> _Item: ...
    def definitions_events(self, project: _Project) -> AdminPager: ...
    def definitions_properties(self, project: _Project, kind: Optional[str] = None) -> AdminPager: ...
    def batch_exports_list(self, project: _Project) -> AdminPager: ...
    def batch_exports_get(self, project: _Project, id: str) -> _Item: ...
    def batch_exports_create(self, project: _Project, spec: Mapping[str, Any]) -> _Item: ...
    def batch_exports_pause(self, project: _Project, id: str, paused: bool) -> _Item: ...
    def batch_exports_backfill(self, project: _Project, id: str, start: Any, end: Any) -> _Item: ...
    def batch_exports_runs(self, project: _Project, id: str) -> AdminPager: ...
    def query(
        self,
        project: _Project,
        hogql: str,
        values: Optional[Mapping[str, Any]] = None,
        client_query_id: Optional[str] = None,
        name: Optional[str] = None,
    ) -> _Item: ...
    # (status, result or None, exception or None)
    def query_async(
        self,
        project: _Project,
        hogql: str,
        values: Optional[Mapping[str, Any]] = None,
        client_query_id: Optional[str] = None,
        name: Optional[str] = None,
    ) -> Tuple[_Item, Optional[_Item], Optional[BaseException]]: ...
    def query_status(
        self, project: _Project, id: str
    ) -> Tuple[_Item, Optional[_Item], Optional[BaseException]]: ...
    def wait_for_query(self, project: _Project, id: str, timeout: float) -> _Item: ...
    def cancel_query(self, project: _Project, id: str) -> None: ...
    def export(
        self,
        project: _Project,
        *,
        path: Optional[str] = None,
        file: Any = None,
        format: str = "jsonl",
        page_size: int = 10000,
        checkpoint: Any = None,
        on_progress: Optional[Callable[[int], Any]] = None,
        on_checkpoint: Optional[Callable[[Dict[str, Any]], Any]] = None,
        after: Any = None,
        before: Any = None,
        event: Optional[str] = None,
        properties: Optional[Mapping[str, Any]] = None,
        hogql: Optional[str] = None,
        values: Optional[Mapping[str, Any]] = None,
    ) -> Dict[str, Any]: ...

def match_property(
    property: Mapping[str, Any], values: Mapping[str, Any], property_matching_version: int = 1
) -> bool: ...
def flag_hash(key: str, bucketing_value: str, salt: str = "", separator: str = ".") -> float: ...
def _error_kinds() -> List[str]: ...
def _raise_sample(kind: str) -> None: ...
def _mark_finalizing() -> None: ...
