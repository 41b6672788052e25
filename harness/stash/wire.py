"""Framing on an authenticated manager connection, one read per message.

:mod:`multiprocessing.connection` frames each message as a 4-byte big-endian length (or -1
and an 8-byte length) followed by the bytes, and reads a frame with two ``read`` calls. Once a
stash connection is authenticated, both ends use this module instead: the same frames, read
through a buffer, so a small message costs one system call to receive.

>>> reader, writer = os.pipe()
>>> write_frame(writer, b"hello"); FrameReader(reader).read()
b'hello'
>>> os.close(reader); os.close(writer)
"""

from __future__ import annotations

import os
import struct

__all__ = ["FrameReader", "write_frame"]

_CHUNK = 65536
_SHORT = struct.Struct("!i")
_LONG = struct.Struct("!Q")


def length_prefixed(data: bytes) -> bytes:
    """``data`` with its length in front, as multiprocessing frames it."""
    size = len(data)
    if size > 0x7FFFFFFF:
        return _SHORT.pack(-1) + _LONG.pack(size) + data
    return _SHORT.pack(size) + data


def write_frame(fd: int, data: bytes) -> None:
    """Write one frame to ``fd`` (all of it); :class:`OSError` if the peer is gone."""
    view = memoryview(length_prefixed(data))
    while view:
        written = os.write(fd, view)
        view = view[written:]


class FrameReader:
    """Reads frames from a file descriptor through a buffer."""

    __slots__ = ("_buffer", "_fd")

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buffer = bytearray()

    def _fill(self) -> None:
        chunk = os.read(self._fd, _CHUNK)
        if not chunk:
            raise EOFError("the connection closed")
        self._buffer += chunk

    def read(self) -> bytes:
        """The next frame's bytes; :class:`EOFError` when the peer closed."""
        buffer = self._buffer
        while len(buffer) < 4:
            self._fill()
        (size,) = _SHORT.unpack_from(buffer)
        start = 4
        if size == -1:
            while len(buffer) < 12:
                self._fill()
            (size,) = _LONG.unpack_from(buffer, 4)
            start = 12
        end = start + size
        while len(buffer) < end:
            self._fill()
        data = bytes(buffer[start:end])
        del buffer[:end]
        return data
