"""RFC 6455 handshake helpers handlers call to write their own handshake."""

from __future__ import annotations

import base64
import hashlib

from .. import common

__all__ = ["compute_accept", "compute_accept_from_unicode", "format_header"]


def compute_accept(key: bytes) -> bytes:
    """The ``Sec-WebSocket-Accept`` value (base64, as bytes) answering ``key`` (bytes)."""
    return base64.b64encode(hashlib.sha1(key + common.WEBSOCKET_ACCEPT_UUID).digest())


def compute_accept_from_unicode(key: str) -> bytes:
    """:func:`compute_accept` for a key given as text."""
    return compute_accept(key.encode("utf-8"))


def format_header(name: str, value: str) -> str:
    """One header line, CRLF included."""
    return f"{name}: {value}\r\n"
