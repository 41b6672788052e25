"""Socket helpers shared by the transports: cheap receive timeouts, and shutting down under TLS."""

from __future__ import annotations

import socket
import ssl
import struct
import sys

__all__ = ["RecvTimeout", "shut"]

_SEND_TIMEOUT = 30.0  # a client that reads nothing for this long is dropped
_KERNEL_TIMEOUTS = sys.platform.startswith("linux")


class RecvTimeout:
    """Sets a socket's receive timeout, with one syscall only when the value changes.

    Plain sockets stay blocking and get SO_RCVTIMEO, so each recv is one syscall (a Python
    timeout adds a poll before every recv, and each syscall is a chance for the GIL to change
    hands). CPython's TLS sockets ignore SO_RCVTIMEO, so they keep Python timeouts.
    """

    __slots__ = ("_current", "_kernel", "_sock")

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._current: float | None = -1.0  # unknown
        self._kernel = _KERNEL_TIMEOUTS and not isinstance(sock, ssl.SSLSocket)
        if self._kernel:
            sock.settimeout(None)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, _timeval(_SEND_TIMEOUT))

    def set(self, seconds: float | None) -> None:
        """Block at most ``seconds`` in the next receives (``None``: no limit)."""
        if seconds is None:
            if self._current is None:
                return
            self._current = None
            if self._kernel:
                self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _timeval(0))
            else:
                self._sock.settimeout(None)
            return
        seconds = max(seconds, 0.001)
        if self._current is not None and abs(self._current - seconds) < 0.01:
            return
        self._current = seconds
        if self._kernel:
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _timeval(seconds))
        else:
            self._sock.settimeout(seconds)

    def before_send(self) -> None:
        """Give a TLS socket's sends their own timeout (a Python timeout covers both ways).

        A TLS socket in blocking mode (no receive timeout) stays blocking: switching modes
        costs an ioctl per message, and a peer that stops reading then holds only its own
        connection's thread.
        """
        if not self._kernel and self._current is not None:
            self.set(_SEND_TIMEOUT)


def _timeval(seconds: float) -> bytes:
    whole = int(seconds)
    return struct.pack("ll", whole, int((seconds - whole) * 1_000_000))


def shut(sock: socket.socket) -> None:
    """Shut a socket down under whoever is blocked on it (works under TLS too)."""
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass
