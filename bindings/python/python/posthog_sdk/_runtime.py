"""What this Python runtime says about itself, sent with captured events as posthog-python
does (``$python_runtime``, ``$python_version``, ``$os``, ``$os_version``, ``$os_distro``).
Read once per process; the core adds it to events (its posthog-python profile decides where)."""

from __future__ import annotations

import functools
import platform
import sys
from typing import Any, Dict, Tuple


def _os() -> Tuple[str, str, str]:
    name = sys.platform
    if name.startswith("linux"):
        try:
            release = platform.freedesktop_os_release()
        except (OSError, AttributeError):
            release = {}
        return "Linux", release.get("VERSION_ID", ""), release.get("NAME", "")
    if name == "darwin":
        return "Mac OS X", platform.mac_ver()[0], ""
    if name.startswith("win"):
        return "Windows", platform.release(), ""
    if name.startswith("freebsd"):
        return "FreeBSD", platform.release(), ""
    return name, platform.release(), ""


@functools.lru_cache(maxsize=1)
def _context() -> Tuple[Tuple[str, Any], ...]:
    os_name, os_version, distro = _os()
    out: Dict[str, Any] = {
        "$python_runtime": platform.python_implementation(),
        "$python_version": "%s.%s.%s" % sys.version_info[:3],
        "$os": os_name,
        "$os_version": os_version,
    }
    if distro:
        out["$os_distro"] = distro
    return tuple(out.items())


def system_context() -> Dict[str, Any]:
    """The runtime's properties (a fresh dict)."""
    return dict(_context())
