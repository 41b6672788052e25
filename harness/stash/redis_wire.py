"""A lean RESP2 connection for the Redis stash's hot path: one write and one read per command.

redis-py's client layer (retries, events, metrics, connection health checks) costs more than
the round trip itself on a busy machine, so stash operations use this instead: a socket
(TCP, unix or TLS), ``AUTH`` and ``SELECT`` once, then each command is packed into one
``sendall`` and its reply parsed from a buffer. Errors are redis-py's exception classes, so
callers handle both the same way. redis-py still does the rest (``SCAN``, pipelines, ``PING``).

>>> connection = RespConnection(parse_backend_url("redis://127.0.0.1:6379/0"))   # doctest: +SKIP
>>> connection.call("PING")                                                       # doctest: +SKIP
b'PONG'
"""

from __future__ import annotations

import socket
import ssl
import struct
from typing import Any

from redis import exceptions

from .url import BackendURL

__all__ = ["Prepacked", "RespConnection", "bulk", "pack"]

_CHUNK = 65536


def _timeval(seconds: float) -> bytes:
    """``seconds`` as a ``struct timeval`` for ``SO_RCVTIMEO`` / ``SO_SNDTIMEO`` (never 0: that is "forever")."""
    micros = max(1, round(seconds * 1_000_000))
    return struct.pack("@ll", micros // 1_000_000, micros % 1_000_000)


def _bytes(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if type(value) is int:
        return b"%d" % value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value).encode()
    raise TypeError(f"a Redis command argument must be bytes, str or a number, not {type(value).__name__}")


def bulk(data: bytes) -> bytes:
    """``data`` as one RESP bulk string (an argument of a command packed by hand)."""
    return b"$%d\r\n%b\r\n" % (len(data), data)


def _whole_reply(chunk: bytes) -> Any:
    """The reply in ``chunk`` if it is exactly one integer or bulk string, else ``_PARTIAL``.

    The hot path's replies (a put's 1 or 0, a take's payload or nil) mostly arrive whole in
    one ``recv``: they skip the buffer and the generic parser.
    """
    end = chunk.find(b"\r\n")
    if end < 0:
        return _PARTIAL
    kind = chunk[0]
    if kind == 0x3A and end + 2 == len(chunk):  # ":<int>\r\n"
        return int(chunk[1:end])
    if kind == 0x24:  # "$<size>\r\n<data>\r\n" or "$-1\r\n"
        size = int(chunk[1:end])
        if size < 0:
            return None if end + 2 == len(chunk) else _PARTIAL
        if end + size + 4 == len(chunk):
            return chunk[end + 2 : end + 2 + size]
    return _PARTIAL


_PARTIAL: Any = object()


class Prepacked:
    """Command arguments packed once (a script's name and SHA, the run's fixed keys)."""

    __slots__ = ("count", "data")

    def __init__(self, *items: object) -> None:
        self.data = b"".join(b"$%d\r\n%s\r\n" % (len(data), data) for data in map(_bytes, items))
        self.count = len(items)


def pack(args: tuple[object, ...]) -> bytes:
    """One command as a RESP array of bulk strings (:class:`Prepacked` segments spliced in)."""
    parts = [b""]
    count = 0
    for arg in args:
        if type(arg) is Prepacked:
            parts.append(arg.data)
            count += arg.count
            continue
        data: bytes = arg if type(arg) is bytes else _bytes(arg)
        parts.append(b"$%d\r\n%b\r\n" % (len(data), data))
        count += 1
    parts[0] = b"*%d\r\n" % count
    return b"".join(parts)


def _error(message: str) -> exceptions.RedisError:
    code = message.partition(" ")[0]
    if code == "NOSCRIPT":
        return exceptions.NoScriptError(message)
    if code in ("WRONGPASS", "NOAUTH"):
        return exceptions.AuthenticationError(message)
    if code == "NOPERM":
        return exceptions.NoPermissionError(message)
    if code in ("LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN"):
        # The server is (re)starting or stuck in a script: unavailable for now, not a refusal.
        return exceptions.BusyLoadingError(message)
    return exceptions.ResponseError(message)


class RespConnection:
    """One connection to the server ``url`` names, authenticated and on its database."""

    def __init__(self, url: BackendURL) -> None:
        self.url = url
        self._buffer = bytearray()
        self._position = 0
        self._sock = self._open()
        # Plain sockets keep their timeouts in the kernel (SO_RCVTIMEO/SO_SNDTIMEO) and stay in
        # blocking mode: Python's own timeout adds a poll() before every send and recv, which
        # costs more than the rest of a put on a busy machine. TLS sockets keep Python's.
        self._kernel_timeouts = url.scheme != "rediss"
        try:
            if self._kernel_timeouts:
                self._sock.settimeout(None)
                self._set_kernel_timeout(socket.SO_SNDTIMEO, url.timeout)
                self._set_kernel_timeout(socket.SO_RCVTIMEO, url.timeout)
            if url.password is not None:
                user = [url.username] if url.username else []
                try:
                    self.call("AUTH", *user, url.password)
                except exceptions.ResponseError as exc:
                    raise exceptions.AuthenticationError(str(exc)) from None
            if url.db:
                self.call("SELECT", url.db)
        except BaseException:
            self.close()
            raise

    def _open(self) -> socket.socket:
        url = self.url
        if url.scheme == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(url.timeout)
            try:
                sock.connect(url.socket_path)
            except BaseException:
                sock.close()
                raise
            return sock
        sock = socket.create_connection((url.host, url.port), timeout=url.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if url.scheme != "rediss":
            return sock
        try:
            context = ssl.create_default_context(cafile=url.tls_files.get("ssl_ca_certs"))
            if "ssl_certfile" in url.tls_files:
                context.load_cert_chain(url.tls_files["ssl_certfile"], url.tls_files.get("ssl_keyfile"))
            return context.wrap_socket(sock, server_hostname=url.host)
        except BaseException:
            sock.close()
            raise

    def call(self, *args: object, timeout: float | None = None) -> Any:
        """Send one command and return its reply; an error reply raises (the connection stays usable).

        ``timeout`` replaces the URL's reply timeout for this command (a ``BLPOP``).
        """
        return self.send(pack(args), timeout=timeout)

    def send(self, command: bytes, timeout: float | None = None) -> Any:
        """Like :meth:`call`, for a command already packed (:func:`pack`, :func:`bulk`)."""
        try:
            self._sock.sendall(command)
            if timeout is None:
                return self._reply()
            self._set_reply_timeout(timeout)
            try:
                return self._reply()
            finally:
                self._set_reply_timeout(self.url.timeout)
        except BlockingIOError:  # a kernel timeout ran out (EAGAIN on a blocking socket)
            raise TimeoutError("the Redis server did not answer in time") from None

    def _set_kernel_timeout(self, option: int, seconds: float) -> None:
        self._sock.setsockopt(socket.SOL_SOCKET, option, _timeval(seconds))

    def _set_reply_timeout(self, seconds: float) -> None:
        if self._kernel_timeouts:
            self._set_kernel_timeout(socket.SO_RCVTIMEO, seconds)
        else:
            self._sock.settimeout(seconds)

    def close(self) -> None:
        self._sock.close()

    # -- reading ---------------------------------------------------------------------------

    def _fill(self) -> None:
        if self._position:
            del self._buffer[: self._position]
            self._position = 0
        chunk = self._sock.recv(_CHUNK)
        if not chunk:
            raise exceptions.ConnectionError("the Redis server closed the connection")
        self._buffer += chunk

    def _line(self) -> bytes:
        while True:
            end = self._buffer.find(b"\r\n", self._position)
            if end >= 0:
                line = bytes(self._buffer[self._position : end])
                self._position = end + 2
                return line
            self._fill()

    def _exactly(self, size: int) -> bytes:
        while len(self._buffer) - self._position < size + 2:
            self._fill()
        data = bytes(self._buffer[self._position : self._position + size])
        self._position += size + 2
        return data

    def _reply(self) -> Any:
        if self._position == len(self._buffer):  # nothing buffered (the usual case): one recv
            chunk = self._sock.recv(_CHUNK)
            if not chunk:
                raise exceptions.ConnectionError("the Redis server closed the connection")
            reply = _whole_reply(chunk)
            if reply is not _PARTIAL:
                return reply
            del self._buffer[:]
            self._position = 0
            self._buffer += chunk
        return self._parse()

    def _parse(self) -> Any:
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"$":
            size = int(rest)
            return None if size < 0 else self._exactly(size)
        if kind == b":":
            return int(rest)
        if kind == b"*":
            count = int(rest)
            if count < 0:
                return None
            items = []
            error: exceptions.RedisError | None = None
            for _ in range(count):
                try:
                    items.append(self._parse())
                except exceptions.ResponseError as exc:  # keep reading: the stream stays in step
                    error = error or exc
            if error is not None:
                raise error
            return items
        if kind == b"+":
            return rest
        if kind == b"-":
            raise _error(rest.decode("utf-8", "replace"))
        raise exceptions.ConnectionError(f"not a Redis reply: {line[:40]!r}")
