"""Local feature-flag evaluation with no client and no I/O: the core's evaluator, for scripts,
tests and tools.

>>> from posthog_sdk.flags import LocalEvaluator
>>> ev = LocalEvaluator({"flags": [{"id": 1, "key": "beta", "active": True,
...     "filters": {"groups": [{"properties": [], "rollout_percentage": 100}]}}]})
>>> ev.evaluate("beta", "user-1")
(True, None)

Each answer is the one PostHog's official SDKs give locally (the shared conformance vectors
check it). A flag or filter that cannot be decided locally raises
:class:`~posthog_sdk.InconclusiveError`, whose ``reason`` says why; it is not ``False``.
"""

from __future__ import annotations

from ._native import FlagsSnapshot, LocalEvaluator, flag_hash, match_property
from .errors import InconclusiveError

__all__ = ["LocalEvaluator", "match_property", "flag_hash", "FlagsSnapshot", "InconclusiveError"]
