"""From a :class:`~harness.stash.envconfig.StashConfig` to the process's backend for it.

>>> backend = open_backend(load_stash_config())     # doctest: +SKIP
>>> Stash("/a.py", backend=backend)                  # doctest: +SKIP
"""

from __future__ import annotations

import os
import threading
import uuid
from typing import Any

from .backend import LocalBackend, StashBackend
from .client import ManagerBackend
from .envconfig import StashConfig, load_stash_config
from .store import StashStore
from .url import parse_backend_url

__all__ = ["env_backend", "open_backend", "shared_stash_config"]

_memory: LocalBackend | None = None
_memory_lock = threading.Lock()


def _memory_backend(config: StashConfig) -> LocalBackend:
    global _memory
    with _memory_lock:
        if _memory is None:
            store = StashStore(config.max_value_bytes, default_ttl=config.default_ttl, test_clock=config.test_clock)
            _memory = LocalBackend(store)
        return _memory


def open_backend(config: StashConfig, **options: Any) -> StashBackend:
    """The process-wide backend ``config`` names (made on first use).

    ``memory://`` is one store per process; ``manager`` connects to the run's stash server;
    a Redis URL connects to that server under the run's prefix.
    """
    url = parse_backend_url(config.backend)
    if url.kind == "manager":
        if config.address is None or config.authkey is None:
            raise ValueError("a manager stash config needs its address and authkey")
        return ManagerBackend.shared(config.address, config.authkey)
    if url.kind == "memory":
        return _memory_backend(config)
    from .redis_backend import RedisBackend

    return RedisBackend.for_run(config, **options)


def env_backend() -> StashBackend:
    """The backend ``HARNESS_STASH_CONFIG`` names; :class:`StashUnavailable` if it names none."""
    return open_backend(load_stash_config())


def shared_stash_config(backend: str, **settings: Any) -> StashConfig:
    """The :class:`StashConfig` of a new run on a shared backend, checked to answer.

    ``backend`` is a Redis URL (a new run: a fresh id and secret; ``settings`` are the other
    :class:`StashConfig` fields: ``key_ttl``, ``default_ttl``, ...), or ``env`` to join the
    run ``HARNESS_STASH_CONFIG`` names (another harness of a multi-machine run). Raises
    :class:`~harness.stash.StashUnavailable` naming the server when it does not answer.
    """
    if backend == "env":
        config = load_stash_config()
    else:
        config = StashConfig(backend=backend, run_id=uuid.uuid4().hex, secret=os.urandom(32), **settings)
    found = open_backend(config)
    ping = getattr(found, "ping", None)
    if ping is not None:
        ping()
    return config
