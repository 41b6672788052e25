"""The run's shared stash: write-once, read-once values under UUID keys, scoped by path.

>>> from harness.stash import Stash
>>> stash = Stash("/beacon.py")            # finds the run through HARNESS_STASH_CONFIG  # doctest: +SKIP
>>> stash.put(key, {"ok": True})           # doctest: +SKIP
>>> stash.take(key, timeout=5)             # doctest: +SKIP
{'ok': True}
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
