"""How another protocol takes a connection over from the HTTP transport (RFC 9110 Upgrade).

The transport (:mod:`harness.http.server`) declares these interfaces and knows nothing of
what implements them. A server built with an :class:`Upgrader` hands it every request, with
the connection as an :class:`UpgradeChannel`: the upgrader answers through ``send`` (a
refusal, or its ``101 Switching Protocols``) and, to take the connection over, calls
``hand_over``, which gives it the socket and the bytes already read past the request head
and registers what it built (an :class:`Upgraded`), so that the server's shutdown reaches
it. Once the upgrader returns, the transport closes the connection.

>>> class EchoUpgrader:
...     def upgrade(self, request, channel):
...         channel.send(b"HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: echo\\r\\n\\r\\n")
...         echo = channel.hand_over(EchoConnection)  # EchoConnection(handover) is an Upgraded
...         echo.run()
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from ..net.sockets import RecvTimeout
from .request import Request

__all__ = ["Handover", "UpgradeChannel", "Upgraded", "Upgrader"]


@dataclass(frozen=True)
class Handover:
    """What the transport gives up to the protocol taking over the connection."""

    sock: socket.socket
    """The connection's socket (the TLS one on a TLS port)."""
    leftover: bytearray
    """Bytes the client sent past the request head: the new protocol's first bytes."""
    recv_timeout: RecvTimeout
    """The socket's receive timeout, as the transport set it up (one per socket)."""


class Upgraded(Protocol):
    """A connection running another protocol, as the server's shutdown sees it."""

    def going_away(self) -> None:
        """The server shuts down: tell the peer and end soon, without blocking on it."""


U = TypeVar("U", bound=Upgraded)


class UpgradeChannel(Protocol):
    """The connection as an upgrader sees it while it answers the request."""

    def send(self, data: bytes) -> None:
        """Write ``data`` to the client (:class:`~harness.http.response.ClientDisconnected` if gone)."""

    def hand_over(self, build: Callable[[Handover], U]) -> U:
        """Give the connection to ``build``; what it returns is the upgraded connection."""


class Upgrader(Protocol):
    """Answers requests by upgrading their connections (a WebSocket server, say)."""

    def upgrade(self, request: Request, channel: UpgradeChannel) -> None:
        """Answer ``request`` on ``channel``, and run the upgraded connection to its end."""
