"""Known differences of posthog_sdk from posthog 7.91.1, by root cause (see FINDINGS.md).

A scenario listed in SCENARIO_CAUSES is `xfail(strict=True)`: it must still differ, and only
in the paths its causes name (anything else that differs fails it for real)."""

from typing import Dict, List, Tuple

E = "events[*].properties."

#: cause → (what differs: official vs ours, the diff paths it explains)
ROOT_CAUSES: Dict[str, Tuple[str, List[str]]] = {}

#: scenario → its causes (generated from a run, then checked by hand; see FINDINGS.md)
SCENARIO_CAUSES: Dict[str, List[str]] = {}


def reason(name: str) -> str:
    return "; ".join(ROOT_CAUSES[c][0] for c in SCENARIO_CAUSES[name])


def patterns(name: str) -> List[str]:
    return [p for c in SCENARIO_CAUSES[name] for p in ROOT_CAUSES[c][1]]
