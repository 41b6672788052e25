"""The WebSocket opening handshake (RFC 6455 section 4), without I/O.

>>> key = "dGhlIHNhbXBsZSBub25jZQ=="
>>> accept_value(key)
's3pPLMBiTxaQ9kYGzzhZRbK+xOo='
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence

from ..http.parser import RequestHead

__all__ = ["HandshakeRefused", "accept_value", "check_upgrade", "offered_subprotocols", "switching_protocols"]

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class HandshakeRefused(Exception):
    """An upgrade request the server turns down: the status, a message and extra headers."""

    def __init__(self, status: int, message: str, headers: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(status, message)
        self.status = status
        self.message = message
        self.headers = list(headers)


def _tokens(head: RequestHead, name: bytes) -> set[bytes]:
    return {
        token.strip().lower()
        for header, value in head.headers
        if header.lower() == name
        for token in value.split(b",")
        if token.strip()
    }


def _values(head: RequestHead, name: bytes) -> list[bytes]:
    return [value for header, value in head.headers if header.lower() == name]


def check_upgrade(head: RequestHead) -> str:
    """Validate an upgrade request; return its ``Sec-WebSocket-Key``, or raise :class:`HandshakeRefused`."""
    if head.method != "GET":
        raise HandshakeRefused(405, f"a WebSocket handshake is a GET request, not {head.method}", [("Allow", "GET")])
    upgrade = [("Upgrade", "websocket"), ("Connection", "Upgrade")]
    if b"upgrade" not in _tokens(head, b"connection") or b"websocket" not in _tokens(head, b"upgrade"):
        raise HandshakeRefused(
            426,
            "this is a WebSocket server: connect with a WebSocket client (Upgrade: websocket was missing)",
            upgrade,
        )
    versions = _values(head, b"sec-websocket-version")
    if versions != [b"13"]:
        shown = b", ".join(versions).decode("latin-1") or "none"
        message = f"unsupported Sec-WebSocket-Version {shown!r}; this server speaks 13"
        raise HandshakeRefused(426, message, [*upgrade, ("Sec-WebSocket-Version", "13")])
    keys = _values(head, b"sec-websocket-key")
    if len(keys) != 1:
        raise HandshakeRefused(400, "the handshake needs exactly one Sec-WebSocket-Key header")
    try:
        nonce = base64.b64decode(keys[0], validate=True)
    except (binascii.Error, ValueError):
        nonce = b""
    if len(nonce) != 16:
        raise HandshakeRefused(400, "invalid Sec-WebSocket-Key: expected 16 bytes, base64-encoded")
    return keys[0].decode("ascii")


def offered_subprotocols(head: RequestHead) -> list[str]:
    """The subprotocols the client offered, in its order of preference."""
    return [
        token.strip().decode("latin-1")
        for value in _values(head, b"sec-websocket-protocol")
        for token in value.split(b",")
        if token.strip()
    ]


def accept_value(key: str) -> str:
    """The ``Sec-WebSocket-Accept`` answering ``key``."""
    return base64.b64encode(hashlib.sha1(key.encode("ascii") + _GUID).digest()).decode("ascii")


def switching_protocols(key: str, subprotocol: str | None, server: bytes) -> bytes:
    """The 101 response that opens the connection."""
    lines = [
        b"HTTP/1.1 101 Switching Protocols",
        b"Upgrade: websocket",
        b"Connection: Upgrade",
        b"Sec-WebSocket-Accept: " + accept_value(key).encode("ascii"),
        b"Server: " + server,
    ]
    if subprotocol is not None:
        lines.append(b"Sec-WebSocket-Protocol: " + subprotocol.encode("latin-1"))
    return b"\r\n".join(lines) + b"\r\n\r\n"
