"""RFC 6455 framing (harness.ws.frames): parsing client frames, encoding server frames."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.ws.frames import (
    OP_BINARY,
    OP_CLOSE,
    OP_CONTINUATION,
    OP_PING,
    OP_TEXT,
    Frame,
    WSProtocolError,
    apply_mask,
    encode_close,
    encode_frame,
    parse_close,
    parse_frame,
)

MASK = b"\x11\x22\x33\x44"


def client_frame(opcode: int, payload: bytes, fin: bool = True, rsv: int = 0, masked: bool = True) -> bytes:
    """A client frame as a browser would send it."""
    first = (0x80 if fin else 0) | rsv | opcode
    length = len(payload)
    mask_bit = 0x80 if masked else 0
    if length < 126:
        head = bytes((first, mask_bit | length))
    elif length < 65536:
        head = struct.pack("!BBH", first, mask_bit | 126, length)
    else:
        head = struct.pack("!BBQ", first, mask_bit | 127, length)
    return head + (MASK + apply_mask(payload, MASK) if masked else payload)


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 70000])
def test_every_length_encoding_round_trips(size: int) -> None:
    payload = bytes(i % 251 for i in range(size))
    buffer = bytearray(client_frame(OP_BINARY, payload) + b"next")
    assert parse_frame(buffer, max_size=None) == Frame(True, OP_BINARY, payload)
    assert buffer == b"next"


def test_incomplete_frames_wait_for_more_bytes() -> None:
    data = client_frame(OP_TEXT, b"hello world")
    for cut in range(len(data)):
        buffer = bytearray(data[:cut])
        assert parse_frame(buffer, max_size=None) is None
        assert buffer == data[:cut]  # nothing consumed


@pytest.mark.parametrize(
    ("data", "code", "message"),
    [
        (client_frame(OP_TEXT, b"x", masked=False), 1002, "must be masked"),
        (client_frame(OP_TEXT, b"x", rsv=0x40), 1002, "reserved bits"),
        (client_frame(0x3, b"x"), 1002, "unknown opcode"),
        (client_frame(OP_PING, b"x", fin=False), 1002, "must not be fragmented"),
        (client_frame(OP_PING, b"x" * 126), 1002, "at most 125 bytes"),
        (client_frame(OP_BINARY, b"x" * 2000), 1009, "over the limit of 1024 bytes"),
        (bytes((0x82, 0xFF)) + b"\x80" + b"\x00" * 7, 1002, "invalid frame length"),
    ],
)
def test_protocol_violations_carry_their_close_code(data: bytes, code: int, message: str) -> None:
    with pytest.raises(WSProtocolError, match=message) as error:
        parse_frame(bytearray(data), max_size=1024)
    assert error.value.code == code


def test_an_oversized_frame_is_refused_from_its_header_alone() -> None:
    header_only = bytearray(struct.pack("!BBQ", 0x82, 0xFF, 10**9))
    with pytest.raises(WSProtocolError) as error:
        parse_frame(header_only, max_size=1024)
    assert error.value.code == 1009


@pytest.mark.parametrize(("size", "header"), [(5, b"\x81\x05"), (200, b"\x81\x7e\x00\xc8"), (70000, b"\x81\x7f")])
def test_server_frames_are_unmasked_with_the_shortest_length(size: int, header: bytes) -> None:
    assert encode_frame(OP_TEXT, b"a" * size).startswith(header)


def test_close_payloads() -> None:
    assert parse_close(b"") == (None, "")
    assert parse_close(struct.pack("!H", 1000) + "bye ✓".encode()) == (1000, "bye ✓")
    assert parse_close(struct.pack("!H", 4321)) == (4321, "")
    assert encode_close(1001, "going") == b"\x88\x07\x03\xe9going"
    assert encode_close(None) == b"\x88\x00"
    long_reason = encode_close(1000, "é" * 100)
    assert len(long_reason) - 2 <= 125
    assert parse_close(long_reason[2:])[0] == 1000


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"\x03", 1002),
        (struct.pack("!H", 999), 1002),
        (struct.pack("!H", 1005), 1002),
        (struct.pack("!H", 1000) + b"\xff", 1007),
    ],
)
def test_invalid_close_payloads(payload: bytes, code: int) -> None:
    with pytest.raises(WSProtocolError) as error:
        parse_close(payload)
    assert error.value.code == code


@settings(max_examples=200, deadline=None)
@given(
    frames=st.lists(
        st.tuples(
            st.sampled_from([OP_TEXT, OP_BINARY, OP_CONTINUATION, OP_PING, OP_CLOSE]),
            st.binary(max_size=300),
            st.booleans(),
        ),
        max_size=6,
    ),
    split=st.integers(min_value=1, max_value=64),
)
def test_any_split_of_a_frame_stream_parses_the_same(frames: list[tuple[int, bytes, bool]], split: int) -> None:
    stream = b""
    expected = []
    for opcode, payload, fin in frames:
        if opcode in (OP_PING, OP_CLOSE):
            payload, fin = payload[:125], True
        stream += client_frame(opcode, payload, fin=fin)
        expected.append(Frame(fin, opcode, payload))
    buffer = bytearray()
    parsed = []
    for start in range(0, len(stream), split):
        buffer += stream[start : start + split]
        while (frame := parse_frame(buffer, max_size=None)) is not None:
            parsed.append(frame)
    assert parsed == expected
    assert buffer == b""


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=200))
def test_arbitrary_bytes_never_raise_anything_but_a_protocol_error(data: bytes) -> None:
    buffer = bytearray(data)
    codes = []
    try:
        while parse_frame(buffer, max_size=100) is not None:
            pass
    except WSProtocolError as error:
        codes.append(error.code)
    assert set(codes) <= {1002, 1009}
