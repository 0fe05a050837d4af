"""``Posthog``: posthog-python's (7.x) client API, mapped onto :class:`posthog_sdk.Client`.

Only names, argument order and defaults are translated here; every behaviour is the core's.
An option or argument the core cannot honour raises ``NotImplementedError`` (only when it is
given a value other than posthog-python's default), so nothing silently differs.
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
import sys
from datetime import datetime
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    ContextManager,
    Dict,
    Iterator,
    List,
    Mapping,
    Optional,
    TypeVar,
    Union,
)
from uuid import UUID

from . import _runtime, contexts, exceptions
from . import flags as _flags_module
from .contexts import _current as _current_context
from ._native import FlagsSnapshot
from .client import Client, FlagValue, FlushReport
from .errors import PostHogError

__all__ = ["Posthog", "FeatureFlagEvaluations", "FeatureFlagResult", "ID_TYPES"]

ID_TYPES = Union[str, int, UUID]
OnErrorCallback = Callable[[Exception, List[Any]], Any]
BeforeSendCallback = Callable[[Dict[str, Any]], Optional[Dict[str, Any]]]

_F = TypeVar("_F", bound=Callable[..., Any])

log = logging.getLogger("posthog")
_DEBUG = logging.DEBUG

#: Constructor arguments that are not options of the core.
_NOT_OPTIONS = frozenset({"self", "project_api_key", "on_error", "core_options"})


def _not_supported(what: str) -> NotImplementedError:
    return NotImplementedError(
        f"posthog_sdk does not support {what} (see the compatibility table in the README of "
        "posthog-sdk and docs/migrating-from-posthog-python.md)"
    )


class FeatureFlagEvaluations:
    """posthog-python's snapshot API over the core's :class:`FlagsSnapshot`.

    Pass it to ``capture(..., flags=...)``. Reading a flag (``is_enabled``, ``get_flag``)
    captures ``$feature_flag_called`` as posthog-python does (the core's profile rule);
    ``only_accessed`` raises ``NotImplementedError``.
    """

    __slots__ = ("snapshot", "_native", "_args")

    def __init__(self, snapshot: FlagsSnapshot, native: Any = None, args: Any = None) -> None:
        self.snapshot = snapshot
        self._native = native
        self._args = args

    def _read(self, key: str, send_feature_flag_events: bool) -> None:
        if self._native is not None:
            args = list(self._args)
            args[4] = send_feature_flag_events
            self._native.record_flag_read(self.snapshot, key, tuple(args))

    def is_enabled(
        self, key: str, default_value: bool = False, *, send_feature_flag_events: bool = True
    ) -> bool:
        self._read(key, send_feature_flag_events)
        return self.snapshot.is_enabled(key) if key in self.snapshot else default_value

    def get_flag(self, key: str, *, send_feature_flag_events: bool = True) -> Optional[FlagValue]:
        self._read(key, send_feature_flag_events)
        return self.snapshot.get_flag(key)

    def get_flag_payload(self, key: str) -> Any:
        return self.snapshot.get_payload(key)

    @property
    def keys(self) -> List[str]:
        return self.snapshot.keys

    @property
    def unresolved_flags(self) -> Mapping[str, str]:
        return self.snapshot.unresolved

    def only(self, keys: List[str]) -> "FeatureFlagEvaluations":
        raise _not_supported("FeatureFlagEvaluations.only(); pass flag_keys to evaluate_flags")

    def only_accessed(self) -> "FeatureFlagEvaluations":
        raise _not_supported("FeatureFlagEvaluations.only_accessed()")

    def __len__(self) -> int:
        return len(self.snapshot)

    def __contains__(self, key: str) -> bool:
        return key in self.snapshot

    def __iter__(self) -> Iterator[str]:
        return iter(self.snapshot.keys)


class FeatureFlagResult:
    """posthog-python's ``FeatureFlagResult`` (the fields the core fills in)."""

    __slots__ = ("key", "enabled", "variant", "payload", "reason")

    def __init__(
        self, key: str, enabled: bool, variant: Optional[str], payload: Any, reason: Optional[str]
    ) -> None:
        self.key, self.enabled, self.variant = key, enabled, variant
        self.payload, self.reason = payload, reason

    def get_value(self) -> FlagValue:
        """The variant if there is one, else ``enabled``."""
        return self.variant or self.enabled

    def __repr__(self) -> str:
        return f"FeatureFlagResult(key={self.key!r}, enabled={self.enabled!r}, variant={self.variant!r})"


def _no_throw(func: _F) -> _F:
    """posthog-python's ``no_throw`` on its event calls: an exception (a bad argument, the
    positional ``capture("id", "event")`` of old READMEs) is logged and the call returns
    ``None``; with ``debug=True`` it is raised."""

    @functools.wraps(func)
    def wrapper(self: "Posthog", *args: Any, **kwargs: Any) -> Any:
        try:
            return func(self, *args, **kwargs)
        except Exception as e:
            if self.debug:
                raise
            log.exception("Error in %s: %s", func.__name__, e)
            return None

    return wrapper  # type: ignore[return-value]


def _code_variables(
    mask: Optional[List[str]],
    ignore: Optional[List[str]],
    mask_url_credentials: Optional[bool],
    detect_secrets: Optional[bool],
) -> Dict[str, Any]:
    """The core's ``VariablesConfig`` for the ``code_variables_*`` options (unset: the
    core's defaults, which are posthog-python's)."""
    config: Dict[str, Any] = {}
    if mask is not None:
        config["mask_patterns"] = list(mask)
    if ignore is not None:
        config["ignore_patterns"] = list(ignore)
    if mask_url_credentials is not None:
        config["mask_url_credentials"] = bool(mask_url_credentials)
    if detect_secrets is not None:
        config["detect_secrets"] = bool(detect_secrets)
    return config


def _id(value: Any) -> Optional[str]:
    if value is None:
        return None
    text = str(value)
    return text if text.strip() else None


class Posthog:
    """posthog-python's ``Posthog`` (7.x): same methods, arguments and defaults, on the core.

    Differences (each documented in the README's compatibility table): ``flush`` returns a
    :class:`FlushReport` (posthog-python: ``None``); ``on_error(error, batch)`` gets the
    batch's messages only once the core's sender hands them over (today ``[]``).
    """

    def __init__(
        self,
        project_api_key: str,
        host: Optional[str] = None,
        debug: bool = False,
        max_queue_size: Optional[int] = None,
        send: bool = True,
        on_error: Optional[OnErrorCallback] = None,
        flush_at: int = 100,
        flush_interval: float = 5.0,
        gzip: bool = False,
        max_retries: Optional[int] = None,
        sync_mode: bool = False,
        timeout: float = 15,
        thread: int = 1,
        poll_interval: int = 30,
        personal_api_key: Optional[str] = None,
        disabled: bool = False,
        disable_geoip: bool = True,
        is_server: bool = True,
        historical_migration: bool = False,
        feature_flags_request_timeout_seconds: float = 3,
        feature_flags_request_max_retries: int = 1,
        super_properties: Optional[Dict[str, Any]] = None,
        enable_exception_autocapture: bool = False,
        log_captured_exceptions: bool = False,
        project_root: Optional[str] = None,
        privacy_mode: bool = False,
        before_send: Optional[BeforeSendCallback] = None,
        flag_fallback_cache_url: Optional[str] = None,
        enable_local_evaluation: bool = True,
        flag_definition_cache_provider: Optional[Any] = None,
        capture_exception_code_variables: bool = False,
        code_variables_mask_patterns: Optional[List[str]] = None,
        code_variables_ignore_patterns: Optional[List[str]] = None,
        code_variables_mask_url_credentials: Optional[bool] = None,
        code_variables_detect_secrets: Optional[bool] = None,
        in_app_modules: Optional[List[str]] = None,
        enable_exception_autocapture_rate_limiting: bool = False,
        exception_autocapture_bucket_size: int = 50,
        exception_autocapture_refill_rate: float = 10,
        exception_autocapture_refill_interval_seconds: float = 10,
        capture_mode: Optional[Any] = None,
        capture_compression: Optional[Any] = None,
        secret_key: Optional[str] = None,
        metrics: Optional[Dict[str, Any]] = None,
        enable_full_ai_capture: bool = False,
        capture_trace_context: bool = False,
        traces: Optional[Dict[str, Any]] = None,
        app_host: Optional[str] = None,
        email_request_timeout_seconds: float = 15,
        email_request_max_retries: int = 2,
        migrated_from: Optional[str] = None,
        **core_options: Any,
    ) -> None:
        """posthog-python's options (same order and defaults), plus every option of the
        core's schema by keyword (``storage_dir``, ``fsync``, ``max_event_age``,
        ``max_attempts``, ``overflow``, ``max_queue_bytes``, ``shutdown_timeout``…)."""
        options = {k: v for k, v in locals().items() if k not in _NOT_OPTIONS}
        options.update(core_options)
        self.debug = debug
        # posthog-python's logging set-up for debug (a language idiom, not a PostHog rule).
        if debug:
            logging.basicConfig()
            log.setLevel(logging.DEBUG)
        else:
            log.setLevel(logging.WARNING)
        self._user_on_error = on_error
        self._sync_mode = sync_mode
        self._send = send
        self._personal_api_key = secret_key or personal_api_key
        self._poll_interval = poll_interval
        self._feature_flags_request_timeout_seconds = feature_flags_request_timeout_seconds
        self._super_properties = dict(super_properties or {})
        #: Withhold ``$ai_input`` / ``$ai_output_choices`` of every AI event (posthog.ai).
        self.privacy_mode = privacy_mode
        self._before_send = before_send
        # Every option — posthog-python's names, defaults, aliases and unsupported values,
        # and the core's own (storage_dir, fsync, …) — is read by the core's options schema.
        options.setdefault("runtime_properties", _runtime.system_context())
        self._client = Client(
            project_api_key,
            _profile="posthog-python",
            on_error=self._on_error,
            **options,
        )
        self._disabled = self._client.disabled
        # Error tracking (posthog-python's defaults: project_root is the working directory).
        self.enable_exception_autocapture = enable_exception_autocapture
        self.log_captured_exceptions = log_captured_exceptions
        self.capture_exception_code_variables = capture_exception_code_variables
        if project_root is None:
            try:
                project_root = os.getcwd()
            except Exception:
                project_root = None
        self._exception_options: Dict[str, Any] = {
            "project_root": project_root,
            "in_app_include": list(in_app_modules or []),
            "code_variables": _code_variables(
                code_variables_mask_patterns,
                code_variables_ignore_patterns,
                code_variables_mask_url_credentials,
                code_variables_detect_secrets,
            ),
        }
        self._exception_capture: Optional[exceptions.ExceptionCapture] = None
        if enable_exception_autocapture:
            self._exception_capture = exceptions.ExceptionCapture(
                self,
                rate_limiting=enable_exception_autocapture_rate_limiting,
                bucket_size=exception_autocapture_bucket_size,
                refill_rate=exception_autocapture_refill_rate,
                refill_interval_seconds=exception_autocapture_refill_interval_seconds,
            )

    # ---- read-only views of the options (posthog-python exposes them as attributes) -------

    @property
    def client(self) -> Client:
        """The :class:`posthog_sdk.Client` underneath (``stats()``, ``rotate_key``…)."""
        return self._client

    @property
    def host(self) -> str:
        return self._client.host

    @property
    def disabled(self) -> bool:
        return self._disabled

    @property
    def send(self) -> bool:
        return self._send

    @property
    def sync_mode(self) -> bool:
        return self._sync_mode

    @property
    def personal_api_key(self) -> Optional[str]:
        return self._personal_api_key

    @property
    def poll_interval(self) -> float:
        return self._poll_interval

    @property
    def feature_flags_request_timeout_seconds(self) -> float:
        return self._feature_flags_request_timeout_seconds

    @property
    def super_properties(self) -> Dict[str, Any]:
        return dict(self._super_properties)

    @property
    def on_error(self) -> Optional[OnErrorCallback]:
        return self._user_on_error

    @property
    def before_send(self) -> Optional[BeforeSendCallback]:
        return self._before_send

    def __repr__(self) -> str:
        return f"<posthog_sdk.Posthog host={self._client.host!r}>"

    def _on_error(self, error: PostHogError, batch: List[Any]) -> None:
        log.error("error sending events to PostHog: %s", error)
        if self._user_on_error is not None:
            # The failed batch's messages (the core's posthog-python profile), else [].
            self._user_on_error(error, batch)

    def _sent(self, uuid: Optional[str]) -> Optional[str]:
        if self._sync_mode and uuid is not None:
            self._flush_now()
        return uuid

    def _flush_now(self) -> None:
        try:
            self._client.flush()
        except PostHogError:
            pass  # reported to on_error by the core

    @staticmethod
    def _properties(properties: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
        """The event's properties with the context's tags and ``$session_id``."""
        props = dict(properties or {})
        if contexts.in_context():
            tags = contexts.get_tags()
            props = {**tags, **props, "$context_tags": sorted(tags)}
        session = contexts.get_context_session_id()
        if session and "$session_id" not in props:
            props["$session_id"] = session
        return props

    # ---- events -----------------------------------------------------------------------

    def _capture_spec(
        self,
        event: str,
        *,
        distinct_id: Optional[ID_TYPES] = None,
        properties: Optional[Dict[str, Any]] = None,
        timestamp: Optional[Union[datetime, str]] = None,
        uuid: Optional[Union[str, UUID]] = None,
        groups: Optional[Dict[str, str]] = None,
        flags: Optional[Union[FeatureFlagEvaluations, FlagsSnapshot]] = None,
        send_feature_flags: Optional[Any] = None,
        disable_geoip: Optional[bool] = None,
    ) -> Optional[str]:
        """Queues an event; returns its uuid (``None`` when not accepted). Without
        ``distinct_id``, the context's (``identify_context``), else a random one and the event
        is personless (``$process_person_profile: False``), as posthog-python does."""
        return None

    if TYPE_CHECKING:
        capture = _capture_spec
    else:

        def capture(
            self,
            *args,
            distinct_id=None,
            properties=None,
            timestamp=None,
            uuid=None,
            groups=None,
            flags=None,
            send_feature_flags=None,
            disable_geoip=None,
            **kwargs,
        ):
            # The hot path, as flat as it can be: posthog-python's no_throw (an exception is
            # logged and the call returns None; raised with debug=True) is this try, and a call
            # that does not fit the signature (``_capture_spec``, which is what introspection
            # shows) is refused inside it too, as posthog-python's wrapper does.
            try:
                if len(args) == 1 and not kwargs:
                    event = args[0]
                else:  # event=… by name, or a call that does not fit (TypeError)
                    event = _CAPTURE_SIGNATURE.bind(self, *args, **kwargs).arguments["event"]
                if _current_context() is None and (
                    properties is None or type(properties) is dict
                ):
                    # Outside a context: no tags, no session id, no context distinct id.
                    did = distinct_id
                    if type(did) is not str or not did or did.isspace():
                        did = _id(did)
                else:
                    properties = self._properties(properties)
                    did = _id(distinct_id) or contexts.get_context_distinct_id()
                if log.isEnabledFor(_DEBUG):
                    log.debug("queueing %s for %s", event, did)
                if flags is not None and isinstance(flags, FeatureFlagEvaluations):
                    flags = flags.snapshot
                sent = self._client._native.capture(
                    event,
                    did,
                    properties,
                    timestamp,
                    uuid,
                    groups,
                    flags,
                    disable_geoip,
                    send_feature_flags,
                )
                if self._sync_mode and sent is not None:
                    self._flush_now()
                return sent
            except Exception as e:
                if self.debug:
                    raise
                log.exception("Error in %s: %s", "capture", e)
                return None

        capture.__signature__ = inspect.signature(_capture_spec)
        capture.__doc__ = _capture_spec.__doc__

    def _person_update(
        self,
        kind: str,
        distinct_id: Optional[ID_TYPES],
        properties: Optional[Dict[str, Any]],
        timestamp: Optional[Union[datetime, str]],
        uuid: Optional[Union[str, UUID]],
        disable_geoip: Optional[bool],
    ) -> Optional[str]:
        did = _id(distinct_id) or contexts.get_context_distinct_id()
        props = self._properties(properties)
        if did is None or not props:
            return None  # posthog-python: a personless or empty update does nothing
        call = self._client.set if kind == "$set" else self._client.set_once
        return self._sent(
            call(did, props, timestamp=timestamp, uuid=uuid, disable_geoip=disable_geoip)
        )

    @_no_throw
    def set(
        self,
        *,
        distinct_id: Optional[ID_TYPES] = None,
        properties: Optional[Dict[str, Any]] = None,
        timestamp: Optional[Union[datetime, str]] = None,
        uuid: Optional[Union[str, UUID]] = None,
        disable_geoip: Optional[bool] = None,
    ) -> Optional[str]:
        """``$set``: sets person properties."""
        return self._person_update("$set", distinct_id, properties, timestamp, uuid, disable_geoip)

    @_no_throw
    def set_once(
        self,
        *,
        distinct_id: Optional[ID_TYPES] = None,
        properties: Optional[Dict[str, Any]] = None,
        timestamp: Optional[Union[datetime, str]] = None,
        uuid: Optional[Union[str, UUID]] = None,
        disable_geoip: Optional[bool] = None,
    ) -> Optional[str]:
        """``$set_once``: sets person properties that are not set yet."""
        return self._person_update(
            "$set_once", distinct_id, properties, timestamp, uuid, disable_geoip
        )

    @_no_throw
    def alias(
        self,
        previous_id: ID_TYPES,
        distinct_id: Optional[str],
        timestamp: Optional[Union[datetime, str]] = None,
        uuid: Optional[str] = None,
        disable_geoip: Optional[bool] = None,
    ) -> Optional[str]:
        """``$create_alias``: makes ``previous_id`` another id of the person ``distinct_id``
        (posthog-python's argument order)."""
        previous = _id(previous_id)
        did = _id(distinct_id) or contexts.get_context_distinct_id()
        if previous is None or did is None:
            log.warning("alias() needs a previous_id and a distinct_id: dropped")
            return None
        # The core's alias(distinct_id, alias) sends distinct_id=previous, alias=did.
        return self._sent(
            self._client.alias(
                previous, did, timestamp=timestamp, uuid=uuid, disable_geoip=disable_geoip
            )
        )

    @_no_throw
    def group_identify(
        self,
        group_type: str,
        group_key: str,
        properties: Optional[Dict[str, Any]] = None,
        timestamp: Optional[Union[datetime, str]] = None,
        uuid: Optional[Union[str, UUID]] = None,
        disable_geoip: Optional[bool] = None,
        distinct_id: Optional[ID_TYPES] = None,
    ) -> Optional[str]:
        """``$groupidentify``: sets properties of a group."""
        did = _id(distinct_id) or contexts.get_context_distinct_id()
        session = contexts.get_context_session_id()
        return self._sent(
            self._client._native.group_identify(
                group_type,
                group_key,
                properties,
                did,
                timestamp,
                uuid,
                disable_geoip,
                str(session) if session else None,
            )
        )

    def capture_exception(
        self,
        exception: Optional[exceptions.Capturable] = None,
        distinct_id: Optional[ID_TYPES] = None,
        properties: Optional[Dict[str, Any]] = None,
        *,
        timestamp: Optional[Union[datetime, str]] = None,
        uuid: Optional[Union[str, UUID]] = None,
        groups: Optional[Dict[str, str]] = None,
        flags: Optional[Union[FeatureFlagEvaluations, FlagsSnapshot]] = None,
        send_feature_flags: Optional[Any] = None,
        disable_geoip: Optional[bool] = None,
        **kwargs: Any,
    ) -> Optional[str]:
        """Captures an ``$exception`` event (error tracking): ``exception`` an exception or an
        exc_info tuple; without one, the exception being handled (``sys.exc_info()``). Returns
        the event's uuid; ``None`` when there is no exception, it was captured before, or
        anything failed (it never raises, as posthog-python). The event goes through
        :meth:`capture` (context, super properties, ``before_send``, flags)."""
        try:
            return self._capture_exception(
                exception,
                kwargs.get("_capture_metadata"),
                distinct_id=distinct_id,
                properties=properties,
                timestamp=timestamp,
                uuid=uuid,
                groups=groups,
                flags=flags,
                send_feature_flags=send_feature_flags,
                disable_geoip=disable_geoip,
            )
        except Exception as e:
            log.exception("Failed to capture exception: %s", e)
            return None

    def _capture_exception(
        self,
        exception: Optional[exceptions.Capturable],
        metadata: Optional[Mapping[str, Any]] = None,
        **capture_args: Any,
    ) -> Optional[str]:
        if exception is not None and exceptions.already_captured(exception):
            log.debug("Exception already captured, skipping")
            return None
        exc_info = (
            exceptions.exc_info_from_error(exception) if exception is not None else sys.exc_info()
        )
        if exc_info[1] is None and exc_info[0] is None:
            log.warning("No exception information available")
            return None
        options = dict(self._exception_options)
        metadata = metadata if isinstance(metadata, Mapping) else {}
        for key in ("level", "source", "mechanism"):
            if metadata.get(key) is not None:
                options[key] = metadata[key]
        # The context's overrides (set_*_context) win over the client's options.
        context = contexts.get_code_variables_context
        enabled = context("capture_exception_code_variables")
        code_variables = self.capture_exception_code_variables if enabled is None else bool(enabled)
        if code_variables:
            config = dict(options["code_variables"])
            for option, field in (
                ("code_variables_mask_patterns", "mask_patterns"),
                ("code_variables_ignore_patterns", "ignore_patterns"),
                ("code_variables_mask_url_credentials", "mask_url_credentials"),
                ("code_variables_detect_secrets", "detect_secrets"),
            ):
                value = context(option)
                if value is not None:
                    config[field] = value
            options["code_variables"] = config
        else:
            options["code_variables"] = None
        given = capture_args.pop("properties", None) or {}
        exceptions.warn_reserved(given)
        caller = {**exceptions.otel_properties(), **given}
        props = exceptions.exception_properties(exc_info, options, caller, code_variables=code_variables)
        if self.log_captured_exceptions:
            log.error("%s", exc_info[1], exc_info=exc_info)  # type: ignore[arg-type]
        sent: Optional[str] = self.capture("$exception", properties=props, **capture_args)
        if exception is not None and sent is not None:
            exceptions.mark_captured(exception, sent)
        return sent

    def capture_ai(
        self,
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
        """posthog-python's ``capture_ai``: the same arguments and return value as
        ``capture``; the event is queued on the AI lane and posted to PostHog's dedicated
        ``/i/v0/ai/batch/`` endpoint (a larger per-event bound: 8 MiB). ``flags`` and
        ``send_feature_flags`` are not applied on the AI lane (logged)."""
        try:
            if flags is not None or send_feature_flags:
                log.warning("capture_ai: flags / send_feature_flags are not applied to AI events")
            props = self._properties(properties)
            did = _id(distinct_id) or contexts.get_context_distinct_id()
            sent = self._client._native.capture_ai(
                event, did, props, timestamp, uuid, groups, disable_geoip
            )
            if self._sync_mode and sent is not None:
                self._flush_now()
            return sent
        except Exception as e:
            if self.debug:
                raise
            log.exception("Error in %s: %s", "capture_ai", e)
            return None

    # ---- feature flags ----------------------------------------------------------------

    @staticmethod
    def _device(device_id: Optional[str]) -> Optional[str]:
        if device_id is None:
            scope = _current_context()
            if scope is not None:
                return scope._inherited("device_id")
        return device_id

    def feature_enabled(
        self,
        key: str,
        distinct_id: ID_TYPES,
        *,
        groups: Optional[Mapping[str, Union[str, int]]] = None,
        person_properties: Optional[Dict[str, Any]] = None,
        group_properties: Optional[Dict[str, Dict[str, Any]]] = None,
        only_evaluate_locally: bool = False,
        send_feature_flag_events: bool = True,
        disable_geoip: Optional[bool] = None,
        device_id: Optional[str] = None,
    ) -> Optional[bool]:
        """Whether the flag is on; ``None`` when unknown or PostHog could not be asked."""
        # The native client directly (what Client.feature_enabled calls), one layer less.
        return self._client._native.is_feature_enabled(
            key,
            distinct_id,
            (
                groups,
                person_properties,
                group_properties,
                only_evaluate_locally,
                send_feature_flag_events,
                disable_geoip,
                False,
                device_id if device_id is not None else self._device(None),
            ),
        )

    def get_feature_flag(
        self,
        key: str,
        distinct_id: ID_TYPES,
        *,
        groups: Optional[Mapping[str, Union[str, int]]] = None,
        person_properties: Optional[Dict[str, Any]] = None,
        group_properties: Optional[Dict[str, Dict[str, Any]]] = None,
        only_evaluate_locally: bool = False,
        send_feature_flag_events: bool = True,
        disable_geoip: Optional[bool] = None,
        device_id: Optional[str] = None,
    ) -> Optional[FlagValue]:
        """``True``/``False``/the variant; ``None`` when unknown or PostHog could not be asked."""
        return self._client._native.get_feature_flag(
            key,
            distinct_id,
            (
                groups,
                person_properties,
                group_properties,
                only_evaluate_locally,
                send_feature_flag_events,
                disable_geoip,
                False,
                device_id if device_id is not None else self._device(None),
            ),
        )

    def get_feature_flag_payload(
        self,
        key: str,
        distinct_id: ID_TYPES,
        *,
        match_value: Optional[FlagValue] = None,
        groups: Optional[Mapping[str, Union[str, int]]] = None,
        person_properties: Optional[Dict[str, Any]] = None,
        group_properties: Optional[Dict[str, Dict[str, Any]]] = None,
        only_evaluate_locally: bool = False,
        send_feature_flag_events: bool = False,
        disable_geoip: Optional[bool] = None,
        device_id: Optional[str] = None,
    ) -> Optional[object]:
        """The payload of the flag's value for this user (decoded JSON), or ``None``;
        ``match_value``: the payload of that value (locally evaluated flags, as posthog-python
        does)."""
        if send_feature_flag_events:
            raise _not_supported(
                "get_feature_flag_payload(send_feature_flag_events=True): the payload lookup "
                "captures no event; call get_feature_flag for $feature_flag_called"
            )
        payload: Optional[object] = self._client.get_feature_flag_payload(
            key,
            distinct_id,
            groups=groups,
            person_properties=person_properties,
            group_properties=group_properties,
            only_evaluate_locally=only_evaluate_locally,
            disable_geoip=disable_geoip,
            device_id=self._device(device_id),
            match_value=match_value,
        )
        return payload

    def get_all_flags(
        self,
        distinct_id: ID_TYPES,
        *,
        groups: Optional[Mapping[str, Union[str, int]]] = None,
        person_properties: Optional[Dict[str, Any]] = None,
        group_properties: Optional[Dict[str, Dict[str, Any]]] = None,
        only_evaluate_locally: bool = False,
        disable_geoip: Optional[bool] = None,
        flag_keys_to_evaluate: Optional[List[str]] = None,
        device_id: Optional[str] = None,
    ) -> Optional[Dict[str, FlagValue]]:
        """Every flag's value for this user (only ``flag_keys_to_evaluate`` when given);
        ``None`` when disabled."""
        return self._client._native.all_flags(  # type: ignore[no-any-return]
            distinct_id,
            flag_keys_to_evaluate,
            False,
            (
                groups,
                person_properties,
                group_properties,
                only_evaluate_locally,
                None,
                disable_geoip,
                False,
                device_id if device_id is not None else self._device(None),
            ),
        )

    def get_all_flags_and_payloads(
        self,
        distinct_id: ID_TYPES,
        *,
        groups: Optional[Mapping[str, Union[str, int]]] = None,
        person_properties: Optional[Dict[str, Any]] = None,
        group_properties: Optional[Dict[str, Dict[str, Any]]] = None,
        only_evaluate_locally: bool = False,
        disable_geoip: Optional[bool] = None,
        flag_keys_to_evaluate: Optional[List[str]] = None,
        device_id: Optional[str] = None,
    ) -> Dict[str, Dict[str, Any]]:
        """``{"featureFlags": {...}, "featureFlagPayloads": {...}}``."""
        return self._client._native.all_flags(  # type: ignore[no-any-return]
            distinct_id,
            flag_keys_to_evaluate,
            True,
            (
                groups,
                person_properties,
                group_properties,
                only_evaluate_locally,
                None,
                disable_geoip,
                False,
                device_id if device_id is not None else self._device(None),
            ),
        )

    def evaluate_flags(
        self,
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
        """Every flag (or ``flag_keys``) for one user in one snapshot; pass it to
        ``capture(..., flags=...)``. Without ``distinct_id``, the context's. Raises network
        and server errors (``posthog_sdk.PostHogError``)."""
        did = _id(distinct_id) or contexts.get_context_distinct_id()
        if did is None:
            raise ValueError("evaluate_flags needs a distinct_id (or identify_context)")
        args = (groups, person_properties, group_properties, only_evaluate_locally, None,
                disable_geoip, False, self._device(device_id))
        native = self._client._native
        return FeatureFlagEvaluations(native.evaluate_flags(did, flag_keys, args), native, args)

    def load_feature_flags(self) -> None:
        """Fetches the flag definitions now (needs ``personal_api_key``)."""
        self._client.reload_feature_flags()

    def get_feature_flag_result(
        self,
        key: str,
        distinct_id: ID_TYPES,
        *,
        groups: Optional[Mapping[str, Union[str, int]]] = None,
        person_properties: Optional[Dict[str, Any]] = None,
        group_properties: Optional[Dict[str, Dict[str, Any]]] = None,
        only_evaluate_locally: bool = False,
        send_feature_flag_events: bool = True,
        disable_geoip: Optional[bool] = None,
        device_id: Optional[str] = None,
    ) -> Optional["FeatureFlagResult"]:
        """The flag's value, payload and reason (posthog-python's ``FeatureFlagResult``), or
        ``None``; captures ``$feature_flag_called`` as :meth:`get_feature_flag` does."""
        r = self._client._native.get_feature_flag_result(
            key,
            distinct_id,
            (
                groups,
                person_properties,
                group_properties,
                only_evaluate_locally,
                send_feature_flag_events,
                disable_geoip,
                False,
                self._device(device_id),
            ),
        )
        return None if r is None else FeatureFlagResult(**r)

    def get_remote_config_payload(self, key: str) -> Any:
        """The payload of remote-config flag ``key`` (PostHog decrypts encrypted payloads),
        asked of PostHog with the secret key; as posthog-python, the payload's JSON text.
        ``None`` when the client is disabled, without ``secret_key``/``personal_api_key``
        (logged), or when the request fails (logged)."""
        if self._disabled:
            return None
        if self._personal_api_key is None:
            log.warning(
                "[FEATURE FLAGS] You have to specify a secret_key to fetch decrypted feature "
                "flag payloads."
            )
            return None
        try:
            return self._client._native.get_remote_config_payload(key)
        except Exception as e:
            log.exception("[FEATURE FLAGS] Unable to get decrypted feature flag payload: %s", e)
            return None

    def get_flags_decision(
        self,
        distinct_id: Optional[ID_TYPES] = None,
        groups: Optional[Mapping[str, Union[str, int]]] = None,
        person_properties: Optional[Dict[str, Any]] = None,
        group_properties: Optional[Dict[str, Dict[str, Any]]] = None,
        disable_geoip: Optional[bool] = None,
        flag_keys_to_evaluate: Optional[List[str]] = None,
        device_id: Optional[str] = None,
    ) -> Dict[str, Any]:
        """One ``/flags`` request (never local evaluation, no event): posthog-python's
        ``FlagsResponse`` — the answer's fields, ``requestId`` and ``flags`` as
        :class:`posthog_sdk.flags.FeatureFlag` records. A failure is logged and gives
        ``{"flags": {}, "requestId": None}``."""
        try:
            did = _id(distinct_id) or contexts.get_context_distinct_id()
            if did is None:
                raise ValueError("get_flags_decision needs a distinct_id")
            raw = self._client._native.get_flags_decision(
                did,
                flag_keys_to_evaluate or None,
                (
                    groups,
                    person_properties,
                    group_properties,
                    None,
                    None,
                    disable_geoip,
                    True,
                    self._device(device_id),
                ),
            )
            return _flags_module._decision(raw)
        except Exception as err:
            log.exception("Unable to get feature flags: %s", err)
            return _flags_module._decision({"flags": {}, "requestId": None})

    # ---- contexts (the same as the module-level functions) ------------------------------

    def new_context(
        self, fresh: bool = False, capture_exceptions: Optional[bool] = None
    ) -> ContextManager[None]:
        return contexts.new_context(fresh=fresh, capture_exceptions=capture_exceptions, client=self)

    def scoped(
        self, fresh: bool = False, capture_exceptions: Optional[bool] = None
    ) -> Callable[[_F], _F]:
        return contexts.scoped(fresh=fresh, capture_exceptions=capture_exceptions, client=self)

    def identify_context(self, distinct_id: str) -> None:
        contexts.identify_context(distinct_id)

    def tag(self, name: str, value: Any) -> None:
        contexts.tag(name, value)

    def get_tags(self) -> Dict[str, Any]:
        return contexts.get_tags()

    def set_context_session(self, session_id: str) -> None:
        contexts.set_context_session(session_id)

    def set_context_device_id(self, device_id: str) -> None:
        contexts.set_context_device_id(device_id)

    # ---- lifecycle --------------------------------------------------------------------

    def flush(self, timeout_seconds: Optional[float] = 10) -> Optional[FlushReport]:
        """Sends what is queued and waits, at most ``timeout_seconds`` (``None``: the
        client's ``shutdown_timeout``). Never raises: returns the :class:`FlushReport`, or
        ``None`` when the bound passed first (posthog-python returns ``None``)."""
        try:
            return self._client.flush(timeout_seconds)
        except PostHogError as e:
            log.warning("flush: %s", e)
            return None

    def join(self) -> None:
        """Sends what is queued and stops the worker (bounded by ``shutdown_timeout``)."""
        self.shutdown()

    def shutdown(self) -> None:
        """Final delivery (bounded by ``shutdown_timeout``), then stops; idempotent."""
        if self._exception_capture is not None:
            self._exception_capture.close()
        try:
            self._client.shutdown()
        except PostHogError as e:
            log.warning("shutdown: %s", e)


#: What ``Posthog.capture`` accepts (its arguments are checked against it off the hot path).
_CAPTURE_SIGNATURE = inspect.signature(Posthog._capture_spec)
