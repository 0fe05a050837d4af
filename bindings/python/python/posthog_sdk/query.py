"""What the admin client's query and export calls return."""

from __future__ import annotations

import dataclasses
import importlib
from typing import Any, Dict, List, Mapping, Optional

__all__ = ["QueryResult", "QueryStatus", "ExportReport"]


def _opt_bool(v: Any) -> Optional[bool]:
    return None if v is None else bool(v)


@dataclasses.dataclass(frozen=True)
class QueryResult:
    """The answer to a HogQL query.

    ``columns`` (names), ``types`` (as PostHog gives them: ``[name, type]`` pairs such as
    ``["event", "String"]``), ``results`` (rows, each a list in column order), ``has_more``
    (more rows exist beyond PostHog's default limit; ``None`` when the query has a ``LIMIT`` of
    its own, as PostHog then sends ``null``) and ``extra`` (every other field PostHog sent:
    ``limit``, ``offset``, ``is_cached``, ``hogql``…).
    """

    columns: List[str]
    types: List[Any]
    results: List[List[Any]]
    has_more: Optional[bool]
    extra: Dict[str, Any] = dataclasses.field(default_factory=dict)

    @classmethod
    def _from(cls, answer: Mapping[str, Any]) -> "QueryResult":
        rest = dict(answer)
        return cls(
            columns=list(rest.pop("columns", None) or []),
            types=list(rest.pop("types", None) or []),
            results=list(rest.pop("results", None) or []),
            has_more=_opt_bool(rest.pop("hasMore", None)),
            extra=rest,
        )

    def __len__(self) -> int:
        return len(self.results)

    def to_dicts(self) -> List[Dict[str, Any]]:
        """The rows as dicts keyed by column name (a repeated name keeps its last value)."""
        return [dict(zip(self.columns, row)) for row in self.results]

    def to_pandas(self) -> Any:
        """The rows as a ``pandas.DataFrame`` (needs ``pip install 'posthog-sdk[pandas]'``)."""
        try:
            pandas = importlib.import_module("pandas")
        except ImportError as e:
            raise ImportError(
                "QueryResult.to_pandas() needs pandas: pip install 'posthog-sdk[pandas]'"
            ) from e
        return pandas.DataFrame(self.results, columns=self.columns)

    def to_arrow(self) -> Any:
        """The rows as a ``pyarrow.Table`` (needs ``pip install 'posthog-sdk[arrow]'``)."""
        try:
            pyarrow = importlib.import_module("pyarrow")
        except ImportError as e:
            raise ImportError(
                "QueryResult.to_arrow() needs pyarrow: pip install 'posthog-sdk[arrow]'"
            ) from e
        arrays = [
            pyarrow.array([row[i] for row in self.results]) for i in range(len(self.columns))
        ]
        return pyarrow.Table.from_arrays(arrays, names=list(self.columns))


@dataclasses.dataclass(frozen=True)
class QueryStatus:
    """The state of an async query. ``result()`` is ``None`` while it runs, its
    :class:`QueryResult` once complete, and raises its error if it failed."""

    id: str
    complete: bool
    error: bool
    error_message: Optional[str]
    extra: Dict[str, Any]
    _result: Optional[QueryResult] = dataclasses.field(default=None, repr=False)
    _error: Optional[BaseException] = dataclasses.field(default=None, repr=False)

    @classmethod
    def _from(
        cls, status: Mapping[str, Any], result: Optional[Mapping[str, Any]], error: Any
    ) -> "QueryStatus":
        rest = dict(status)
        rest.pop("results", None)
        return cls(
            id=str(rest.pop("id")),
            complete=bool(rest.pop("complete", False)),
            error=bool(rest.pop("error", False)),
            error_message=rest.pop("error_message", None),
            extra=rest,
            _result=None if result is None else QueryResult._from(result),
            _error=error,
        )

    def result(self) -> Optional[QueryResult]:
        if self._error is not None:
            raise self._error
        return self._result


@dataclasses.dataclass(frozen=True)
class ExportReport:
    """What a finished export did: ``rows`` and ``pages`` written in this run, and the final
    ``checkpoint`` (totals over all runs; a JSON-ready dict)."""

    rows: int
    pages: int
    checkpoint: Dict[str, Any]
