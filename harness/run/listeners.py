"""Binding the listening sockets, before any server process starts.

The supervisor binds every port itself, so a port already in use is reported before
anything runs, a free port (0) is known before the URLs are printed, and a restarted server
process inherits the very same socket.
"""

from __future__ import annotations

import errno
import ipaddress
import socket

__all__ = ["BindError", "bind_listener", "is_loopback"]

_BACKLOG = 1024


class BindError(Exception):
    """A port that cannot be listened on; the message names the server and the port."""


def _family(host: str) -> socket.AddressFamily:
    try:
        return socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
    except ValueError:
        return socket.AF_INET


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind_listener(scheme: str, host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` for the ``scheme`` server."""
    address = "127.0.0.1" if host == "localhost" else host
    family = _family(address)
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((address, port))
        sock.listen(_BACKLOG)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise BindError(f"ports.{scheme}: port {port} on {address} is already in use") from None
        if exc.errno == errno.EACCES:
            raise BindError(f"ports.{scheme}: no permission to listen on port {port} on {address}") from None
        if exc.errno == errno.EADDRNOTAVAIL:
            raise BindError(f"bind_address: {address} is not an address of this machine") from None
        raise BindError(f"ports.{scheme}: cannot listen on {address}:{port}: {exc.strerror}") from None
    sock.set_inheritable(True)
    return sock
