"""The run's shared stash: write-once, read-once values under UUID keys, scoped by path.

``store`` (the semantics, no I/O), ``manager`` (the server process every harness process
reaches), ``client`` (pooled connections to it), ``backend`` (the interface a transport
implements, and the in-process :class:`LocalBackend`), ``api`` (:class:`Stash`), ``tables``
(named, dict-like tables), ``capabilities`` and ``runinfo`` (what share links and page
capabilities are signed with), ``identity`` (who holds a lock), ``codec``, ``keys``, ``wire``,
``envconfig`` and ``errors``.
Other backends, named by URL (``url``, ``connect``): Redis (``redis_backend``, its Lua
``redis_scripts`` and lean ``redis_wire`` connection), with values sealed by ``seal``.
It imports nothing else from ``harness``: what a server process adds (holding back handler
interrupts during a stash call) it installs through :func:`harness.stash.client.set_interrupt_guard`.

In a handler or a test, ``Stash(path)`` finds the run through ``HARNESS_STASH_CONFIG``; with
a backend it needs no run:

>>> from harness.stash import LocalBackend, Stash
>>> stash = Stash("/beacon.py", backend=LocalBackend())
>>> key = stash.new_key()
>>> stash.put(key, {"ok": True})
>>> stash.take(key, timeout=5)
{'ok': True}
>>> stash.take(key) is None        # read once
True
"""

from .api import Stash, StashLock
from .backend import LocalBackend, StashBackend
from .connect import open_backend
from .envconfig import ENV_VAR, StashConfig, load_env_config, load_stash_config, store_env_config
from .errors import StashError, StashUnavailable
from .store import EntryInfo, StashStore

__all__ = [
    "ENV_VAR",
    "EntryInfo",
    "LocalBackend",
    "Stash",
    "StashBackend",
    "StashConfig",
    "StashError",
    "StashLock",
    "StashStore",
    "StashUnavailable",
    "load_env_config",
    "load_stash_config",
    "open_backend",
    "store_env_config",
]
