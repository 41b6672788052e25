"""pywebsocket's ``msgutil``: message functions taking the handler's ``request``.

>>> from mod_pywebsocket import msgutil                     # doctest: +SKIP
>>> def web_socket_transfer_data(request):                  # doctest: +SKIP
...     msgutil.send_message(request, msgutil.receive_message(request))
"""

from __future__ import annotations

from typing import Any

from ._stream_exceptions import (
    BadOperationException,
    ConnectionTerminatedException,
    InvalidFrameException,
    InvalidUTF8Exception,
    UnsupportedFrameException,
)

__all__ = [
    "BadOperationException",
    "ConnectionTerminatedException",
    "InvalidFrameException",
    "InvalidUTF8Exception",
    "UnsupportedFrameException",
    "close_connection",
    "receive_message",
    "send_message",
    "send_ping",
]


def close_connection(request: Any) -> None:
    """Start the closing handshake (code 1000) and wait for the client's reply."""
    request.ws_stream.close_connection()


def send_message(request: Any, payload_data: str | bytes, end: bool = True, binary: bool = False) -> None:
    """Send a message, or a piece of one when ``end`` is false."""
    request.ws_stream.send_message(payload_data, end, binary)


def receive_message(request: Any) -> str | bytes | None:
    """The next message (``str`` or ``bytes``), or ``None`` once the client closed."""
    return request.ws_stream.receive_message()  # type: ignore[no-any-return]


def send_ping(request: Any, body: str | bytes) -> None:
    """Send a ping."""
    request.ws_stream.send_ping(body)
