"""One test per scenario: the official `posthog==7.91.1` and `posthog_sdk`, same code, same
server; any difference not listed under "python" in ../intentional.json fails.

Scenarios that differ because of a bug in posthog_sdk (known.py, FINDINGS.md) are
`xfail(strict=True, raises=KnownDifference)`: they pass as XFAIL only while they still differ
in exactly the paths their root causes name. A new difference in them fails for real (an
AssertionError is not the expected exception), and a fix (no difference left) turns them red
(XPASS, strict) until the entry in known.py is removed."""

from __future__ import annotations

import pytest

import harness
import known
import scenarios


class KnownDifference(Exception):
    """The scenario still differs, only in the ways known.py describes."""


def _params():
    for name in scenarios.SCENARIOS:
        if name in known.SCENARIO_CAUSES:
            mark = pytest.mark.xfail(strict=True, raises=KnownDifference, reason=known.reason(name))
            yield pytest.param(name, marks=mark, id=name)
        else:
            yield pytest.param(name, id=name)


@pytest.mark.parametrize("name", list(_params()))
def test_scenario(name, server):
    diffs, _raw = harness.compare(name, server)
    if name in known.SCENARIO_CAUSES:
        unknown = harness.unexplained(diffs, [{"path": p} for p in known.patterns(name)])
        assert not unknown, "differences beyond the known ones:\n" + harness.describe(unknown)
        if diffs:
            raise KnownDifference(harness.describe(diffs))
        return  # no difference left: XPASS, which strict=True reports as a failure
    assert not diffs, harness.describe(diffs)


def test_scenario_count():
    assert len(scenarios.SCENARIOS) >= 40
