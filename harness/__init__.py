"""stash-harness: HTTP, HTTPS, WS and WSS test servers sharing one cross-process stash.

>>> from harness import Stash, current_request, load_config
"""

from .config import Config, ConfigError, load_config
from .http import HTTPException
from .site.context import current_request
from .stash import Stash, StashError, StashUnavailable, load_env_config, store_env_config

__version__ = "0.1.0"

__all__ = [
    "Config",
    "ConfigError",
    "HTTPException",
    "Stash",
    "StashError",
    "StashUnavailable",
    "__version__",
    "current_request",
    "load_config",
    "load_env_config",
    "store_env_config",
]
