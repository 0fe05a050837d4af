"""The module-level API of posthog-python: ``posthog_sdk.api_key = "phc_…";
posthog_sdk.capture("event", distinct_id="u")``. Each function runs on a default
:class:`Posthog` built on first use from the module's settings (``posthog_sdk.api_key``,
``host``, ``on_error``…). It is rebuilt when ``disabled``, ``debug`` or ``before_send`` change
(posthog-python re-reads those three on every call); other settings are read once, as there.

Each function keeps posthog-python's module signature and hands its arguments, by name, to
the default client's method of the same name (``**locals()``: the parameters, nothing else).
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union
from uuid import UUID

from .client import FlagValue
from .posthog import ID_TYPES, FeatureFlagEvaluations, Posthog

#: The settings the default client is built from (posthog-python's module attributes).
SETTINGS: Dict[str, Any] = {
    "api_key": None,
    "project_api_key": None,
    "host": None,
    "on_error": None,
    "debug": False,
    "send": True,
    "sync_mode": False,
    "disabled": False,
    "personal_api_key": None,
    "secret_key": None,
    "poll_interval": 30,
    "disable_geoip": True,
    "feature_flags_request_timeout_seconds": 3,
    "super_properties": None,
    "before_send": None,
    "enable_local_evaluation": True,
    "flag_definition_cache_provider": None,
}
_built_with: Optional[Tuple[Any, Any, Any]] = None


def _module() -> Any:
    return sys.modules["posthog_sdk"]


def setup() -> Posthog:
    """Builds (or returns) the default client from the module's settings."""
    global _built_with
    mod = _module()
    live = (mod.disabled, mod.debug, mod.before_send)
    client: Optional[Posthog] = mod.default_client
    if client is not None and _built_with is not None and _built_with != live:
        client.shutdown()
        client = None
    if client is None:
        key = (mod.project_api_key or "").strip() or (mod.api_key or "").strip()
        client = Posthog(
            key,
            host=mod.host,
            debug=mod.debug,
            on_error=mod.on_error,
            send=mod.send,
            sync_mode=mod.sync_mode,
            personal_api_key=mod.personal_api_key,
            secret_key=mod.secret_key,
            poll_interval=mod.poll_interval,
            disabled=mod.disabled,
            disable_geoip=mod.disable_geoip,
            feature_flags_request_timeout_seconds=mod.feature_flags_request_timeout_seconds,
            super_properties=mod.super_properties,
            before_send=mod.before_send,
            enable_local_evaluation=mod.enable_local_evaluation,
            flag_definition_cache_provider=mod.flag_definition_cache_provider,
        )
        mod.default_client = client
        _built_with = live
    return client


def capture(
    event: str,
    *,
    distinct_id: Optional[ID_TYPES] = None,
    properties: Optional[Dict[str, Any]] = None,
    timestamp: Optional[Union[datetime, str]] = None,
    uuid: Optional[Union[str, UUID]] = None,
    groups: Optional[Dict[str, str]] = None,
    flags: Optional[Any] = None,
    send_feature_flags: Optional[Any] = None,
    disable_geoip: Optional[bool] = None,
) -> Optional[str]:
    return setup().capture(**locals())


def set(
    *,
    distinct_id: Optional[ID_TYPES] = None,
    properties: Optional[Dict[str, Any]] = None,
    timestamp: Optional[Union[datetime, str]] = None,
    uuid: Optional[Union[str, UUID]] = None,
    disable_geoip: Optional[bool] = None,
) -> Optional[str]:
    return setup().set(**locals())


def set_once(
    *,
    distinct_id: Optional[ID_TYPES] = None,
    properties: Optional[Dict[str, Any]] = None,
    timestamp: Optional[Union[datetime, str]] = None,
    uuid: Optional[Union[str, UUID]] = None,
    disable_geoip: Optional[bool] = None,
) -> Optional[str]:
    return setup().set_once(**locals())


def alias(
    previous_id: ID_TYPES,
    distinct_id: str,
    timestamp: Optional[Union[datetime, str]] = None,
    uuid: Optional[str] = None,
    disable_geoip: Optional[bool] = None,
) -> Optional[str]:
    return setup().alias(**locals())


def group_identify(
    group_type: str,
    group_key: str,
    properties: Optional[Dict[str, Any]] = None,
    timestamp: Optional[Union[datetime, str]] = None,
    uuid: Optional[Union[str, UUID]] = None,
    disable_geoip: Optional[bool] = None,
    distinct_id: Optional[ID_TYPES] = None,
) -> Optional[str]:
    return setup().group_identify(**locals())


def capture_exception(exception: Any = None, **kwargs: Any) -> Optional[str]:
    return setup().capture_exception(exception, **kwargs)


def feature_enabled(
    key: str,
    distinct_id: ID_TYPES,
    groups: Optional[Mapping[str, Union[str, int]]] = None,
    person_properties: Optional[Dict[str, Any]] = None,
    group_properties: Optional[Dict[str, Dict[str, Any]]] = None,
    only_evaluate_locally: bool = False,
    send_feature_flag_events: bool = True,
    disable_geoip: Optional[bool] = None,
    device_id: Optional[str] = None,
) -> Optional[bool]:
    return setup().feature_enabled(**locals())


def get_feature_flag(
    key: str,
    distinct_id: ID_TYPES,
    groups: Optional[Mapping[str, Union[str, int]]] = None,
    person_properties: Optional[Dict[str, Any]] = None,
    group_properties: Optional[Dict[str, Dict[str, Any]]] = None,
    only_evaluate_locally: bool = False,
    send_feature_flag_events: bool = True,
    disable_geoip: Optional[bool] = None,
    device_id: Optional[str] = None,
) -> Optional[FlagValue]:
    return setup().get_feature_flag(**locals())


def get_feature_flag_payload(
    key: str,
    distinct_id: ID_TYPES,
    match_value: Optional[FlagValue] = None,
    groups: Optional[Mapping[str, Union[str, int]]] = None,
    person_properties: Optional[Dict[str, Any]] = None,
    group_properties: Optional[Dict[str, Dict[str, Any]]] = None,
    only_evaluate_locally: bool = False,
    send_feature_flag_events: bool = True,
    disable_geoip: Optional[bool] = None,
    device_id: Optional[str] = None,
) -> Optional[object]:
    # posthog-python's module-level default is send_feature_flag_events=True but its client
    # captures nothing for a payload lookup either way; the core captures nothing too.
    return setup().get_feature_flag_payload(**{**locals(), "send_feature_flag_events": False})


def get_all_flags(
    distinct_id: ID_TYPES,
    groups: Optional[Mapping[str, Union[str, int]]] = None,
    person_properties: Optional[Dict[str, Any]] = None,
    group_properties: Optional[Dict[str, Dict[str, Any]]] = None,
    only_evaluate_locally: bool = False,
    disable_geoip: Optional[bool] = None,
    flag_keys_to_evaluate: Optional[List[str]] = None,
    device_id: Optional[str] = None,
) -> Optional[Dict[str, FlagValue]]:
    return setup().get_all_flags(**locals())


def get_all_flags_and_payloads(
    distinct_id: ID_TYPES,
    groups: Optional[Mapping[str, Union[str, int]]] = None,
    person_properties: Optional[Dict[str, Any]] = None,
    group_properties: Optional[Dict[str, Dict[str, Any]]] = None,
    only_evaluate_locally: bool = False,
    disable_geoip: Optional[bool] = None,
    flag_keys_to_evaluate: Optional[List[str]] = None,
    device_id: Optional[str] = None,
) -> Dict[str, Dict[str, Any]]:
    return setup().get_all_flags_and_payloads(**locals())


def evaluate_flags(
    distinct_id: Optional[ID_TYPES] = None,
    *,
    groups: Optional[Mapping[str, Union[str, int]]] = None,
    person_properties: Optional[Dict[str, Any]] = None,
    group_properties: Optional[Dict[str, Dict[str, Any]]] = None,
    only_evaluate_locally: bool = False,
    disable_geoip: Optional[bool] = None,
    flag_keys: Optional[List[str]] = None,
    device_id: Optional[str] = None,
) -> FeatureFlagEvaluations:
    return setup().evaluate_flags(**locals())


def load_feature_flags() -> None:
    setup().load_feature_flags()


def get_feature_flag_result(key: str, distinct_id: ID_TYPES, **kwargs: Any) -> Any:
    return setup().get_feature_flag_result(key, distinct_id, **kwargs)


def get_remote_config_payload(key: str) -> Any:
    return setup().get_remote_config_payload(key)


def flush(timeout_seconds: Optional[float] = 10) -> None:
    """Sends what the default client queued and waits (bounded); keeps it usable."""
    mod = _module()
    if mod.default_client is not None:
        mod.default_client.flush(timeout_seconds)


def join() -> None:
    """Sends what is queued and stops the default client."""
    shutdown()


def shutdown() -> None:
    """Final delivery, then stops the default client for good (as posthog-python)."""
    mod = _module()
    client: Optional[Posthog] = mod.default_client
    if client is not None:
        client.shutdown()
