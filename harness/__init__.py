"""stash-harness: HTTP, HTTPS, WS and WSS test servers sharing one cross-process stash.

>>> from harness import Stash, current_request, load_config
>>> from harness import request, response, local_stash   # context locals for handler helpers
"""

from .config import Config, ConfigError, load_config
from .http import HTTPException
from .site.context import current_request
from .site.locals import HandlerThread, LocalProxy, bind_context, local_stash, request, response
from .stash import Stash, StashError, StashUnavailable, load_env_config, store_env_config

__version__ = "0.1.0"

__all__ = [
    "Config",
    "ConfigError",
    "HTTPException",
    "HandlerThread",
    "LocalProxy",
    "Stash",
    "StashError",
    "StashUnavailable",
    "__version__",
    "bind_context",
    "current_request",
    "local_stash",
    "load_config",
    "load_env_config",
    "request",
    "response",
    "store_env_config",
]
