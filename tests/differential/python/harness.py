"""Runs a scenario with each package, normalises the two records, and compares them."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid as uuidlib
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import scenarios  # noqa: E402
from server import REPO, Server  # noqa: E402

OFFICIAL = "posthog"
OURS = "posthog_sdk"
INTENTIONAL_FILE = HERE.parent / "intentional.json"
RESULTS_DIR = REPO / "target" / "differential-python"
SUBPROCESS_TIMEOUT = 60.0
#: Stored-event fields that only describe the transport of one attempt.
TRANSPORT_FIELDS = ("raw", "offset", "request_seq", "request_id", "ip", "corrected_timestamp")

_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_FIXED = {u.lower() for u in scenarios.FIXED_UUIDS}
MISSING = "<missing>"


# ---- running ------------------------------------------------------------------------------


def run(package: str, name: str, server: Server) -> Dict[str, Any]:
    """One scenario with one package in a fresh interpreter, on a freshly reset server.
    Returns the raw record: what the scenario observed plus what reached the server."""
    server.reset()
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTHOG_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONWARNINGS"] = "ignore"
    fd, output = tempfile.mkstemp(prefix=f"diff-{package}-{name}-", suffix=".json")
    os.close(fd)
    started = time.time()
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "runner.py"), package, name, server.url, output],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=SUBPROCESS_TIMEOUT)
        record: Dict[str, Any]
        try:
            with open(output, encoding="utf-8") as f:
                record = json.load(f)
        except (OSError, ValueError):
            record = {"uncaught": f"process exited {proc.returncode} without a record"}
        record["exit_code"] = proc.returncode
    except subprocess.TimeoutExpired:
        proc.kill()  # only the process this harness started
        stdout, stderr = proc.communicate()
        record = {"uncaught": "SubprocessTimeout"}
    finally:
        try:
            os.unlink(output)
        except OSError:
            pass
    record["stderr_tail"] = (stderr or "")[-3000:]
    record["elapsed"] = round(time.time() - started, 2)
    record["window"] = (started - 5, time.time() + 5)
    record["server_events"] = server.events()
    record["server_requests"] = server.requests()
    return record


# ---- normalising --------------------------------------------------------------------------


def _parse_time(text: str) -> Optional[dt.datetime]:
    if not isinstance(text, str) or len(text) < 10 or not text[:4].isdigit() or text[4] != "-":
        return None
    t = text.strip().replace("Z", "+00:00").replace("z", "+00:00")
    m = re.match(r"^(.*T\d\d:\d\d:\d\d)(\.\d+)?(.*)$", t)
    if m and m.group(2) and len(m.group(2)) > 7:  # nanoseconds: keep microseconds
        t = m.group(1) + m.group(2)[:7] + m.group(3)
    try:
        parsed = dt.datetime.fromisoformat(t)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed


def _in_window(parsed: dt.datetime, window: Tuple[float, float]) -> bool:
    return window[0] <= parsed.timestamp() <= window[1]


def _norm_value(v: Any, window: Tuple[float, float]) -> Any:
    """uuids → "<uuid>" (fixed ones kept), run-time timestamps → "<ts>", recursively."""
    if isinstance(v, str):
        if _UUID_RE.match(v):
            return v.lower() if v.lower() in _FIXED else "<uuid>"
        parsed = _parse_time(v)
        if parsed is not None and _in_window(parsed, window):
            return "<ts>"
        return v
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, int) and window[0] * 1000 <= v <= window[1] * 1000:
        return "<ts-ms>"
    if isinstance(v, dict):
        return {k: _norm_value(x, window) for k, x in v.items()}
    if isinstance(v, list):
        return [_norm_value(x, window) for x in v]
    return v


def _norm_timestamp(v: Any, window: Tuple[float, float]) -> Any:
    """An event's timestamp: "<ts>" when made during the run, else the instant in one form
    (PostHog parses it, so only the instant matters)."""
    if v is None:
        return None
    parsed = _parse_time(v) if isinstance(v, str) else None
    if parsed is None:
        return f"<unparseable:{v}>"
    if _in_window(parsed, window):
        return "<ts>"
    return parsed.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _check_uuid(v: Any) -> Any:
    if v is None:
        return None
    try:
        uuidlib.UUID(str(v))
    except ValueError:
        return f"<invalid-uuid:{v}>"
    return v.lower() if str(v).lower() in _FIXED else "<uuid>"


def _route(path: str) -> str:
    return path.rstrip("/") or "/"


def _collect_strings(v: Any, into: List[str]) -> None:
    if isinstance(v, str):
        into.append(v)
    elif isinstance(v, dict):
        for x in v.values():
            _collect_strings(x, into)
    elif isinstance(v, list):
        for x in v:
            _collect_strings(x, into)


def normalise(raw: Dict[str, Any], name: str) -> Dict[str, Any]:
    window = tuple(raw["window"])
    events = []
    for e in raw["server_events"]:
        e = {k: v for k, v in e.items() if k not in TRANSPORT_FIELDS}
        e["uuid"] = _check_uuid(e.get("uuid"))
        e["timestamp"] = _norm_timestamp(e.get("timestamp"), window)
        e["sent_at"] = "<ts>" if e.get("sent_at") else None
        if e.get("route"):
            e["route"] = _route(e["route"])
        # `$set`/`$set_once` at the event's root or in its properties: PostHog's ingestion
        # reads both alike (merged into the properties), so only the merged form is compared.
        props = e.get("properties")
        if isinstance(props, dict):
            for key in ("$set", "$set_once"):
                root = e.pop(key, None)
                if isinstance(root, dict):
                    props[key] = {**(props.get(key) or {}), **root}
            # posthog-python builds $context_tags from a set: its order is arbitrary.
            # $active_feature_flags is a set too: posthog-python lists it in the order of the
            # /flags answer's JSON object, posthog-sdk sorted (the core keeps flags by key;
            # intentional.json "python" documents it).
            for k in ("$context_tags", "$active_feature_flags"):
                if isinstance(props.get(k), list):
                    props[k] = sorted(props[k], key=str)
        for key in ("properties", "distinct_id", "options"):
            if key in e:
                e[key] = _norm_value(e[key], window)
        events.append(e)
    if name not in scenarios.ORDERED:
        events.sort(key=lambda e: (str(e.get("event")), str(e.get("distinct_id")), json.dumps(e, sort_keys=True, default=str)))

    requests: Dict[str, List[int]] = {}
    flags_requests = []
    for r in raw["server_requests"]:
        key = f"{r['method']} {_route(r['path'])}"
        requests.setdefault(key, []).append(r["status"])
        if _route(r["path"]) == "/flags":
            try:
                body = json.loads(r.get("body") or "null")
            except ValueError:
                body = {"<unparseable>": True}
            if isinstance(body, dict):
                if "api_key" in body:
                    body["token"] = body.pop("api_key")
                body = _norm_value(body, window)
            flags_requests.append(body)

    record: Dict[str, Any] = {
        "events": events,
        "requests": requests,
        "flags_requests": flags_requests,
    }
    if "uncaught" in raw:
        record["uncaught"] = raw["uncaught"]
    observed = raw.get("observed")
    record["observed"] = _norm_value(observed, window)
    # Every uuid a call returned must be one the server received (and be a valid uuid).
    returned: List[str] = []
    _collect_strings(observed, returned)
    returned = [s for s in returned if _UUID_RE.match(s)]
    stored = {str(e.get("uuid")).lower() for e in raw["server_events"]}
    record["returned_uuids"] = {
        "count": len(returned),
        "on_server": sum(1 for s in returned if s.lower() in stored),
    }
    return record


# ---- comparing ----------------------------------------------------------------------------


def diff(a: Any, b: Any, path: str = "") -> List[Tuple[str, Any, Any]]:
    """Leaf differences as (path, official, ours); a key present on one side only is
    reported against "<missing>"."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in list(a.keys()) + [k for k in b.keys() if k not in a]:
            sub = f"{path}.{k}" if path else str(k)
            out += diff(a.get(k, MISSING), b.get(k, MISSING), sub)
        return out
    if isinstance(a, list) and isinstance(b, list):
        out = []
        for i in range(max(len(a), len(b))):
            out += diff(a[i] if i < len(a) else MISSING, b[i] if i < len(b) else MISSING, f"{path}[{i}]")
        return out
    if a == b and type(a) is type(b):
        return []
    return [(path, a, b)]


def _pattern(p: str) -> "re.Pattern[str]":
    rx = re.escape(p).replace(r"\[\*\]", r"\[\d+\]").replace(r"\*", r"[^.\[]*")
    return re.compile(rx + r"$")


def intentional() -> List[Dict[str, str]]:
    with open(INTENTIONAL_FILE, encoding="utf-8") as f:
        return list(json.load(f).get("python", []))


def unexplained(diffs: List[Tuple[str, Any, Any]], entries: List[Dict[str, Any]]) -> List[Tuple[str, Any, Any]]:
    """The differences no entry explains. An entry may name the official value it applies to
    (``official``), so it cannot hide another difference at the same path."""
    patterns = [(_pattern(e["path"]), e) for e in entries]
    return [
        d
        for d in diffs
        if not any(p.match(d[0]) and ("official" not in e or e["official"] == d[1]) for p, e in patterns)
    ]


def save(name: str, official: Dict[str, Any], ours: Dict[str, Any], raw: Dict[str, Dict[str, Any]]) -> None:
    try:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        with open(RESULTS_DIR / f"{name}.json", "w", encoding="utf-8") as f:
            json.dump(
                {
                    "official": official,
                    "ours": ours,
                    "stderr": {k: v.get("stderr_tail") for k, v in raw.items()},
                    "elapsed": {k: v.get("elapsed") for k, v in raw.items()},
                    "traceback": {k: v.get("traceback") for k, v in raw.items()},
                },
                f,
                indent=1,
                default=str,
            )
    except OSError:
        pass


def compare(name: str, server: Server) -> Tuple[List[Tuple[str, Any, Any]], Dict[str, Any]]:
    raw = {OFFICIAL: run(OFFICIAL, name, server), OURS: run(OURS, name, server)}
    official, ours = normalise(raw[OFFICIAL], name), normalise(raw[OURS], name)
    save(name, official, ours, raw)
    return unexplained(diff(official, ours), intentional()), raw


def describe(diffs: List[Tuple[str, Any, Any]], limit: int = 40) -> str:
    lines = [f"{len(diffs)} unexplained difference(s) (official → ours):"]
    for path, a, b in diffs[:limit]:
        lines.append(f"  {path}: {json.dumps(a, default=str)[:200]} → {json.dumps(b, default=str)[:200]}")
    if len(diffs) > limit:
        lines.append(f"  … and {len(diffs) - limit} more")
    return "\n".join(lines)
