"""The README's compatibility table is true: every listed method and option exists with
posthog-python's (7.x) parameter names and defaults; every "NotImplementedError" row raises it.

The reference signatures come from the official package when it is installed in the scratch
venv ``target/posthog-official-venv`` (``pip install posthog==7.91.1``), else from
``tests/posthog_python_api.json`` (dumped from posthog 7.91.1).
"""

from __future__ import annotations

import inspect
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

import posthog_sdk
from conftest import API_KEY, REPO
from posthog_sdk import ConfigError, AsyncPosthog, Posthog

HERE = Path(__file__).resolve().parent
README = HERE.parent / "README.md"
OFFICIAL_PY = REPO / "target" / "posthog-official-venv" / "bin" / "python"

DUMP = r"""
import inspect, json
from posthog import Posthog
from posthog.args import OptionalCaptureArgs, OptionalSetArgs
def params(f, typed=None):
    out = []
    for p in inspect.signature(f).parameters.values():
        if p.name == "self" or p.name.startswith("_"):
            continue
        if p.kind == p.VAR_KEYWORD and typed is not None:
            out += [[k, None] for k in typed.__annotations__ if not k.startswith("_")]
            continue
        if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
            continue
        d = None if p.default is inspect.Parameter.empty else p.default
        out.append([p.name, d if isinstance(d, (int, float, str, bool, type(None))) else repr(d)])
    return out
names = %r
typed = {"capture": OptionalCaptureArgs, "capture_exception": OptionalCaptureArgs,
         "set": OptionalSetArgs, "set_once": OptionalSetArgs}
res = {"__init__": params(Posthog.__init__)}
for n in names:
    res[n] = params(getattr(Posthog, n), typed.get(n))
print(json.dumps(res))
"""


def table() -> List[Tuple[str, str, str]]:
    """(name, kind, status) of every row of the README's compatibility tables."""
    text = README.read_text()
    section = text.split("## posthog-python compatibility", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        m = re.match(r"\|\s*`([a-z_]+)`\s*\|\s*(method|option)\s*\|\s*([^|]+?)\s*\|", line)
        if m:
            status = "NotImplementedError" if "NotImplementedError" in m.group(3) else "supported"
            rows.append((m.group(1), m.group(2), status))
    return rows


ROWS = table()
# Options whose default is the lossless one, not posthog-python's (see the README).
LOSSLESS_DEFAULTS = {"max_queue_size", "max_retries"}
METHODS = [name for name, kind, status in ROWS if kind == "method" and status == "supported"]


def official() -> Dict[str, List[List[Any]]]:
    if OFFICIAL_PY.exists():
        out = subprocess.run(
            [str(OFFICIAL_PY), "-c", DUMP % METHODS], capture_output=True, text=True, timeout=60
        )
        if out.returncode == 0:
            return json.loads(out.stdout)  # type: ignore[no-any-return]
    return json.loads((HERE / "posthog_python_api.json").read_text())  # type: ignore[no-any-return]


OFFICIAL = official()


def ours(func: Any) -> List[List[Any]]:
    out = []
    for p in inspect.signature(func).parameters.values():
        if p.name == "self" or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
            continue
        out.append([p.name, None if p.default is inspect.Parameter.empty else p.default])
    return out


def test_the_table_lists_every_official_method_and_option() -> None:
    listed = {name for name, _, _ in ROWS}
    assert set(OFFICIAL) - {"__init__"} <= listed
    assert {name for name, _ in OFFICIAL["__init__"] if name != "project_api_key"} <= listed
    assert len(ROWS) > 60


@pytest.mark.parametrize("name,kind,status", ROWS, ids=[r[0] for r in ROWS])
def test_row(name: str, kind: str, status: str) -> None:
    if kind == "option":
        params = dict((n, d) for n, d in ours(Posthog.__init__))
        assert name in params, f"Posthog(...) has no option {name}"
        reference = dict(OFFICIAL["__init__"])
        if name in LOSSLESS_DEFAULTS:
            # Deliberately not posthog-python's: its 10000-event queue and 3 retries drop
            # events in a burst or an outage. None means the core's profile decides; the
            # README's options table gives both values.
            assert params[name] is None, f"default of {name}"
            assert reference.get(name) is not None, name
            readme = (HERE.parent / "README.md").read_text()
            assert re.search(rf"\| `{name}` \|[^\n]*posthog-python", readme), name
        elif name in reference:
            assert params[name] == reference[name], f"default of {name}"
        if status == "ConfigError":
            # Refused by the core's options schema (a ConfigError naming the option).
            with pytest.raises(posthog_sdk.ConfigError, match=f"{name} is not supported"):
                Posthog(API_KEY, **{name: "not-the-default"})
        return
    assert callable(getattr(Posthog, name)), name
    assert callable(getattr(AsyncPosthog, name)), name
    if status == "NotImplementedError":
        client = Posthog(API_KEY, disabled=True)
        args = {"get_feature_flag_result": ("k", "u")}.get(name, ("x",))
        with pytest.raises(NotImplementedError):
            getattr(client, name)(*args)
        client.shutdown()
        return
    if name in OFFICIAL:
        expected = OFFICIAL[name]
        got = ours(getattr(Posthog, name))
        assert [n for n, _ in got] == [n for n, _ in expected], name
        for (n, d), (_, e) in zip(got, expected):
            if e is not None:
                assert d == e, f"{name}({n}=...) default"


def test_option_names_in_order() -> None:
    names = [n for n, _ in ours(Posthog.__init__)]
    official_names = [n for n, _ in OFFICIAL["__init__"]]
    assert names[: len(official_names)] == official_names


MODULE_FUNCTIONS = [
    "capture", "set", "set_once", "alias", "group_identify", "feature_enabled",
    "get_feature_flag", "get_feature_flag_payload", "get_all_flags",
    "get_all_flags_and_payloads", "evaluate_flags", "load_feature_flags", "flush", "shutdown",
    "join", "new_context", "scoped", "identify_context", "tag", "get_tags",
    "set_context_session", "set_context_device_id", "setup", "capture_exception",
    "get_feature_flag_result", "get_remote_config_payload",
    "set_capture_exception_code_variables_context", "set_code_variables_mask_patterns_context",
    "set_code_variables_ignore_patterns_context", "set_code_variables_mask_url_credentials_context",
    "set_code_variables_detect_secrets_context",
]
MODULE_SETTINGS = {
    "api_key": None, "project_api_key": None, "host": None, "on_error": None, "debug": False,
    "send": True, "sync_mode": False, "disabled": False, "personal_api_key": None,
    "secret_key": None, "poll_interval": 30, "disable_geoip": True,
    "feature_flags_request_timeout_seconds": 3, "super_properties": None,
    "before_send": None, "enable_local_evaluation": True, "default_client": None,
}


@pytest.mark.parametrize("name", MODULE_FUNCTIONS)
def test_module_function(name: str) -> None:
    assert callable(getattr(posthog_sdk, name))


@pytest.mark.parametrize("name,default", sorted(MODULE_SETTINGS.items()))
def test_module_setting(name: str, default: Any) -> None:
    assert getattr(posthog_sdk, name) == default


def test_official_module_level_names_exist() -> None:
    if not OFFICIAL_PY.exists():
        pytest.skip("the official package is not installed in target/posthog-official-venv")
    names = MODULE_FUNCTIONS + list(MODULE_SETTINGS)
    code = "import posthog, json; print(json.dumps([n for n in %r if not hasattr(posthog, n)]))"
    out = subprocess.run([str(OFFICIAL_PY), "-c", code % names], capture_output=True, text=True,
                         timeout=60, env=dict(os.environ))
    assert json.loads(out.stdout) == []
