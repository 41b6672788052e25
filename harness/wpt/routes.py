"""wpt's script routes that are not ``*.py`` names: files run as Python, directories by ``default*.py``.

``wpt serve`` runs a few ``/.well-known/...`` paths as Python handlers even though they have
no ``.py`` extension; a directory on one of those routes runs the first ``default*.py`` in it
(by name), as wptserve's script handler does.

>>> is_script_route("/.well-known/web-identity"), is_script_route("/.well-known/private-aggregation/x")
(True, True)
"""

from __future__ import annotations

import os

__all__ = ["default_script", "is_script_route"]

_EXACT = frozenset(
    {
        "/.well-known/attribution-reporting/report-event-attribution",
        "/.well-known/attribution-reporting/debug/report-event-attribution",
        "/.well-known/attribution-reporting/report-aggregate-attribution",
        "/.well-known/attribution-reporting/debug/report-aggregate-attribution",
        "/.well-known/attribution-reporting/debug/report-aggregate-debug",
        "/.well-known/attribution-reporting/debug/verbose",
        "/.well-known/interest-group/permissions/",
        "/.well-known/interest-group/real-time-report",
        "/.well-known/web-identity",
    }
)
_PREFIXES = ("/.well-known/private-aggregation/",)


def is_script_route(url_path: str) -> bool:
    """Whether wpt serves ``url_path`` (decoded, without the query) with its Python script handler."""
    return url_path in _EXACT or any(url_path.startswith(prefix) for prefix in _PREFIXES)


def default_script(directory: str) -> str | None:
    """The first ``default*.py`` file in ``directory`` by name, or ``None``."""
    try:
        names = sorted(name for name in os.listdir(directory) if name.startswith("default") and name.endswith(".py"))
    except OSError:
        return None
    for name in names:
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return path
    return None
