"""``wptserve.stash``: the run's stash under wptserve's names.

``Stash(default_path, address=None, authkey=None)`` is the harness's stash (atomic
put/take, blocking takes, one lock); :func:`load_env_config` reads ``WPT_STASH_CONFIG``,
which the harness sets in its server processes beside ``HARNESS_STASH_CONFIG``.

>>> from wptserve.stash import Stash, load_env_config      # in a handler   # doctest: +SKIP
>>> address, authkey = load_env_config()                   # doctest: +SKIP
>>> Stash("/beacon.py", address, authkey).take(key)        # doctest: +SKIP
"""

from __future__ import annotations

import os

from harness.stash import Stash, StashError
from harness.stash.envconfig import Address, decode_env_config, encode_env_config

__all__ = ["ENV_VAR", "Stash", "StashError", "load_env_config", "store_env_config"]

ENV_VAR = "WPT_STASH_CONFIG"


def load_env_config() -> tuple[Address, bytes]:
    """``(address, authkey)`` from ``WPT_STASH_CONFIG``; :class:`KeyError` when it is unset, as in wptserve."""
    value = os.environ[ENV_VAR]
    return decode_env_config(value, ENV_VAR)


def store_env_config(address: Address, authkey: bytes) -> None:
    """Set ``WPT_STASH_CONFIG`` for this process and its children."""
    os.environ[ENV_VAR] = encode_env_config(address, authkey)
