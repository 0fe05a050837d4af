"""Code-variable masking (error tracking, issue #12), in-process: the locals of one frame
rendered by posthog 7.91.1 (`posthog.exception_utils._serialize_frame_variables`, the function
its `capture_exception` uses) and by posthog_sdk (`posthog_sdk.exceptions` renders, the core
masks) must be equal, value for value, for every case and option set below."""

from __future__ import annotations

import collections
import dataclasses
import datetime
import decimal
import enum
import json
import uuid
from typing import Any, Dict

import pytest

from posthog import exception_utils as official_utils
from posthog_sdk import _native
from posthog_sdk import exceptions as ours_exceptions


class Color(enum.Enum):
    RED = 1


class Num(enum.IntEnum):
    ONE = 1


class Text(str):
    pass


class Slotted:
    __slots__ = ("a", "password")

    def __init__(self) -> None:
        self.a = 1
        self.password = "x"


class WithProperty:
    @property
    def api_key(self) -> str:
        return "k"

    def __repr__(self) -> str:
        return "WithProperty()"


class BadRepr:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


class Empty:
    pass


@dataclasses.dataclass
class Account:
    name: str
    password: str


Pair = collections.namedtuple("Pair", "a b")

_cycle: list = []
_cycle.append(_cycle)
_shared = [1]

CASES: Dict[str, Any] = {
    "plain": "hello",
    "value_matches": "my password is",
    "url": "https://user:pw@host/x",
    "url_no_user": "redis://:secret@h:6379/0",
    "url_no_credentials": "https://host/x@y",
    "bearer_colon": "Bearer: 'abcdefgh12'",
    "basic_short_pair": "Basic YTpi",
    "bearer_prose": "the bearer token",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghijk",
    "openai": "sk-proj-abcdefghijklmnopqrstuvwx",
    "aws": "AKIAIOSFODNN7EXAMPLE",
    "hex_digest": "d41d8cd98f00b204e9800998ecf8427e",
    "uuid_text": "550e8400-e29b-41d4-a716-446655440000",
    "path": "/usr/local/lib/python",
    "entropy": "aB3$dE6^gH9*jK2!",
    "too_long": "y" * 2049,
    "at_limit": "z" * 2048,
    "unicode": "日本語テキスト",
    "controls": "a\tb\nc\"d\\",
    "pem": "-----BEGIN PRIVATE KEY-----abc",
    "negative": -5,
    "ratio": 1.5,
    "big_float": 1e16,
    "nan": float("nan"),
    "minus_inf": float("-inf"),
    "false": False,
    "none": None,
    "nested_list": [1, [2, [3, "password"]], (4, 5)],
    "tuple": (1, "a"),
    "dict": {"password": 1, "nested": {"token": "t"}, 1: 2, 2.5: "x", True: "t", None: "n", (1, 2): "tk", "a=b": "c"},
    "dict_keys": {"password=hunter2": 1, "https://u:p@h/": 2, "sk_live_abcdefghijklmnopqrstu": 3},
    "big_list": list(range(51)),
    "big_dict": {str(i): i for i in range(51)},
    "deep": [[[[[[[[[[[[[["x"]]]]]]]]]]]]]],
    "slotted": Slotted(),
    "property": WithProperty(),
    "bad_repr": BadRepr(),
    "empty_object": Empty(),
    "dataclass": Account("ann", "pw"),
    "namedtuple": Pair(1, "secret"),
    "enum": Color.RED,
    "int_enum": Num.ONE,
    "str_subclass": Text("x"),
    "decimal": decimal.Decimal("1.5"),
    "datetime": datetime.datetime(2020, 1, 2, 3, 4, 5),
    "uuid": uuid.UUID(int=1),
    "class": Empty,
    "builtin": len,
    "set": {1},
    "bytes": b"ab\x00",
    "frozenset": frozenset(),
    "cycle": _cycle,
    "shared": [_shared, _shared],
    "auth_name": "x",
    "mytoken": "v",
    "sk_name": "v",
    "__dunder": "v",
}

CONFIGS: Dict[str, Dict[str, Any]] = {
    "defaults": {},
    "custom": {"mask_patterns": ["(?i)^dict$", "lis", "("], "ignore_patterns": ["^plain$"],
               "mask_url_credentials": False, "detect_secrets": False},
    "nothing_masked": {"mask_patterns": [], "mask_url_credentials": False, "detect_secrets": False},
}


class _Frame:
    def __init__(self, f_locals: Dict[str, Any]) -> None:
        self.f_locals = f_locals


def official(local_vars: Dict[str, Any], config: Dict[str, Any], limit: int) -> Dict[str, Any]:
    masking = official_utils._MaskingConfig.build(
        mask_patterns=config.get("mask_patterns", official_utils.DEFAULT_CODE_VARIABLES_MASK_PATTERNS),
        ignore_patterns=config.get("ignore_patterns", official_utils.DEFAULT_CODE_VARIABLES_IGNORE_PATTERNS),
        mask_url_credentials=config.get("mask_url_credentials", True),
        detect_secrets=config.get("detect_secrets", True),
    )
    limiter = official_utils.VariableSizeLimiter(max_size=limit)
    return official_utils._serialize_frame_variables(_Frame(local_vars), limiter, masking)  # type: ignore[no-any-return]


def ours(local_vars: Dict[str, Any], config: Dict[str, Any]) -> Dict[str, Any]:
    options = {"code_variables": config, "context_lines": False}
    rendered = ours_exceptions._frame_vars(_Frame(local_vars), ours_exceptions._masks_nothing(options))  # type: ignore[arg-type]
    exc = {"type": "E", "frames": [{"abs_path": "/app/a.py", "lineno": 1, "in_app": True, "vars": rendered}]}
    props = _native.exception_properties(json.dumps(exc), json.dumps(options))
    return props["$exception_list"][0]["stacktrace"]["frames"][0].get("code_variables", {})  # type: ignore[no-any-return]


@pytest.mark.parametrize("config", list(CONFIGS))
@pytest.mark.parametrize("case", list(CASES))
def test_one_variable(case: str, config: str) -> None:
    local_vars = {case: CASES[case]}
    expected = official(local_vars, CONFIGS[config], limit=10**9)
    assert json.dumps(ours(local_vars, CONFIGS[config]), default=str) == json.dumps(expected, default=str)


def test_the_size_budget_and_the_order() -> None:
    local_vars: Dict[str, Any] = {f"v{i:03d}": ("é" * 700 if i % 3 else [i, "x" * 500]) for i in range(40)}
    local_vars.update({f"n{i}": i * 1.5 for i in range(5)})
    local_vars["password"] = "p"
    expected = official(local_vars, {}, limit=official_utils.DEFAULT_TOTAL_VARIABLES_SIZE_LIMIT)
    got = ours(local_vars, {})
    assert got == expected
    assert list(got) == list(expected)


def test_a_huge_int_becomes_a_float() -> None:
    # Documented difference: the core's JSON numbers are 64-bit (posthog-python writes the
    # integer's digits).
    assert official({"i": 10**20}, {}, 10**9) == {"i": 10**20}
    assert ours({"i": 10**20}, {}) == {"i": 1e20}
