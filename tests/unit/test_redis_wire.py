"""The lean RESP connection's packing and its whole-reply fast path (no server needed)."""

from __future__ import annotations

import struct

import pytest

from harness.stash.redis_wire import _PARTIAL, _timeval, _whole_reply, bulk, pack


def test_bulk_packs_like_the_generic_packer() -> None:
    assert b"*2\r\n" + bulk(b"GET") + bulk(b"k\r\n") == pack(("GET", b"k\r\n"))


@pytest.mark.parametrize(
    ("chunk", "reply"),
    [
        (b":1\r\n", 1),
        (b":-12\r\n", -12),
        (b"$-1\r\n", None),
        (b"$0\r\n\r\n", b""),
        (b"$4\r\na\r\nb\r\n", b"a\r\nb"),
    ],
)
def test_a_whole_integer_or_bulk_reply_is_read_from_one_chunk(chunk: bytes, reply: object) -> None:
    assert _whole_reply(chunk) == reply


@pytest.mark.parametrize(
    "chunk",
    [
        b":1",  # the line is not complete yet
        b"$5\r\nabc",  # the data is not complete yet
        b"$3\r\nabc\r\n:1\r\n",  # more than one reply
        b"*2\r\n:1\r\n:2\r\n",  # an array: the generic parser's job
        b"-ERR nope\r\n",  # an error: the generic parser raises it
        b"+OK\r\n",
    ],
)
def test_anything_else_goes_to_the_generic_parser(chunk: bytes) -> None:
    assert _whole_reply(chunk) is _PARTIAL


def test_a_kernel_timeout_is_never_zero_which_would_mean_forever() -> None:
    assert struct.unpack("@ll", _timeval(1e-9)) == (0, 1)
    assert struct.unpack("@ll", _timeval(2.5)) == (2, 500000)
