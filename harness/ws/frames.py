"""RFC 6455 framing without I/O: bytes from a client in, frames out; frames in, bytes out.

The server side only: client frames must be masked, server frames are not. RSV1 marks a
compressed message when permessage-deflate was negotiated (RFC 7692); the other RSV bits
must be clear. Every violation raises :class:`WSProtocolError`
with the close code the connection must end with (1002 protocol error, 1007 invalid data,
1009 too big).

>>> buffer = bytearray(b"\\x81\\x82\\x00\\x00\\x00\\x00hi")
>>> parse_frame(buffer, max_size=1024)
Frame(fin=True, opcode=1, payload=b'hi', rsv1=False)
>>> encode_frame(OP_TEXT, b"hi")
b'\\x81\\x02hi'
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import NamedTuple

__all__ = [
    "OP_BINARY",
    "OP_CLOSE",
    "OP_CONTINUATION",
    "OP_PING",
    "OP_PONG",
    "OP_TEXT",
    "Frame",
    "MAX_CLOSE_REASON_BYTES",
    "MAX_CONTROL_PAYLOAD",
    "WSProtocolError",
    "close_code_is_valid",
    "encode_close",
    "encode_frame",
    "parse_close",
    "parse_frame",
    "truncate_close_reason",
]

OP_CONTINUATION, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA
_DATA_OPCODES = frozenset({OP_CONTINUATION, OP_TEXT, OP_BINARY})
_CONTROL_OPCODES = frozenset({OP_CLOSE, OP_PING, OP_PONG})
MAX_CONTROL_PAYLOAD = 125  # bytes in a ping, pong or close frame
MAX_CLOSE_REASON_BYTES = MAX_CONTROL_PAYLOAD - 2  # after the 2-byte code

_c_apply_mask: Callable[[bytes, bytes], bytes] | None
try:  # websockets' C masking; a pure-Python fallback keeps us working without it
    from websockets.speedups import apply_mask as _c_apply_mask
except ImportError:  # pragma: no cover - websockets ships the extension on common platforms
    _c_apply_mask = None


def apply_mask(data: bytes, mask: bytes) -> bytes:
    """XOR ``data`` with the 4-byte ``mask`` repeated."""
    if _c_apply_mask is not None:
        return bytes(_c_apply_mask(data, mask))
    if not data:
        return b""
    repeated = (mask * (len(data) // 4 + 1))[: len(data)]
    value = int.from_bytes(data, "big") ^ int.from_bytes(repeated, "big")
    return value.to_bytes(len(data), "big")


class WSProtocolError(Exception):
    """The peer broke the protocol; the connection closes with ``code``."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.code}: {self.reason}"


class Frame(NamedTuple):
    """One frame, unmasked."""

    fin: bool
    opcode: int
    payload: bytes
    rsv1: bool = False


def parse_frame(buffer: bytearray, max_size: int | None, rsv1_allowed: bool = False) -> Frame | None:
    """Take one complete frame off the front of ``buffer``; ``None`` if it is not all there yet.

    ``max_size`` bounds a data frame's payload (1009 beyond it), checked from the header so
    an oversized frame is refused before its payload is buffered. ``rsv1_allowed``: an
    extension (permessage-deflate) gives RSV1 a meaning on data frames.
    """
    available = len(buffer)
    if available < 2:
        return None
    first, second = buffer[0], buffer[1]
    if first & (0x30 if rsv1_allowed else 0x70):
        raise WSProtocolError(1002, "reserved bits must be 0 (no extension gives them a meaning)")
    opcode = first & 0x0F
    fin = bool(first & 0x80)
    if not second & 0x80:
        raise WSProtocolError(1002, "client frames must be masked")
    length = second & 0x7F
    offset = 2
    if length == 126:
        if available < 4:
            return None
        (length,) = struct.unpack_from("!H", buffer, 2)
        offset = 4
    elif length == 127:
        if available < 10:
            return None
        (length,) = struct.unpack_from("!Q", buffer, 2)
        if length >> 63:
            raise WSProtocolError(1002, "invalid frame length")
        offset = 10
    if opcode in _CONTROL_OPCODES:
        if not fin:
            raise WSProtocolError(1002, "control frames must not be fragmented")
        if first & 0x40:
            raise WSProtocolError(1002, "RSV1 must be 0 on a control frame")
        if length > MAX_CONTROL_PAYLOAD:
            raise WSProtocolError(1002, f"control frame payloads are at most {MAX_CONTROL_PAYLOAD} bytes")
    elif opcode not in _DATA_OPCODES:
        raise WSProtocolError(1002, f"unknown opcode {opcode:#x}")
    elif max_size is not None and length > max_size:
        raise WSProtocolError(1009, f"frame of {length} bytes is over the limit of {max_size} bytes")
    end = offset + 4 + length
    if available < end:
        return None
    mask = bytes(buffer[offset : offset + 4])
    payload = apply_mask(bytes(buffer[offset + 4 : end]), mask)
    del buffer[:end]
    return Frame(fin, opcode, payload, bool(first & 0x40))


def encode_frame(opcode: int, payload: bytes, fin: bool = True, rsv1: bool = False) -> bytes:
    """An unmasked server frame (``rsv1``: its message is compressed)."""
    first = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode
    length = len(payload)
    if length < 126:
        return bytes((first, length)) + payload
    if length < 65536:
        return struct.pack("!BBH", first, 126, length) + payload
    return struct.pack("!BBQ", first, 127, length) + payload


def close_code_is_valid(code: int) -> bool:
    """Whether a close frame may carry ``code`` (1005, 1006 and 1015 are only for reporting, never sent)."""
    return code in (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014) or 3000 <= code <= 4999


def parse_close(payload: bytes) -> tuple[int | None, str]:
    """``(code, reason)`` from a close frame; ``(None, "")`` when it carries no code."""
    if not payload:
        return None, ""
    if len(payload) == 1:
        raise WSProtocolError(1002, "close frame with a 1-byte payload")
    (code,) = struct.unpack_from("!H", payload)
    if not close_code_is_valid(code):
        raise WSProtocolError(1002, f"invalid close code {code}")
    try:
        reason = payload[2:].decode("utf-8")
    except UnicodeDecodeError:
        raise WSProtocolError(1007, "close reason is not valid UTF-8") from None
    return code, reason


def truncate_close_reason(reason: str, limit: int = MAX_CLOSE_REASON_BYTES) -> str:
    """``reason`` cut to at most ``limit`` bytes of UTF-8, between characters.

    What cannot be encoded (a lone surrogate) becomes ``?``: the result always fits a close frame.
    """
    try:
        data = reason.encode("utf-8")
    except UnicodeEncodeError:
        data = reason.encode("utf-8", "replace")
    else:
        if len(data) <= limit:
            return reason
    return data[:limit].decode("utf-8", "ignore")


def encode_close(code: int | None, reason: str = "") -> bytes:
    """A close frame (no payload when ``code`` is None); the reason is cut to fit 125 bytes."""
    if code is None:
        return encode_frame(OP_CLOSE, b"")
    return encode_frame(OP_CLOSE, struct.pack("!H", code) + truncate_close_reason(reason).encode("utf-8"))
