"""The admin client: PostHog's private API with a personal API key (``phx_…``).

A thin layer over the core's ``AdminClient``: every call blocks the calling thread (with the
GIL released) while the core's own worker thread does the HTTP work, so it is safe from any
thread. Answers are plain dicts as PostHog sends them; lists are lazy :class:`Pager` iterators.

>>> from posthog_sdk import AdminClient
>>> with AdminClient("phx_...") as admin:  # doctest: +SKIP
...     for flag in admin.feature_flags.list():
...         print(flag["key"], flag["active"])
"""

from __future__ import annotations

import asyncio
import io
import os
from datetime import datetime, timezone
from types import TracebackType
from typing import (
    IO,
    Any,
    Callable,
    Dict,
    Generic,
    Iterator,
    Mapping,
    Optional,
    List,
    Sequence,
    Tuple,
    Type,
    TypeVar,
    Union,
    cast,
)

from . import _native
from .query import ExportReport, QueryResult, QueryStatus

__all__ = [
    "AdminClient",
    "AsyncAdminClient",
    "Pager",
    "ProjectRef",
    "QueryResult",
    "QueryStatus",
    "ExportReport",
]

#: A project: its numeric id, or ``"@current"`` (the key's current project).
ProjectRef = Union[int, str]
#: Where an export goes: a path, or a binary file object (a text one is written through its
#: ``buffer``).
ExportTarget = Union[str, "os.PathLike[str]", IO[bytes], IO[str]]
#: A value accepted as a time: a ``datetime`` (naive = UTC) or an RFC 3339 string.
TimeLike = Union[datetime, str]

CURRENT = "@current"

_T = TypeVar("_T")


class Pager(Generic[_T]):
    """Every item of a list endpoint, fetched a page at a time as iteration needs it.

    ``for item in pager`` blocks (without the GIL) only when a page is used up;
    ``async for item in pager`` fetches pages in a worker thread. After an error the
    iteration ends. ``total`` is the count the server announced, once a page was fetched.
    """

    __slots__ = ("_native",)

    def __init__(self, native: _native.AdminPager) -> None:
        self._native = native

    def __iter__(self) -> Iterator[_T]:
        return self

    def __next__(self) -> _T:
        item: _T = next(self._native)
        return item

    def __aiter__(self) -> "Pager[_T]":
        return self

    async def __anext__(self) -> _T:
        done = object()
        item = await asyncio.to_thread(next, self._native, done)
        if item is done:
            raise StopAsyncIteration
        return cast(_T, item)

    @property
    def total(self) -> Optional[int]:
        """The total the server announced (``count``), once a page has been fetched."""
        return self._native.total

    @property
    def pages_fetched(self) -> int:
        """How many pages were fetched so far."""
        return self._native.pages_fetched

    def __repr__(self) -> str:
        return f"<Pager pages_fetched={self.pages_fetched} total={self.total}>"


Item = Dict[str, Any]


class _Resource:
    __slots__ = ("_n",)

    def __init__(self, native: _native.AdminClient) -> None:
        self._n = native


class Projects(_Resource):
    """``/api/projects/``."""

    def list(self) -> Pager[Item]:
        """Every project the key can see."""
        return Pager(self._n.projects_list())

    def get(self, project: ProjectRef = CURRENT) -> Item:
        """One project (``"@current"`` for the key's current one)."""
        return self._n.projects_get(project)


class FeatureFlags(_Resource):
    """``/api/projects/{project}/feature_flags/``. Ids are ints."""

    def list(self, project: ProjectRef = CURRENT) -> Pager[Item]:
        """Every (live) flag of the project."""
        return Pager(self._n.flags_list(project))

    def get(self, id: int, *, project: ProjectRef = CURRENT) -> Item:
        return self._n.flags_get(project, id)

    def create(
        self,
        key: str,
        *,
        name: Optional[str] = None,
        rollout_percentage: Optional[float] = None,
        filters: Optional[Mapping[str, Any]] = None,
        active: Optional[bool] = None,
        project: ProjectRef = CURRENT,
        **fields: Any,
    ) -> Item:
        """Creates a flag. ``rollout_percentage`` is a rollout to that share of everyone; give
        it or ``filters`` (release conditions as PostHog takes them), not both. ``active``
        defaults to on. Other keyword arguments (``ensure_experience_continuity``, ``tags``…)
        are sent as they are."""
        return self._n.flags_create(
            project, key, name, active, filters, rollout_percentage, fields or None
        )

    def update(self, id: int, *, project: ProjectRef = CURRENT, **fields: Any) -> Item:
        """Changes these fields (``PATCH``), e.g. ``update(7, name="New", filters={…})``."""
        return self._n.flags_update(project, id, fields)

    def set_active(self, id: int, active: bool, *, project: ProjectRef = CURRENT) -> Item:
        """Turns a flag on or off."""
        return self._n.flags_set_active(project, id, active)

    def delete(self, id: int, *, project: ProjectRef = CURRENT) -> Item:
        """Deletes a flag the way PostHog does: a soft delete. Returns the deleted flag."""
        return self._n.flags_delete(project, id)

    def activity(self, id: int, *, project: ProjectRef = CURRENT) -> Pager[Item]:
        """The change history of a flag, newest first (scope ``activity_log:read``, not
        ``feature_flag:read``)."""
        return Pager(self._n.flags_activity(project, id))


class Persons(_Resource):
    """``/api/projects/{project}/persons/``. Ids are uuids (str)."""

    def list(
        self, *, distinct_id: Optional[str] = None, project: ProjectRef = CURRENT
    ) -> Pager[Item]:
        """Every person, or those with this distinct id."""
        return Pager(self._n.persons_list(project, distinct_id))

    def get(self, id: str, *, project: ProjectRef = CURRENT) -> Item:
        return self._n.persons_get(project, id)

    def delete(self, id: str, *, project: ProjectRef = CURRENT) -> None:
        """Deletes a person (their events stay)."""
        self._n.persons_delete(project, id)


class Cohorts(_Resource):
    """``/api/projects/{project}/cohorts/``."""

    def list(self, project: ProjectRef = CURRENT) -> Pager[Item]:
        return Pager(self._n.cohorts_list(project))

    def get(self, id: int, *, project: ProjectRef = CURRENT) -> Item:
        return self._n.cohorts_get(project, id)

    def create_static(
        self, name: str, person_ids: Sequence[str] = (), *, project: ProjectRef = CURRENT
    ) -> Item:
        """A static cohort holding the persons with these ids (uuids)."""
        return self._n.cohorts_create_static(project, name, list(person_ids))


class Insights(_Resource):
    """``/api/projects/{project}/insights/`` (read only)."""

    def list(self, project: ProjectRef = CURRENT) -> Pager[Item]:
        return Pager(self._n.insights_list(project))

    def get(self, id: int, *, project: ProjectRef = CURRENT) -> Item:
        return self._n.insights_get(project, id)


class Annotations(_Resource):
    """``/api/projects/{project}/annotations/``."""

    def list(self, project: ProjectRef = CURRENT) -> Pager[Item]:
        return Pager(self._n.annotations_list(project))

    def create(self, content: str, at: TimeLike, *, project: ProjectRef = CURRENT) -> Item:
        """Marks the time ``at`` with ``content`` (project scope)."""
        return self._n.annotations_create(project, content, at)


class Definitions(_Resource):
    """Event and property definitions."""

    def events(self, project: ProjectRef = CURRENT) -> Pager[Item]:
        """Every event definition (event names seen)."""
        return Pager(self._n.definitions_events(project))

    def properties(
        self, kind: Optional[str] = None, *, project: ProjectRef = CURRENT
    ) -> Pager[Item]:
        """Every property definition; ``kind`` filters by type (``event``, ``person``…)."""
        return Pager(self._n.definitions_properties(project, kind))


class BatchExports(_Resource):
    """``/api/projects/{project}/batch_exports/``: PostHog's own pipeline for large or
    recurring exports (S3, BigQuery, Snowflake…). Ids are uuids (str)."""

    def list(self, project: ProjectRef = CURRENT) -> Pager[Item]:
        return Pager(self._n.batch_exports_list(project))

    def get(self, id: str, *, project: ProjectRef = CURRENT) -> Item:
        return self._n.batch_exports_get(project, id)

    def create(self, spec: Mapping[str, Any], *, project: ProjectRef = CURRENT) -> Item:
        """From PostHog's JSON form: ``{"name", "destination": {"type", "config"}, "interval"}``."""
        return self._n.batch_exports_create(project, spec)

    def pause(self, id: str, *, project: ProjectRef = CURRENT) -> Item:
        return self._n.batch_exports_pause(project, id, True)

    def unpause(self, id: str, *, project: ProjectRef = CURRENT) -> Item:
        return self._n.batch_exports_pause(project, id, False)

    def backfill(
        self, id: str, start: TimeLike, end: TimeLike, *, project: ProjectRef = CURRENT
    ) -> Item:
        """Runs the export again over ``[start, end)``."""
        return self._n.batch_exports_backfill(project, id, start, end)

    def runs(
        self,
        id: str,
        *,
        after: Optional[Any] = None,
        before: Optional[Any] = None,
        project: ProjectRef = CURRENT,
    ) -> Pager[Item]:
        """The runs created in ``[after, before)`` (datetimes or RFC 3339), newest first.
        Without ``after`` PostHog lists only the last 7 days."""
        return Pager(self._n.batch_exports_runs(project, id, after, before))


def _binary(target: Any) -> Any:
    """A text file is written through its ``buffer`` (flushed first, so nothing reorders)."""
    if isinstance(target, io.TextIOBase):
        target.flush()
        buffer = getattr(target, "buffer", None)
        if buffer is None:
            raise TypeError("export needs a binary file (open it with 'wb' or 'ab')")
        return buffer
    return target


class AdminClient:
    """A client of PostHog's private API, authenticated by a personal API key (``phx_…``).

    ``personal_api_key=None`` reads ``POSTHOG_PERSONAL_API_KEY`` (and then ``POSTHOG_HOST``
    when ``host`` is not given). Options left at ``None`` take the core's defaults: host
    ``https://us.posthog.com``, ``timeout`` 30 s per attempt, ``max_retries`` 3 (idempotent
    requests after a 5xx or a connection error), ``max_throttle_retries`` 10 (429s, each
    waiting the server's ``Retry-After``), ``max_concurrency`` 4, ``retry_writes`` False.
    A project key (``phc_…``) raises :class:`~posthog_sdk.InvalidKeyError`; the key never
    appears in ``repr`` or in errors.

    ``key_provider`` (a callable returning the key, e.g. from a secret manager) is asked for
    the key at start when ``personal_api_key`` is not given, and again whenever PostHog answers
    401; the request is then sent once more with the new key, so a key rotated elsewhere is
    picked up without a restart. Least privilege: :meth:`required_scopes` names the scopes a
    script needs and :meth:`preflight` checks the key has them before the work starts.
    """

    def __init__(
        self,
        personal_api_key: Optional[str] = None,
        *,
        host: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        max_throttle_retries: Optional[int] = None,
        max_concurrency: Optional[int] = None,
        retry_writes: Optional[bool] = None,
        key_provider: Optional[Callable[[], str]] = None,
    ) -> None:
        self._native = _native.AdminClient(
            personal_api_key,
            host,
            timeout,
            max_retries,
            max_throttle_retries,
            max_concurrency,
            retry_writes,
            key_provider,
        )
        n = self._native
        self.projects = Projects(n)
        self.feature_flags = FeatureFlags(n)
        self.persons = Persons(n)
        self.cohorts = Cohorts(n)
        self.insights = Insights(n)
        self.annotations = Annotations(n)
        self.definitions = Definitions(n)
        self.batch_exports = BatchExports(n)

    @property
    def host(self) -> str:
        """The app origin the client talks to."""
        return self._native.host

    def __repr__(self) -> str:
        return f"AdminClient(host={self.host!r})"

    def __enter__(self) -> "AdminClient":
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stops the client's worker thread; later calls raise ``ClosedError``."""
        self._native.close()

    def rotate_key(self, personal_api_key: str) -> None:
        """Uses this key for every later request (requests in flight keep the old one)."""
        self._native.rotate_key(personal_api_key)

    @staticmethod
    def required_scopes(operations: Sequence[str]) -> List[str]:
        """The smallest set of scopes for these operations (names like
        ``"feature_flags.list"``, ``"export"``; see :meth:`operations`)."""
        return list(_native.AdminClient.required_scopes(list(operations)))

    @staticmethod
    def operations() -> Dict[str, List[str]]:
        """Every admin operation and the scopes it needs."""
        return dict(_native.AdminClient.operations())

    def preflight(self, operations: Sequence[str]) -> Dict[str, Any]:
        """Checks once that the key has every scope ``operations`` need; a missing one raises
        :class:`~posthog_sdk.ForbiddenError` naming it (``.scope``). Answers
        ``{"granted": [...] or None, "required": [...]}`` (``granted`` is None when the server
        cannot tell, e.g. an older PostHog)."""
        return dict(self._native.preflight(list(operations)))

    def rate_budget(self, rate_class: str = "query") -> Optional[Tuple[int, int]]:
        """The client-side budget of ``"general"``, ``"analytics"`` or ``"query"`` requests as
        ``(per_minute, per_hour)``: PostHog's published limits, lowered when a 429 shows this
        team's are lower."""
        return self._native.rate_budget(rate_class)

    def activity_log(
        self,
        *,
        user: Optional[str] = None,
        scope: Optional[str] = None,
        item_id: Optional[str] = None,
        project: ProjectRef = CURRENT,
    ) -> Pager[Item]:
        """The project's activity (audit) log, newest first (scope ``activity_log:read``);
        filter by ``user`` (uuid), ``scope`` (``"FeatureFlag"``, ``"Insight"``…), ``item_id``."""
        return Pager(self._native.activity_log(project, user, scope, item_id))

    # Personal API keys.

    def current_key(self) -> Item:
        """The key this client uses (``/api/personal_api_keys/@current/``): label, scopes,
        ``last_rolled_at``. Needs no scope."""
        return self._native.keys_current()

    def list_keys(self) -> List[Item]:
        """Every personal key of the user. Current PostHog refuses key management with a
        personal key (``ForbiddenError``: only a logged-in session may); older versions allow
        it with ``personal_api_key:read``/``write``."""
        return list(self._native.keys_list())

    def create_key(self, label: str, scopes: Sequence[str]) -> Item:
        """Creates a key with these scopes; its secret is in ``["value"]``, this once."""
        return self._native.keys_create(label, list(scopes))

    def roll_key(self, id: str) -> Item:
        """Rolls a key: the new secret is in ``["value"]``, the old one stops working now."""
        return self._native.keys_roll(id)

    def delete_key(self, id: str) -> None:
        """Deletes (revokes) a key."""
        self._native.keys_delete(id)

    def me(self) -> Item:
        """The user the key belongs to (``/api/users/@me/``)."""
        return self._native.me()

    # The query API.

    def query(
        self,
        hogql: str,
        values: Optional[Mapping[str, Any]] = None,
        *,
        project: ProjectRef = CURRENT,
        client_query_id: Optional[str] = None,
        name: Optional[str] = None,
        fresh: bool = False,
    ) -> QueryResult:
        """Runs a HogQL query and waits for its rows. ``values`` fills the ``{name}``
        placeholders: pass every outside value that way, never in the text. PostHog may answer
        a query run again soon from its cache (``extra["is_cached"]``); ``fresh=True`` asks it
        to compute again."""
        return QueryResult._from(
            self._native.query(project, hogql, values, client_query_id, name, fresh)
        )

    def query_async(
        self,
        hogql: str,
        values: Optional[Mapping[str, Any]] = None,
        *,
        project: ProjectRef = CURRENT,
        client_query_id: Optional[str] = None,
        name: Optional[str] = None,
        fresh: bool = False,
    ) -> QueryStatus:
        """Starts a query in the background; poll it with :meth:`query_status` or wait with
        :meth:`wait_for_query` (using ``status.id``). A query PostHog has cached comes back
        complete at once."""
        return QueryStatus._from(
            *self._native.query_async(project, hogql, values, client_query_id, name, fresh)
        )

    def query_status(self, id: str, *, project: ProjectRef = CURRENT) -> QueryStatus:
        """The state of an async query."""
        return QueryStatus._from(*self._native.query_status(project, id))

    def wait_for_query(
        self, id: str, *, timeout: float = 600.0, project: ProjectRef = CURRENT
    ) -> QueryResult:
        """Polls an async query until it completes (its result), fails (its error) or
        ``timeout`` seconds pass (``TimeoutError``)."""
        return QueryResult._from(self._native.wait_for_query(project, id, timeout))

    def cancel_query(self, id: str, *, project: ProjectRef = CURRENT) -> Optional[str]:
        """Cancels an async query; answers PostHog's message (None when it sent none)."""
        return self._native.cancel_query(project, id)

    # Export.

    def export(
        self,
        target: ExportTarget,
        *,
        events: Optional[Mapping[str, Any]] = None,
        hogql: Optional[str] = None,
        values: Optional[Mapping[str, Any]] = None,
        format: str = "jsonl",
        page_size: int = 10_000,
        checkpoint: Union[Mapping[str, Any], str, None] = None,
        on_progress: Optional[Callable[[int], Any]] = None,
        on_checkpoint: Optional[Callable[[Dict[str, Any]], Any]] = None,
        project: ProjectRef = CURRENT,
    ) -> ExportReport:
        """Streams rows to ``target`` as JSON Lines or CSV, one page in memory at a time.

        The rows: ``events={"after": t, "before": t, "event": "$pageview", "properties":
        {"$browser": "Chrome"}}`` (``before`` defaults to now; paged by (timestamp, uuid), so
        nothing is skipped or repeated) or ``hogql="SELECT … ORDER BY …"`` with ``values``
        (no ``LIMIT`` of its own; paged by ``LIMIT``/``OFFSET``).

        ``target`` is a path (opened by the core: created, or with ``checkpoint`` cut back to
        the checkpoint's size and appended to) or a binary file object (with ``checkpoint``,
        position it yourself at ``checkpoint["bytes"]``). ``on_progress(rows)`` and
        ``on_checkpoint(checkpoint)`` are called after each page; what they raise goes to
        ``sys.unraisablehook``.

        An export that stops raises its error with ``.checkpoint`` (a dict: store it, e.g.
        ``json.dumps``) to pass back as ``checkpoint=`` to continue exactly there. A failing
        ``write`` is a ``PostHogIOError`` whose ``__cause__`` is what ``write`` raised;
        Ctrl-C stops at the next page as ``KeyboardInterrupt`` with ``.checkpoint``.
        """
        after = before = event = properties = None
        if events is not None:
            unknown = set(events) - {"after", "before", "event", "properties"}
            if unknown:
                raise TypeError(f"unknown events keys: {sorted(unknown)}")
            after = events.get("after")
            before = events.get("before") or datetime.now(timezone.utc)
            event = events.get("event")
            properties = events.get("properties")
        path: Optional[str] = None
        file: Any = None
        if isinstance(target, (str, os.PathLike)):
            path = os.fspath(target)
        elif hasattr(target, "write"):
            file = _binary(target)
        else:
            raise TypeError("target must be a path or a file object")
        report = self._native.export(
            project,
            path=path,
            file=file,
            format=format,
            page_size=page_size,
            checkpoint=checkpoint,
            on_progress=on_progress,
            on_checkpoint=on_checkpoint,
            after=after,
            before=before,
            event=event,
            properties=properties,
            hogql=hogql,
            values=values,
        )
        return ExportReport(
            rows=report["rows"], pages=report["pages"], checkpoint=report["checkpoint"]
        )


class AsyncAdminClient:
    """:class:`AdminClient` for asyncio: each call runs in a worker thread
    (``asyncio.to_thread``), so the event loop never blocks. Resources are the blocking
    client's (``aclient.sync.feature_flags``); their pagers support ``async for``."""

    def __init__(self, personal_api_key: Optional[str] = None, **options: Any) -> None:
        self.sync = AdminClient(personal_api_key, **options)

    def __repr__(self) -> str:
        return f"AsyncAdminClient(host={self.sync.host!r})"

    async def __aenter__(self) -> "AsyncAdminClient":
        return self

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await asyncio.to_thread(self.sync.close)

    async def me(self) -> Item:
        return await asyncio.to_thread(self.sync.me)

    async def query(
        self, hogql: str, values: Optional[Mapping[str, Any]] = None, **kw: Any
    ) -> QueryResult:
        return await asyncio.to_thread(self.sync.query, hogql, values, **kw)

    async def query_async(
        self, hogql: str, values: Optional[Mapping[str, Any]] = None, **kw: Any
    ) -> QueryStatus:
        return await asyncio.to_thread(self.sync.query_async, hogql, values, **kw)

    async def query_status(self, id: str, **kw: Any) -> QueryStatus:
        return await asyncio.to_thread(self.sync.query_status, id, **kw)

    async def wait_for_query(self, id: str, **kw: Any) -> QueryResult:
        return await asyncio.to_thread(self.sync.wait_for_query, id, **kw)

    async def cancel_query(self, id: str, **kw: Any) -> Optional[str]:
        return await asyncio.to_thread(self.sync.cancel_query, id, **kw)

    async def export(self, target: ExportTarget, **kw: Any) -> ExportReport:
        return await asyncio.to_thread(self.sync.export, target, **kw)

    async def call(self, fn: Callable[..., _T], *args: Any, **kw: Any) -> _T:
        """Runs any blocking call in a worker thread: ``await a.call(a.sync.feature_flags.get, 7)``."""
        return await asyncio.to_thread(fn, *args, **kw)

