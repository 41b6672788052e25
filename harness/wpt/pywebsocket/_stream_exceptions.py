"""The exceptions a pywebsocket stream raises to handlers (also in ``msgutil`` and ``stream``)."""

from __future__ import annotations

__all__ = [
    "BadOperationException",
    "ConnectionTerminatedException",
    "InvalidFrameException",
    "InvalidUTF8Exception",
    "UnsupportedFrameException",
]


class ConnectionTerminatedException(Exception):
    """The connection ended without a closing handshake."""


class InvalidFrameException(ConnectionTerminatedException):
    """The client sent a frame that breaks the protocol; the connection closes with 1002."""


class BadOperationException(Exception):
    """A call the connection's state forbids (sending after close, ...); it closes with 1011."""


class UnsupportedFrameException(Exception):
    """A frame with reserved bits or an unknown opcode; the connection closes with 1003."""


class InvalidUTF8Exception(Exception):
    """A text message that is not UTF-8; the connection closes with 1007."""


class MessageTooBigException(InvalidFrameException):
    """A message over the server's ``ws.max_message_bytes``; the connection closes with 1009."""
