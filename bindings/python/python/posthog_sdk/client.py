"""The PostHog client: a thin Python layer over the native core."""

from __future__ import annotations

import atexit
import dataclasses
import functools
import os
import weakref
from datetime import datetime
from types import TracebackType
from typing import (
    Any,
    Callable,
    Dict,
    Iterable,
    List,
    Mapping,
    Optional,
    Protocol,
    Type,
    TypeVar,
    Union,
)
from uuid import UUID

from . import _native
from ._native import FlagsSnapshot
from .errors import PostHogError

__all__ = ["Client", "FlushReport", "Stats", "DEFAULT_SHUTDOWN_TIMEOUT", "FlagValue"]

#: The default bound of :meth:`Client.flush`, :meth:`Client.shutdown` and the exit hook.
DEFAULT_SHUTDOWN_TIMEOUT: float = _native.DEFAULT_SHUTDOWN_TIMEOUT

Properties = Mapping[str, Any]
DistinctId = Union[str, int, UUID]
OnError = Callable[[PostHogError], Any]
BeforeSend = Callable[[Dict[str, Any]], Optional[Dict[str, Any]]]
#: A flag's value: ``True``/``False``, or the key of the chosen variant.
FlagValue = Union[bool, str]


@dataclasses.dataclass(frozen=True)
class FlushReport:
    """What a flush or shutdown achieved: events resolved while it waited."""

    sent: int
    failed: int
    dropped: int
    retried: int
    #: Events accepted and not yet delivered when it returned (in memory, or left in the
    #: on-disk queue by a shutdown).
    undelivered: int


@dataclasses.dataclass(frozen=True)
class Stats:
    """A snapshot of the client's counters."""

    queued: int
    pending: int
    accepted: int
    sent: int
    retried: int
    failed: int
    failed_batches: int
    dropped_queue_full: int
    dropped_too_large: int
    dropped_invalid: int
    dropped_closed: int
    dropped_before_send: int
    dropped_server: int
    consecutive_auth_failures: int
    deferred: int
    #: Events waiting in the on-disk queue beyond the memory queue's bounds (``storage_dir``;
    #: counted in ``queued`` and ``pending`` too).
    spilled: int

    @property
    def dropped(self) -> int:
        """All drops, every cause."""
        return (
            self.dropped_queue_full
            + self.dropped_too_large
            + self.dropped_invalid
            + self.dropped_closed
            + self.dropped_before_send
            + self.dropped_server
        )


_T = TypeVar("_T", FlushReport, Stats)


def _build(cls: Type[_T], values: Mapping[str, Any]) -> _T:
    return cls(**{f.name: values[f.name] for f in dataclasses.fields(cls)})


def _shutdown_at_exit(ref: "weakref.ReferenceType[Client]") -> None:
    client = ref()
    if client is not None:
        client._exit()


#: Every live client, for the fork hook.
_LIVE: "weakref.WeakSet[Client]" = weakref.WeakSet()


def _after_fork_in_child() -> None:
    """``os.register_at_fork(after_in_child=…)``: only the forking thread survives a fork,
    so every client's worker is gone in the child. Each live client swaps its native client
    for the fresh one the core builds (same options, empty queue, its own worker); the old
    one becomes a dead copy that never waits. The parent still delivers what was queued
    before the fork, so nothing is sent twice."""
    for client in list(_LIVE):
        client._replace_after_fork()


def _before_fork() -> None:
    """``os.register_at_fork(before=…)``: every live client's deferred captures reach its
    queue first, so no capture is in the middle of its hand-over when the process is copied."""
    for client in list(_LIVE):
        if not client._closed:
            client._native._before_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_child=_after_fork_in_child)


class RecordCipher(Protocol):
    """Encryption at rest of the on-disk queue (``storage_dir``): the app's authenticated cipher
    (e.g. AES-GCM from ``cryptography``, with a key the app manages). ``seal`` runs on the
    capturing thread for each accepted event; ``open`` when a client reads the directory back.
    ``open`` must raise on a wrong key or altered bytes; such records are reported to
    ``on_error`` and counted as failed. Never put key material or plaintext in exception texts."""

    def seal(self, plain: bytes) -> bytes: ...

    def open(self, sealed: bytes) -> bytes: ...


class Client:
    """Sends events to PostHog from a background thread of the native core.

    ``capture`` and friends never raise and never block: they queue the event and return its
    uuid, or ``None`` when it was not accepted (counted in :meth:`stats` and reported to
    ``on_error``). ``flush`` and ``shutdown`` wait without holding the GIL. A client still
    open at interpreter exit is shut down by an ``atexit`` hook, bounded by
    ``shutdown_timeout``. Options left at ``None`` take the core's defaults.

    Feature flags: with ``personal_api_key`` (a ``phs_`` flags secure key or a ``phx_``
    personal key) flags are evaluated locally from definitions polled every
    ``poll_interval`` seconds, and PostHog's ``/flags`` is asked only for what local
    evaluation cannot decide; without it every lookup asks ``/flags``. The flag getters
    return ``None`` on a network or server failure (reported to ``on_error``) and raise only
    for bad input; ``evaluate_flags`` and ``reload_feature_flags`` raise every error. Every
    flag call may block and releases the GIL while it waits.
    """

    def __init__(self, api_key: str, **options: Any) -> None:
        """Every option of the core's one schema, by its Python name (``flush_at``,
        ``flush_interval`` in seconds, ``storage_dir``, ``fsync``, ``max_event_age``…: the
        README's option table); unknown names raise ``ValueError``."""
        self._native = _native.Client(api_key, **options)
        self._shutdown_timeout: float = self._native.shutdown_timeout
        # One hook object per client, so shutdown() unregisters only its own.
        self._exit_hook = functools.partial(_shutdown_at_exit, weakref.ref(self))
        atexit.register(self._exit_hook)
        self._closed = False
        _LIVE.add(self)

    @property
    def host(self) -> str:
        """The ingestion host events go to."""
        return self._native.host

    @property
    def disabled(self) -> bool:
        """Whether the client was configured disabled (it sends nothing)."""
        return self._native.disabled

    def __repr__(self) -> str:
        return f"<posthog_sdk.Client host={self._native.host!r}>"

    __str__ = __repr__

    def capture(
        self,
        event: str,
        distinct_id: Optional[DistinctId],
        properties: Optional[Properties] = None,
        timestamp: Optional[Union[datetime, str]] = None,
        uuid: Optional[Union[UUID, str]] = None,
        groups: Optional[Mapping[str, Any]] = None,
        flags: Optional[FlagsSnapshot] = None,
        *,
        disable_geoip: Optional[bool] = None,
    ) -> Optional[str]:
        """Queues an event; returns its uuid, or ``None`` when it was not accepted.

        ``distinct_id=None`` sends a personless event (a random id, no person profile).
        ``timestamp`` is a datetime (naive means UTC) or an RFC 3339 string; ``groups`` maps
        group type to group key; ``flags`` (from :meth:`evaluate_flags`) adds
        ``$feature/<key>`` and ``$active_feature_flags`` (the event's own properties win);
        ``disable_geoip`` overrides the client's setting for this event.
        Never raises for a bad argument: it is counted and reported.
        """
        return self._native.capture(
            event, distinct_id, properties, timestamp, uuid, groups, flags, disable_geoip
        )

    def capture_exception(
        self,
        exception: Any = None,
        distinct_id: Optional[DistinctId] = None,
        properties: Optional[Properties] = None,
        *,
        project_root: Optional[str] = None,
        in_app_modules: Optional[List[str]] = None,
        code_variables: bool = False,
    ) -> Optional[str]:
        """Queues an ``$exception`` event (error tracking) for an exception or an exc_info
        tuple (``None``: the exception being handled) with ``$exception_list`` as
        posthog-python 7.x builds it; frames under ``project_root`` (default: the working
        directory) or in ``in_app_modules`` are in-app; ``code_variables`` attaches their
        masked locals. Returns the uuid, or ``None`` when there is no exception. A value that
        is not an exception raises ``InvalidInputError``."""
        import sys

        from . import exceptions

        exc_info = (
            exceptions.exc_info_from_error(exception) if exception is not None else sys.exc_info()
        )
        if exc_info[0] is None and exc_info[1] is None:
            return None
        options: Dict[str, Any] = {
            "project_root": project_root if project_root is not None else os.getcwd(),
            "in_app_include": list(in_app_modules or []),
            "code_variables": {} if code_variables else None,
        }
        props = exceptions.exception_properties(
            exc_info, options, dict(properties or {}), code_variables=code_variables
        )
        return self.capture("$exception", distinct_id, props)

    def identify(
        self,
        distinct_id: DistinctId,
        properties: Optional[Properties] = None,
        set_once: Optional[Properties] = None,
    ) -> Optional[str]:
        """``$identify``: sets person properties (``$set``) and ``$set_once``."""
        return self._native.identify(distinct_id, properties, set_once)

    def alias(
        self,
        distinct_id: DistinctId,
        alias: DistinctId,
        *,
        timestamp: Optional[Union[datetime, str]] = None,
        uuid: Optional[Union[UUID, str]] = None,
        disable_geoip: Optional[bool] = None,
    ) -> Optional[str]:
        """``$create_alias``: makes ``alias`` another id of the person ``distinct_id``."""
        return self._native.alias(distinct_id, alias, timestamp, uuid, disable_geoip)

    def group_identify(
        self,
        group_type: str,
        group_key: Union[str, int],
        properties: Optional[Properties] = None,
        distinct_id: Optional[DistinctId] = None,
        *,
        timestamp: Optional[Union[datetime, str]] = None,
        uuid: Optional[Union[UUID, str]] = None,
        disable_geoip: Optional[bool] = None,
    ) -> Optional[str]:
        """``$groupidentify``: sets properties of a group."""
        return self._native.group_identify(
            group_type, group_key, properties, distinct_id, timestamp, uuid, disable_geoip
        )

    def set(
        self,
        distinct_id: DistinctId,
        properties: Optional[Properties] = None,
        *,
        timestamp: Optional[Union[datetime, str]] = None,
        uuid: Optional[Union[UUID, str]] = None,
        disable_geoip: Optional[bool] = None,
    ) -> Optional[str]:
        """``$set``: sets person properties."""
        return self._native.set(distinct_id, properties, timestamp, uuid, disable_geoip)

    def set_once(
        self,
        distinct_id: DistinctId,
        properties: Optional[Properties] = None,
        *,
        timestamp: Optional[Union[datetime, str]] = None,
        uuid: Optional[Union[UUID, str]] = None,
        disable_geoip: Optional[bool] = None,
    ) -> Optional[str]:
        """``$set_once``: sets person properties that are not set yet."""
        return self._native.set_once(distinct_id, properties, timestamp, uuid, disable_geoip)

    # ---- feature flags ------------------------------------------------------------------

    def get_feature_flag(
        self,
        key: str,
        distinct_id: DistinctId,
        *,
        groups: Optional[Mapping[str, Any]] = None,
        person_properties: Optional[Properties] = None,
        group_properties: Optional[Mapping[str, Properties]] = None,
        only_evaluate_locally: bool = False,
        send_feature_flag_events: Optional[bool] = None,
        disable_geoip: Optional[bool] = None,
        force_remote: bool = False,
        device_id: Optional[str] = None,
    ) -> Optional[FlagValue]:
        """The flag's value: ``True``, ``False`` or a variant key; ``None`` when the flag is
        unknown, undecidable with ``only_evaluate_locally``, or PostHog could not be asked
        (the failure goes to ``on_error``). Captures ``$feature_flag_called`` once per
        (distinct id, flag, value) unless ``send_feature_flag_events`` is off.

        Raises :class:`InvalidInputError` for bad input (empty key or distinct id, a
        property that cannot be sent as JSON).
        """
        return self._native.get_feature_flag(
            key,
            distinct_id,
            (
                groups,
                person_properties,
                group_properties,
                only_evaluate_locally,
                send_feature_flag_events,
                disable_geoip,
                force_remote,
                device_id,
            ),
        )

    def feature_enabled(
        self,
        key: str,
        distinct_id: DistinctId,
        *,
        groups: Optional[Mapping[str, Any]] = None,
        person_properties: Optional[Properties] = None,
        group_properties: Optional[Mapping[str, Properties]] = None,
        only_evaluate_locally: bool = False,
        send_feature_flag_events: Optional[bool] = None,
        disable_geoip: Optional[bool] = None,
        force_remote: bool = False,
        device_id: Optional[str] = None,
    ) -> Optional[bool]:
        """Whether the flag is on (``True`` or any variant); ``None`` as in
        :meth:`get_feature_flag`. Raises only for bad input."""
        return self._native.is_feature_enabled(
            key,
            distinct_id,
            (
                groups,
                person_properties,
                group_properties,
                only_evaluate_locally,
                send_feature_flag_events,
                disable_geoip,
                force_remote,
                device_id,
            ),
        )

    #: The same as :meth:`feature_enabled`.
    is_feature_enabled = feature_enabled

    def get_feature_flag_payload(
        self,
        key: str,
        distinct_id: DistinctId,
        *,
        groups: Optional[Mapping[str, Any]] = None,
        person_properties: Optional[Properties] = None,
        group_properties: Optional[Mapping[str, Properties]] = None,
        only_evaluate_locally: bool = False,
        send_feature_flag_events: Optional[bool] = None,
        disable_geoip: Optional[bool] = None,
        force_remote: bool = False,
        device_id: Optional[str] = None,
        match_value: Optional[FlagValue] = None,
    ) -> Any:
        """The payload of the flag's current value (decoded JSON), or ``None``. Captures no
        event. ``match_value``: the payload only when the flag has that value. Raises only for bad
        input."""
        return self._native.get_feature_flag_payload(
            key,
            distinct_id,
            (
                groups,
                person_properties,
                group_properties,
                only_evaluate_locally,
                send_feature_flag_events,
                disable_geoip,
                force_remote,
                device_id,
            ),
            match_value,
        )

    def get_all_flags(
        self,
        distinct_id: DistinctId,
        *,
        groups: Optional[Mapping[str, Any]] = None,
        person_properties: Optional[Properties] = None,
        group_properties: Optional[Mapping[str, Properties]] = None,
        only_evaluate_locally: bool = False,
        disable_geoip: Optional[bool] = None,
        force_remote: bool = False,
        device_id: Optional[str] = None,
        flag_keys: Optional[Iterable[str]] = None,
    ) -> Dict[str, FlagValue]:
        """Every known flag (or ``flag_keys`` only): key → ``True``/``False``/variant. When
        PostHog cannot be asked, the locally decided flags (the failure goes to
        ``on_error``). Raises only for bad input."""
        return self._native.all_flags(  # type: ignore[no-any-return]
            distinct_id,
            flag_keys,
            False,
            (
                groups,
                person_properties,
                group_properties,
                only_evaluate_locally,
                None,
                disable_geoip,
                force_remote,
                device_id,
            ),
        )

    def get_all_flags_and_payloads(
        self,
        distinct_id: DistinctId,
        *,
        groups: Optional[Mapping[str, Any]] = None,
        person_properties: Optional[Properties] = None,
        group_properties: Optional[Mapping[str, Properties]] = None,
        only_evaluate_locally: bool = False,
        disable_geoip: Optional[bool] = None,
        force_remote: bool = False,
        device_id: Optional[str] = None,
        flag_keys: Optional[Iterable[str]] = None,
    ) -> Dict[str, Dict[str, Any]]:
        """``{"featureFlags": {key: value}, "featureFlagPayloads": {key: payload}}`` (the
        shape of posthog-python), as :meth:`get_all_flags`."""
        return self._native.all_flags(  # type: ignore[no-any-return]
            distinct_id,
            flag_keys,
            True,
            (
                groups,
                person_properties,
                group_properties,
                only_evaluate_locally,
                None,
                disable_geoip,
                force_remote,
                device_id,
            ),
        )

    def evaluate_flags(
        self,
        distinct_id: DistinctId,
        *,
        groups: Optional[Mapping[str, Any]] = None,
        person_properties: Optional[Properties] = None,
        group_properties: Optional[Mapping[str, Properties]] = None,
        only_evaluate_locally: bool = False,
        disable_geoip: Optional[bool] = None,
        force_remote: bool = False,
        device_id: Optional[str] = None,
        flag_keys: Optional[Iterable[str]] = None,
    ) -> FlagsSnapshot:
        """Every flag (or ``flag_keys`` only) for one distinct id in one
        :class:`FlagsSnapshot`: local first, then one ``/flags`` request for whatever local
        evaluation could not decide. Captures no event; pass the snapshot to
        ``capture(..., flags=snapshot)``.

        Raises every error: :class:`InvalidInputError`, and network and server errors
        (:class:`QuotaLimitedError`, :class:`TransportError`, :class:`TimeoutError`, …).
        """
        return self._native.evaluate_flags(
            distinct_id,
            flag_keys,
            (
                groups,
                person_properties,
                group_properties,
                only_evaluate_locally,
                None,
                disable_geoip,
                force_remote,
                device_id,
            ),
        )

    def reload_feature_flags(self) -> None:
        """Fetches the flag definitions now (ETag: an unchanged set costs a 304) and waits.

        Raises :class:`ConfigError` without ``personal_api_key``, and every network or server
        error.
        """
        self._native.reload_feature_flags()

    # ---- lifecycle ----------------------------------------------------------------------

    def flush(self, timeout: Optional[float] = None) -> FlushReport:
        """Sends everything queued and waits until it is delivered or definitively failed.

        Raises :class:`posthog_sdk.TimeoutError` when ``timeout`` (seconds) passes first.
        """
        report = self._native.flush(self._timeout(timeout))
        return _build(FlushReport, report)

    def shutdown(self, timeout: Optional[float] = None) -> FlushReport:
        """Stops accepting events, drains the queue (bounded by ``timeout``) and stops the
        worker. Calling it again does nothing."""
        atexit.unregister(self._exit_hook)
        self._closed = True
        report = self._native.shutdown(self._timeout(timeout))
        return _build(FlushReport, report)

    def stats(self) -> Stats:
        """The counters now."""
        return _build(Stats, self._native.stats())

    def rotate_key(self, api_key: str) -> None:
        """Uses another project key for every later request."""
        self._native.rotate_key(api_key)

    @property
    def is_shut_down(self) -> bool:
        """Whether :meth:`shutdown` has run."""
        return self._native.is_shut_down

    def __enter__(self) -> "Client":
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.shutdown()

    def _timeout(self, timeout: Optional[float]) -> float:
        return self._shutdown_timeout if timeout is None else float(timeout)

    def _replace_after_fork(self) -> None:
        if self._closed:
            return  # (no native call: a lock may be held by a thread the fork left behind)
        try:
            self._native = self._native._after_fork_in_child()
        except PostHogError:
            pass  # the child keeps a dead copy: calls are accepted, nothing is sent

    def _exit(self) -> None:
        try:
            self._native.shutdown(self._shutdown_timeout)
        except PostHogError:
            pass  # already reported to on_error by the core


# Registered first, so it runs last at exit: after every client's hook has shut it down,
# on_error callbacks from the native side stop.
atexit.register(_native._mark_finalizing)
