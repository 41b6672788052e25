"""Our implementation of the pywebsocket3 API that ``*_wsh.py`` handlers import.

Inside the harness's server processes, :func:`install_modules` makes ``pywebsocket3`` and
``mod_pywebsocket`` (and their ``common``, ``extensions``, ``handshake``, ``handshake.hybi``,
``msgutil``, ``stream`` and ``util`` submodules) resolve to these modules, whether or not the real package
is installed: a handler then runs against the harness's connection and stash.

>>> install_modules()                                    # doctest: +SKIP
>>> from mod_pywebsocket import common, msgutil         # doctest: +SKIP
>>> common.STATUS_GOING_AWAY                             # doctest: +SKIP
1001
"""

from __future__ import annotations

import sys

from . import _stream_exceptions, common, extensions, handshake, msgutil, stream, util

__all__ = ["MODULE_NAMES", "install_modules"]

MODULE_NAMES = ("pywebsocket3", "mod_pywebsocket")
_SUBMODULES = {
    "_stream_exceptions": _stream_exceptions,
    "common": common,
    "extensions": extensions,
    "handshake": handshake,
    "handshake.base": handshake.base,
    "handshake.hybi": handshake.hybi,
    "msgutil": msgutil,
    "stream": stream,
    "util": util,
}


def install_modules() -> None:
    """Register this package as ``pywebsocket3`` and ``mod_pywebsocket`` in ``sys.modules``."""
    package = sys.modules[__name__]
    for name in MODULE_NAMES:
        sys.modules[name] = package
        for suffix, module in _SUBMODULES.items():
            sys.modules[f"{name}.{suffix}"] = module
