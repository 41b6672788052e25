"""Setting up a server process for wpt handlers: the module shims and ``WPT_STASH_CONFIG``."""

from __future__ import annotations

import os

from ..stash.envconfig import ENV_VAR
from .modules import install

__all__ = ["WPT_ENV_VAR", "prepare_server_process"]

WPT_ENV_VAR = "WPT_STASH_CONFIG"


def prepare_server_process() -> None:
    """Make ``import wptserve...`` reach our shims, and give ``WPT_STASH_CONFIG`` the run's stash.

    Both variables hold the same JSON ``[address, base64(authkey)]``, the format wptserve uses.
    """
    install()
    value = os.environ.get(ENV_VAR)
    if value:
        os.environ[WPT_ENV_VAR] = value
