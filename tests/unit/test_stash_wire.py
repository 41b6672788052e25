"""Framing on stash connections (harness.stash.wire), over a real pipe."""

from __future__ import annotations

import os
import struct
import threading

import pytest

from harness.stash.wire import FrameReader, length_prefixed, write_frame


@pytest.fixture
def pipe():
    read_fd, write_fd = os.pipe()
    yield read_fd, write_fd
    for fd in (read_fd, write_fd):
        try:
            os.close(fd)
        except OSError:
            pass


@pytest.mark.parametrize("size", [0, 1, 5, 65535, 65536, 300_000])
def test_frames_round_trip(pipe, size: int) -> None:
    read_fd, write_fd = pipe
    data = bytes(i % 251 for i in range(size))
    writer = threading.Thread(target=write_frame, args=(write_fd, data))
    writer.start()
    assert FrameReader(read_fd).read() == data
    writer.join(10)


def test_several_frames_in_one_read_come_out_one_by_one(pipe) -> None:
    read_fd, write_fd = pipe
    os.write(write_fd, length_prefixed(b"one") + length_prefixed(b"") + length_prefixed(b"three"))
    reader = FrameReader(read_fd)
    assert [reader.read(), reader.read(), reader.read()] == [b"one", b"", b"three"]


def test_the_long_length_form_is_read(pipe) -> None:
    read_fd, write_fd = pipe
    os.write(write_fd, struct.pack("!i", -1) + struct.pack("!Q", 4) + b"long")
    assert FrameReader(read_fd).read() == b"long"


def test_the_wire_format_is_multiprocessings(pipe) -> None:
    from multiprocessing.connection import Connection

    read_fd, write_fd = pipe
    Connection(write_fd, readable=False).send_bytes(b"from multiprocessing")
    assert FrameReader(read_fd).read() == b"from multiprocessing"


def test_a_frame_cut_short_raises_eof(pipe) -> None:
    read_fd, write_fd = pipe
    os.write(write_fd, struct.pack("!i", 10) + b"short")
    os.close(write_fd)
    with pytest.raises(EOFError):
        FrameReader(read_fd).read()
