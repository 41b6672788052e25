"""pywebsocket's ``handshake`` module: the exceptions handlers raise, and ``hybi``.

>>> from mod_pywebsocket.handshake import AbortedByUserException    # doctest: +SKIP
"""

from __future__ import annotations

from . import base, hybi
from .base import AbortedByUserException, HandshakeException, VersionException

__all__ = ["AbortedByUserException", "HandshakeException", "VersionException", "base", "hybi"]
