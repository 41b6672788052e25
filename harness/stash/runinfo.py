"""What every stash client of a run can learn from the stash itself: the URLs and the secret.

The supervisor publishes them in the reserved table ``harness/run`` once the stash server is
up, so any process that reaches the stash (a handler, the test, a tool; on any backend) can
build share links on the run's HTTPS server and sign capabilities the servers accept. The
secret never leaves the stash's clients and is never logged.

>>> info = run_info(stash.backend)          # doctest: +SKIP
>>> info.urls["https"]                      # doctest: +SKIP
'https://localhost:40541'
"""

from __future__ import annotations

import secrets
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Any

from .backend import StashBackend
from .errors import StashError
from .keys import RESERVED_TABLE_PREFIX

__all__ = ["RUN_TABLE", "RunInfo", "clock_now", "publish_run_info", "run_info"]

RUN_TABLE = RESERVED_TABLE_PREFIX + "run"
_INFO_KEY = "info"


@dataclass(frozen=True)
class RunInfo:
    """The run's server URLs (by scheme) and its capability secret."""

    urls: dict[str, str]
    secret: bytes = field(repr=False)


_cache: weakref.WeakKeyDictionary[Any, RunInfo] = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()


def publish_run_info(backend: StashBackend, urls: dict[str, str]) -> RunInfo:
    """Store the run's URLs and a fresh secret in the stash (the supervisor does it once)."""
    info = RunInfo(dict(urls), secrets.token_bytes(32))
    backend.table_set(RUN_TABLE, _INFO_KEY, {"urls": info.urls, "secret": info.secret}, None)
    return info


def run_info(backend: StashBackend) -> RunInfo:
    """The run's :class:`RunInfo`, read once per backend; :class:`StashError` outside a run."""
    try:
        cached = _cache.get(backend)
    except TypeError:  # a backend that cannot be weakly referenced: no cache
        cached = None
    if cached is not None:
        return cached
    found, value = backend.table_get(RUN_TABLE, _INFO_KEY)
    if not found or not isinstance(value, dict):
        raise StashError("share links and page capabilities need a running harness: this stash has no run information")
    info = RunInfo(dict(value["urls"]), bytes(value["secret"]))
    with _cache_lock:
        try:
            _cache[backend] = info
        except TypeError:
            pass
    return info


def clock_now(backend: StashBackend) -> float:
    """Wall time on the run's stash clock: :func:`time.time` plus the tests' clock offset."""
    return time.time() + backend.advance_clock(0.0)
