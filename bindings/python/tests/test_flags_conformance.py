"""Every line of the shared flag conformance vectors, through the binding's public evaluator
(`posthog_sdk.flags`). How a line is evaluated: /work/shared/conformance/README.md."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List

import pytest

from posthog_sdk import InconclusiveError
from posthog_sdk.flags import LocalEvaluator, flag_hash, match_property

DATA = Path(__file__).resolve().parents[3] / "crates" / "posthog-flags" / "tests" / "data"

#: The number of lines each file must hold (a truncated file must not pass quietly).
EXPECTED_LINES = {"hash.jsonl": 300, "consistency.jsonl": 2000, "properties.jsonl": 1500, "flags.jsonl": 3000}


def lines(name: str) -> List[Dict[str, Any]]:
    """The file's objects. LF is the only line end: strings hold U+2028, U+0085, U+001C."""
    data = (DATA / name).read_bytes()
    return [json.loads(raw) for raw in data.split(b"\n") if raw.strip()]


class Report:
    def __init__(self, name: str) -> None:
        self.name = name
        self.total = 0
        self.failures: List[str] = []

    def check(self, line: Dict[str, Any], ok: bool, expected: Any, got: Any) -> None:
        self.total += 1
        if not ok:
            self.failures.append(
                f"{line['id']} ({line.get('note', '')}): expected {expected!r} got {got!r}"
            )

    def finish(self) -> None:
        passed = self.total - len(self.failures)
        print(f"{self.name}: {passed} of {self.total} lines pass")
        assert self.total == EXPECTED_LINES[self.name], f"{self.name} has {self.total} lines"
        if self.failures:
            shown = "\n".join(self.failures[:40])
            pytest.fail(f"{len(self.failures)} of {self.total} lines of {self.name} failed:\n{shown}")


def test_hash_vectors() -> None:
    r = Report("hash.jsonl")
    for line in lines("hash.jsonl"):
        got = flag_hash(
            line["key"], line["bucketing_value"], line["salt"], line.get("separator", ".")
        )
        r.check(line, got == line["hash"], line["hash"], got)
    r.finish()


def test_property_vectors() -> None:
    r = Report("properties.jsonl")
    for line in lines("properties.jsonl"):
        expected = line["expected"]
        want_reason = line.get("reason")
        try:
            got: Any = match_property(
                line["property"], line["values"], line.get("property_matching_version", 1)
            )
            ok = isinstance(expected, bool) and got is expected
        except InconclusiveError as e:
            got = f"inconclusive {e.reason}"
            ok = expected == "inconclusive" and (want_reason is None or want_reason == e.reason)
        r.check(line, ok, [expected, want_reason] if want_reason else expected, got)
    r.finish()


def definitions_of(line: Dict[str, Any]) -> Dict[str, Any]:
    response: Dict[str, Any] = {"flags": [line["flag"], *line.get("flags", [])]}
    for k in ("group_type_mapping", "cohorts", "property_matching_version"):
        if k in line:
            response[k] = line[k]
    return response


def run_flag_file(name: str) -> None:
    r = Report(name)
    for line in lines(name):
        evaluator = LocalEvaluator(definitions_of(line))  # a fresh evaluator per line
        expected = line["expected"]
        try:
            value, payload = evaluator.evaluate(
                line["flag"]["key"],
                line["distinct_id"],
                device_id=line.get("device_id"),
                person_properties=line.get("person_properties", {}),
                groups=line.get("groups", {}),
                group_properties=line.get("group_properties", {}),
            )
        except InconclusiveError as e:
            want_reason = expected.get("reason")
            ok = bool(expected.get("inconclusive")) and (
                want_reason is None or want_reason == e.reason
            )
            r.check(line, ok, expected, f"inconclusive {e.reason}")
            continue
        if expected.get("inconclusive"):
            r.check(line, False, expected, {"value": value, "payload": payload})
            continue
        want = expected["value"]
        # True is never "true", and 1 is never True: compare types as well as values.
        value_ok = type(value) is type(want) and value == want
        payload_ok = "payload" not in expected or (
            payload == expected["payload"] and same_types(payload, expected["payload"])
        )
        r.check(line, value_ok and payload_ok, expected, {"value": value, "payload": payload})
    r.finish()


def same_types(a: Any, b: Any) -> bool:
    """Equal JSON values with ints and floats (and bools) kept apart, all the way down."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_types(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_types(x, y) for x, y in zip(a, b))
    return True


def test_consistency_vectors() -> None:
    run_flag_file("consistency.jsonl")


def test_flag_vectors() -> None:
    run_flag_file("flags.jsonl")
