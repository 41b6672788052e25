"""The WebSocket opening handshake (RFC 6455 section 4), without I/O.

>>> key = "dGhlIHNhbXBsZSBub25jZQ=="
>>> accept_value(key)
's3pPLMBiTxaQ9kYGzzhZRbK+xOo='
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Sequence

from websockets.exceptions import InvalidHeader, NegotiationError
from websockets.extensions import Extension
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
from websockets.headers import build_extension, parse_extension

from ..http.request import Request
from ..http.response import SERVER_HEADER, status_line

__all__ = [
    "HandshakeRefused",
    "accept_value",
    "check_upgrade",
    "negotiate_extensions",
    "offered_subprotocols",
    "switching_protocols",
]

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class HandshakeRefused(Exception):
    """An upgrade request the server turns down: the status, a message and extra headers."""

    def __init__(self, status: int, message: str, headers: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(status, message)
        self.status = status
        self.message = message
        self.headers = list(headers)


def _list_items(values: Iterable[bytes]) -> list[bytes]:
    """The items of comma-separated header values (RFC 9110 list syntax), empty ones dropped."""
    return [item for value in values for part in value.split(b",") if (item := part.strip())]


def check_upgrade(request: Request) -> str:
    """Validate an upgrade request; return its ``Sec-WebSocket-Key``, or raise :class:`HandshakeRefused`."""
    if request.method != "GET":
        message = f"a WebSocket handshake is a GET request, not {request.method}"
        raise HandshakeRefused(405, message, [("Allow", "GET")])
    headers = request.headers
    upgrade = [("Upgrade", "websocket"), ("Connection", "Upgrade")]
    connection = {token.lower() for token in _list_items(headers.get_list(b"connection", []))}
    protocols = {token.lower() for token in _list_items(headers.get_list(b"upgrade", []))}
    if b"upgrade" not in connection or b"websocket" not in protocols:
        raise HandshakeRefused(
            426,
            "this is a WebSocket server: connect with a WebSocket client (Upgrade: websocket was missing)",
            upgrade,
        )
    versions = headers.get_list(b"sec-websocket-version", [])
    if versions != [b"13"]:
        shown = b", ".join(versions).decode("latin-1") or "none"
        message = f"unsupported Sec-WebSocket-Version {shown!r}; this server speaks 13"
        raise HandshakeRefused(426, message, [*upgrade, ("Sec-WebSocket-Version", "13")])
    keys = headers.get_list(b"sec-websocket-key", [])
    if len(keys) != 1:
        raise HandshakeRefused(400, "the handshake needs exactly one Sec-WebSocket-Key header")
    try:
        nonce = base64.b64decode(keys[0], validate=True)
    except (binascii.Error, ValueError):
        nonce = b""
    if len(nonce) != 16:
        raise HandshakeRefused(400, "invalid Sec-WebSocket-Key: expected 16 bytes, base64-encoded")
    return keys[0].decode("ascii")


def offered_subprotocols(request: Request) -> list[str]:
    """The subprotocols the client offered, in its order of preference."""
    return [token.decode("latin-1") for token in _list_items(request.headers.get_list(b"sec-websocket-protocol", []))]


def _deflate_factory() -> ServerPerMessageDeflateFactory:
    # 4 KiB windows and a small memLevel: a few tens of KiB per connection instead of ~300.
    return ServerPerMessageDeflateFactory(
        server_max_window_bits=12, client_max_window_bits=12, compress_settings={"memLevel": 5}
    )


def negotiate_extensions(request: Request, compression: bool) -> tuple[str | None, list[Extension]]:
    """The ``Sec-WebSocket-Extensions`` answer and the extensions in force (RFC 7692 permessage-deflate).

    The first permessage-deflate offer whose parameters the server can honour wins (its
    ``server_no_context_takeover``, ``client_no_context_takeover`` and ``*_max_window_bits``
    are kept); other extensions are ignored. With ``compression`` off nothing is negotiated.

    >>> negotiate_extensions(Request("GET", "/", "HTTP/1.1", [], b"", scheme="ws"), True)
    (None, [])
    """
    offers = request.headers.get_list(b"sec-websocket-extensions", [])
    if not compression or not offers:
        return None, []
    try:
        offered = [item for value in offers for item in parse_extension(value.decode("latin-1"))]
    except InvalidHeader as exc:
        raise HandshakeRefused(400, f"invalid Sec-WebSocket-Extensions header: {exc}") from None
    factory = _deflate_factory()
    for name, params in offered:
        if name != factory.name:
            continue
        try:
            response_params, extension = factory.process_request_params(params, [])
        except NegotiationError:
            continue  # parameters this server cannot honour: try the client's next offer
        return build_extension([(name, response_params)]), [extension]
    return None, []


def accept_value(key: str) -> str:
    """The ``Sec-WebSocket-Accept`` answering ``key``."""
    return base64.b64encode(hashlib.sha1(key.encode("ascii") + _GUID).digest()).decode("ascii")


def switching_protocols(
    key: str, subprotocol: str | None, server: bytes = SERVER_HEADER, extensions: str | None = None
) -> bytes:
    """The 101 response that opens the connection (``extensions``: the negotiated header value)."""
    headers = [
        b"Upgrade: websocket",
        b"Connection: Upgrade",
        b"Sec-WebSocket-Accept: " + accept_value(key).encode("ascii"),
        b"Server: " + server,
    ]
    if subprotocol is not None:
        headers.append(b"Sec-WebSocket-Protocol: " + subprotocol.encode("latin-1"))
    if extensions is not None:
        headers.append(b"Sec-WebSocket-Extensions: " + extensions.encode("latin-1"))
    return status_line("HTTP/1.1", 101, None) + b"".join(header + b"\r\n" for header in headers) + b"\r\n"
