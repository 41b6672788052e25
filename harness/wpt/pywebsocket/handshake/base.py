"""The exceptions that refuse or abandon an opening handshake."""

from __future__ import annotations

__all__ = ["AbortedByUserException", "HandshakeException", "VersionException"]


class AbortedByUserException(Exception):
    """Raised by a handler to drop the connection at once.

    From ``web_socket_do_extra_handshake``: no HTTP response at all (only what the handler
    wrote with ``request.connection.write``). From ``web_socket_transfer_data`` or
    ``web_socket_passive_closing_handshake``: the TCP connection closes without a closing
    handshake.
    """


class HandshakeException(Exception):
    """The handshake fails with HTTP ``status`` (400 when none is given)."""

    def __init__(self, name: object, status: int | None = None) -> None:
        super().__init__(name)
        self.status = status


class VersionException(Exception):
    """The client asked for a WebSocket version the server does not speak."""

    def __init__(self, name: object, supported_versions: str = "") -> None:
        super().__init__(name)
        self.supported_versions = supported_versions
