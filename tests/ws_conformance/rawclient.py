"""A raw WebSocket client for conformance cases: any frame, valid or not, byte by byte if asked.

Ours, in the test package: it masks what it is told to, sets whatever RSV bits and opcode it
is given, and reads server frames back without judging them, so each case can state what
the RFC requires of the server and check exactly that.

>>> client = RawClient.connect("127.0.0.1", port, None, "/ws/echo")     # doctest: +SKIP
>>> client.send_frame(OP_TEXT, b"hi")                                   # doctest: +SKIP
>>> client.recv_message()                                               # doctest: +SKIP
(1, b'hi')
"""

from __future__ import annotations

import base64
import os
import socket
import ssl
import struct
import time
import zlib
from dataclasses import dataclass

__all__ = ["OP_BINARY", "OP_CLOSE", "OP_CONT", "OP_PING", "OP_PONG", "OP_TEXT", "RawClient", "ServerFrame"]

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
_TIMEOUT = 10.0
# How soon after its close frame the server must end the TCP connection (RFC 6455 7.1.1 and
# 7.1.7: the server closes first, without waiting). The harness under test is configured
# with a close_timeout well above this, so "waits for the client" cannot pass for "at once".
CLOSE_AT_ONCE = 2.0


@dataclass(frozen=True)
class ServerFrame:
    fin: bool
    rsv: int
    opcode: int
    payload: bytes


class RawClient:
    """One connection, after its opening handshake."""

    def __init__(self, sock: socket.socket, headers: dict[str, str], leftover: bytes) -> None:
        self.sock = sock
        self.headers = headers
        self._buffer = bytearray(leftover)
        self._inflater: zlib._Decompress | None = None

    @classmethod
    def connect(
        cls, host: str, port: int, context: ssl.SSLContext | None, path: str, extensions: str | None = None
    ) -> RawClient:
        sock = socket.create_connection((host, port), timeout=_TIMEOUT)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if context is not None:
            sock = context.wrap_socket(sock, server_hostname="localhost")
        key = base64.b64encode(os.urandom(16)).decode()
        offer = f"Sec-WebSocket-Extensions: {extensions}\r\n" if extensions else ""
        sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: localhost:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{offer}\r\n".encode()
        )
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            assert chunk, f"the server closed during the handshake: {data!r}"
            data += chunk
        head, _, leftover = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        assert lines[0].startswith("HTTP/1.1 101"), f"handshake refused: {lines[0]}"
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return cls(sock, headers, leftover)

    def close(self) -> None:
        self.sock.close()

    # -- sending --------------------------------------------------------------------------

    @staticmethod
    def frame(opcode: int, payload: bytes, fin: bool = True, rsv: int = 0, mask: bool = True) -> bytes:
        """A client frame, masked unless told otherwise."""
        first = (0x80 if fin else 0) | (rsv << 4) | opcode
        length = len(payload)
        if length < 126:
            header = bytes((first, (0x80 if mask else 0) | length))
        elif length < 65536:
            header = struct.pack("!BBH", first, (0x80 if mask else 0) | 126, length)
        else:
            header = struct.pack("!BBQ", first, (0x80 if mask else 0) | 127, length)
        if not mask:
            return header + payload
        key = os.urandom(4)
        repeated = (key * (length // 4 + 1))[:length]
        masked = (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(length, "big")
        return header + key + (masked if length else b"")

    def send_frame(
        self, opcode: int, payload: bytes = b"", fin: bool = True, rsv: int = 0, chunk: int | None = None
    ) -> None:
        """Send one frame; with ``chunk``, in writes of that many bytes."""
        self.send_bytes(self.frame(opcode, payload, fin, rsv), chunk)

    def send_bytes(self, data: bytes, chunk: int | None = None) -> None:
        try:
            if chunk is None:
                self.sock.sendall(data)
                return
            for start in range(0, len(data), chunk):
                self.sock.sendall(data[start : start + chunk])
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may fail the connection before it has read everything

    def send_close(self, code: int | None = 1000, reason: bytes = b"") -> None:
        self.send_frame(OP_CLOSE, b"" if code is None else struct.pack("!H", code) + reason)

    # -- receiving ------------------------------------------------------------------------

    def recv_frame(self, timeout: float = _TIMEOUT) -> ServerFrame | None:
        """The next server frame; ``None`` when the server ended the TCP connection."""
        deadline = time.monotonic() + timeout
        while True:
            frame = self._parse()
            if frame is not None:
                return frame
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no frame from the server in time")
            self.sock.settimeout(remaining)
            data = self.sock.recv(65536)  # a reset raises: the RFC never allows one here
            if not data:
                assert not self._buffer, f"the connection ended in the middle of a frame: {bytes(self._buffer)!r}"
                return None
            self._buffer += data

    def _parse(self) -> ServerFrame | None:
        buffer = self._buffer
        if len(buffer) < 2:
            return None
        first, second = buffer[0], buffer[1]
        assert not second & 0x80, "server frames must not be masked"
        length, offset = second & 0x7F, 2
        if length == 126:
            if len(buffer) < 4:
                return None
            (length,), offset = struct.unpack_from("!H", buffer, 2), 4
        elif length == 127:
            if len(buffer) < 10:
                return None
            (length,), offset = struct.unpack_from("!Q", buffer, 2), 10
        if len(buffer) < offset + length:
            return None
        payload = bytes(buffer[offset : offset + length])
        del buffer[: offset + length]
        return ServerFrame(bool(first & 0x80), (first >> 4) & 7, first & 0x0F, payload)

    def recv_message(self, timeout: float = _TIMEOUT) -> tuple[int, bytes]:
        """The next data message, reassembled and (permessage-deflate) decompressed; control frames fail."""
        parts: list[bytes] = []
        opcode = None
        compressed = False
        while True:
            frame = self.recv_frame(timeout)
            assert frame is not None, "the server closed the connection instead of answering"
            assert frame.opcode in (OP_TEXT, OP_BINARY, OP_CONT), f"expected a data frame, got {frame}"
            if opcode is None:
                assert frame.opcode != OP_CONT, "a message began with a continuation frame"
                opcode, compressed = frame.opcode, bool(frame.rsv & 4)
                assert frame.rsv & 3 == 0, f"reserved bits set: {frame}"
            else:
                assert frame.opcode == OP_CONT and frame.rsv == 0, f"expected a continuation frame, got {frame}"
            parts.append(frame.payload)
            if frame.fin:
                data = b"".join(parts)
                if compressed:
                    if self._inflater is None:
                        self._inflater = zlib.decompressobj(wbits=-15)
                    data = self._inflater.decompress(data + b"\x00\x00\xff\xff")
                return opcode, data

    def expect_message(self, opcode: int, payload: bytes) -> None:
        got = self.recv_message()
        assert got == (opcode, payload), f"expected {(opcode, payload[:60])!r}, got {(got[0], got[1][:60])!r}"

    def expect_pong(self, payload: bytes) -> None:
        frame = self.recv_frame()
        assert frame is not None and (frame.opcode, frame.payload, frame.fin) == (OP_PONG, payload, True), frame

    def expect_close(self, *codes: int | None, timeout: float = _TIMEOUT) -> ServerFrame:
        """The server's close frame (its code one of ``codes``; None: no code), then the TCP end, at once.

        Data frames still in flight before the close are skipped; the client answers the
        close frame, as RFC 6455 5.5.1 asks, unless the server already ended the connection.
        """
        while True:
            frame = self.recv_frame(timeout)
            assert frame is not None, "the connection ended without a close frame"
            if frame.opcode in (OP_TEXT, OP_BINARY, OP_CONT, OP_PONG):
                continue
            break
        assert frame.opcode == OP_CLOSE and frame.fin, f"expected a close frame, got {frame}"
        code = struct.unpack("!H", frame.payload[:2])[0] if frame.payload else None
        assert code in codes, f"close code {code} ({frame.payload[2:]!r}), expected one of {codes}"
        if frame.payload[2:]:
            frame.payload[2:].decode("utf-8")  # a close reason is UTF-8 (RFC 6455 5.5.1)
        try:
            self.sock.sendall(self.frame(OP_CLOSE, frame.payload[:2]))
        except OSError:
            pass
        started = time.monotonic()
        ended = self.recv_frame(timeout=CLOSE_AT_ONCE + 1)
        assert ended is None, f"a frame after the close frame: {ended}"
        waited = time.monotonic() - started
        assert waited < CLOSE_AT_ONCE, f"the server kept the TCP connection open {waited:.1f} s after closing"
        return frame


def deflate(data: bytes, compressor: zlib._Compress | None = None) -> bytes:
    """``data`` as a permessage-deflate payload (RFC 7692 7.2.1: the trailing 00 00 ff ff removed)."""
    compressor = compressor or zlib.compressobj(wbits=-15)
    out = compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]
