"""Known differences of posthog_sdk from posthog 7.91.1, by root cause (see FINDINGS.md).

A scenario listed in SCENARIO_CAUSES is `xfail(strict=True)`: it must still differ, and only
in the paths its causes name (anything else that differs fails it for real)."""

from typing import Dict, List, Tuple

E = "events[*].properties."

#: cause → (what differs: official vs ours, the diff paths it explains)
ROOT_CAUSES: Dict[str, Tuple[str, List[str]]] = {
    "flag_called_props": (
        "(evaluate_flags snapshot reads, see snapshot_reads) $feature_flag_called properties: $feature_flag_reason is the code ('condition_match') not "
        "the description ('Matched condition set 1'), and is added for local evaluation (official: none); "
        "$feature_flag_id 0 for overrides (official: absent); no $feature_flag_payload; for an "
        "unknown flag no $feature_flag_error 'flag_missing' nor $feature_flag_request_id",
        [E + "$feature_flag_reason", E + "$feature_flag_id", E + "$feature_flag_payload",
         E + "$feature_flag_error", E + "$feature_flag_request_id"],
    ),
    "snapshot_reads": (
        "evaluate_flags(): reading is_enabled/get_flag captures no $feature_flag_called "
        "(official: one per flag read)",
        ["events[*]", "events[*].event", E + "*"],
    ),
    "not_implemented": (
        "NotImplementedError where official works: capture(send_feature_flags=…), "
        "get_feature_flag_result, get_feature_flag_payload(match_value=…)",
        ["events[*]", "requests.POST /flags", "requests.POST /flags[*]", "requests.POST /batch",
         "flags_requests[*]", "observed.*.value", "observed.*.raised", "returned_uuids.*"],
    ),
    "on_error_batch": (
        "on_error(error, batch): ours passes batch=[] (official: the failed batch, 1 event)",
        ["observed.on_error[*].batch_len"],
    ),
    "debug_raise": (
        "capture(send_feature_flags='yes'): official raises TypeError with debug=True and returns None "
        "without; ours raises NotImplementedError in both",
        ["observed.debug.raised", "observed.quiet.value", "observed.quiet.raised"],
    ),
}

#: scenario → its causes (generated from a run, then checked by hand; see FINDINGS.md)
SCENARIO_CAUSES: Dict[str, List[str]] = {
    "evaluate_flags_then_capture": ["snapshot_reads", "flag_called_props"],
    "batch_400": ["on_error_batch"],
    "batch_401": ["on_error_batch"],
    "batch_503_no_retries": ["on_error_batch"],
}


def reason(name: str) -> str:
    return "; ".join(ROOT_CAUSES[c][0] for c in SCENARIO_CAUSES[name])


def patterns(name: str) -> List[str]:
    return [p for c in SCENARIO_CAUSES[name] for p in ROOT_CAUSES[c][1]]
