"""Known differences of posthog_sdk from posthog 7.91.1, by root cause (see FINDINGS.md).

A scenario listed in SCENARIO_CAUSES is `xfail(strict=True)`: it must still differ, and only
in the paths its causes name (anything else that differs fails it for real)."""

from typing import Dict, List, Tuple

E = "events[*].properties."

#: cause → (what differs: official vs ours, the diff paths it explains)
ROOT_CAUSES: Dict[str, Tuple[str, List[str]]] = {
    "group_identify_session": (
        "group_identify inside a context with set_context_session: official adds $session_id, ours not",
        [E + "$session_id"],
    ),
    "disabled_flags": (
        "disabled=True: official get_all_flags returns None and get_all_flags_and_payloads "
        "{featureFlags: None, featureFlagPayloads: None}; ours {} (no request either way)",
        ["requests.POST /flags", "flags_requests[*]", "observed.get_feature_flag.value",
         "observed.feature_enabled.value", "observed.payload.value", "observed.all.value",
         "observed.all_and_payloads.value.*", "observed.flag.value"],
    ),
    "flag_called_props": (
        "(evaluate_flags snapshot reads, see snapshot_reads) $feature_flag_called properties: $feature_flag_reason is the code ('condition_match') not "
        "the description ('Matched condition set 1'), and is added for local evaluation (official: none); "
        "$feature_flag_id 0 for overrides (official: absent); no $feature_flag_payload; for an "
        "unknown flag no $feature_flag_error 'flag_missing' nor $feature_flag_request_id",
        [E + "$feature_flag_reason", E + "$feature_flag_id", E + "$feature_flag_payload",
         E + "$feature_flag_error", E + "$feature_flag_request_id"],
    ),
    "flag_keys_filter": (
        "get_all_flags*(flag_keys_to_evaluate=…): official sends flag_keys_to_evaluate to /flags, "
        "ours evaluates every flag and filters the answer",
        ["flags_requests[*].flag_keys_to_evaluate"],
    ),
    "payload_decoding": (
        "get_all_flags_and_payloads: official returns featureFlagPayloads as JSON text, ours decoded",
        ["observed.all_and_payloads_filter.value.featureFlagPayloads.*"],
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
    "invalid_input_dropped": (
        "capture(uuid='not-a-uuid') / capture(timestamp='not a time'): official replaces the uuid / "
        "uses now and sends; ours drops the event and returns None",
        ["events[*]", "requests.POST /batch", "observed.capture.value", "returned_uuids.*"],
    ),
    "positional_capture": (
        "capture('distinct id', 'movie played', {...}) (old README form): official logs and returns "
        "None, ours raises TypeError",
        ["observed.*.value", "observed.*.raised"],
    ),
    "send_false": (
        "send=False: official capture returns the uuid (nothing sent), ours None",
        ["observed.capture.value", "returned_uuids.*"],
    ),
    "flush_return": (
        "flush() returns a FlushReport (official: None)",
        ["observed.flush.value", "observed.flush_empty.value"],
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
    "capture_positional_legacy": ["positional_capture"],
    "capture_invalid_timestamp": ["invalid_input_dropped"],
    "capture_uuid_invalid": ["invalid_input_dropped"],
    "group_identify_with_distinct_id": ["group_identify_session"],
    "disabled_capture": ["flush_return"],
    "disabled_flags": ["disabled_flags"],
    "send_false": ["send_false"],
    "flags_payload": ["not_implemented"],
    "flags_get_all": ["flag_keys_filter", "payload_decoding"],
    "flags_get_feature_flag_result": ["not_implemented"],
    "capture_send_feature_flags": ["not_implemented"],
    "evaluate_flags_then_capture": ["snapshot_reads", "flag_called_props"],
    "batch_400": ["flush_return", "on_error_batch"],
    "batch_401": ["flush_return", "on_error_batch"],
    "batch_500_then_ok": ["flush_return"],
    "batch_503_no_retries": ["flush_return", "on_error_batch"],
    "flush_delivers_before_return": ["flush_return"],
    "debug_raises_errors": ["debug_raise"],
}


def reason(name: str) -> str:
    return "; ".join(ROOT_CAUSES[c][0] for c in SCENARIO_CAUSES[name])


def patterns(name: str) -> List[str]:
    return [p for c in SCENARIO_CAUSES[name] for p in ROOT_CAUSES[c][1]]
