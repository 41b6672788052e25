"""The catalogue: Autobahn|Testsuite-style cases, sections 1-7, 9, 10, and 12-13 (permessage-deflate).

Each case is a function of a connected :class:`RawClient` and states, in its id and
``requirement``, what RFC 6455 (or RFC 7692) requires of the server. Cases that end with the
server failing the connection check the close code, then that the TCP connection ends at
once and without a reset (``RawClient.expect_close``).
"""

from __future__ import annotations

import os
import socket
import ssl
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from .rawclient import OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT, RawClient, deflate

MAX_MESSAGE = 1024 * 1024


@dataclass(frozen=True)
class Case:
    id: str
    requirement: str
    run: Callable[[RawClient], None]
    extensions: str | None = None
    # Why the websockets reference gives another (RFC-compatible) outcome, if it does.
    reference_differs: str | None = None


CASES: list[Case] = []


def case(
    id: str, requirement: str, extensions: str | None = None, reference_differs: str | None = None
) -> Callable[[Callable[[RawClient], None]], None]:
    def register(run: Callable[[RawClient], None]) -> None:
        CASES.append(Case(id, requirement, run, extensions, reference_differs))

    return register


def _closes_normally(client: RawClient) -> None:
    """The client closes with 1000: the server answers 1000 and ends the TCP connection."""
    client.send_close(1000)
    client.expect_close(1000)


# -- 1: framing: data messages of every length encoding, in one write or in pieces ------------

_LENGTHS = [0, 1, 125, 126, 127, 128, 65535, 65536, 65537]
for _length in _LENGTHS:
    for _opcode, _kind in ((OP_TEXT, "text"), (OP_BINARY, "binary")):

        def _echo(client: RawClient, opcode: int = _opcode, length: int = _length) -> None:
            payload = b"*" * length if opcode == OP_TEXT else os.urandom(length)
            client.send_frame(opcode, payload)
            client.expect_message(opcode, payload)
            _closes_normally(client)

        case(f"1.{_kind}-{_length}-bytes-echoed", "5.2: every payload length encoding (7, 16, 64-bit) is accepted")(
            _echo
        )
for _chunk in (1, 997):

    def _chunked(client: RawClient, chunk: int = _chunk) -> None:
        payload = b"x" * (300 if chunk == 1 else 65536)
        client.send_frame(OP_TEXT, payload, chunk=chunk)
        client.expect_message(OP_TEXT, payload)

    case(f"1.text-sent-in-{_chunk}-byte-writes", "5.2: a frame may arrive in any number of TCP segments")(_chunked)


# -- 2: pings and pongs -------------------------------------------------------------------

for _size in (0, 1, 10, 125):
    for _chunk2 in (None, 1):

        def _ping(client: RawClient, size: int = _size, chunk: int | None = _chunk2) -> None:
            payload = os.urandom(size)
            client.send_frame(OP_PING, payload, chunk=chunk)
            client.expect_pong(payload)
            _closes_normally(client)

        how = "" if _chunk2 is None else "-in-1-byte-writes"
        case(f"2.ping-{_size}-bytes{how}-gets-its-pong", "5.5.2/5.5.3: a pong with the ping's application data")(_ping)


@case("2.ping-126-bytes-fails-1002", "5.5: control frame payloads are at most 125 bytes")
def _(client: RawClient) -> None:
    client.send_frame(OP_PING, b"x" * 126)
    client.expect_close(1002)


@case("2.unsolicited-pong-is-ignored", "5.5.3: an unsolicited pong needs no answer")
def _(client: RawClient) -> None:
    client.send_frame(OP_PONG, b"unsolicited")
    client.send_frame(OP_PING, b"after")
    client.expect_pong(b"after")


@case("2.empty-unsolicited-pong-is-ignored", "5.5.3: an unsolicited pong needs no answer")
def _(client: RawClient) -> None:
    client.send_frame(OP_PONG)
    client.send_frame(OP_TEXT, b"then")
    client.expect_message(OP_TEXT, b"then")


@case("2.ten-pings-ten-pongs", "5.5.3: each ping gets its pong (a pong may answer only the latest: echo here)")
def _(client: RawClient) -> None:
    for i in range(10):
        client.send_frame(OP_PING, b"ping %d" % i)
    for i in range(10):
        client.expect_pong(b"ping %d" % i)


@case("2.ten-pings-in-1-byte-writes", "5.5.3: each ping gets its pong")
def _(client: RawClient) -> None:
    data = b"".join(RawClient.frame(OP_PING, b"p%d" % i) for i in range(10))
    client.send_bytes(data, chunk=1)
    for i in range(10):
        client.expect_pong(b"p%d" % i)


# -- 3: reserved bits: no extension negotiated, any RSV bit fails the connection -------------

_OPCODE_NAMES = {OP_TEXT: "text", OP_BINARY: "binary", OP_PING: "ping", OP_CLOSE: "close"}
for _rsv in range(1, 8):
    for _op, _name in _OPCODE_NAMES.items():

        def _reserved(client: RawClient, rsv: int = _rsv, opcode: int = _op) -> None:
            client.send_frame(OP_TEXT, b"before")
            client.expect_message(OP_TEXT, b"before")
            client.send_frame(opcode, b"\x03\xe8" if opcode == OP_CLOSE else b"data", rsv=rsv)
            client.expect_close(1002)

        case(f"3.rsv-{_rsv}-on-{_name}-fails-1002", "5.2: RSV bits must be 0 unless an extension defines them")(
            _reserved
        )


# -- 4: opcodes: reserved ones fail the connection ---------------------------------------------

for _reserved_op in (3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF):
    for _variant in ("empty", "with-payload", "after-a-message"):

        def _opcode_case(client: RawClient, opcode: int = _reserved_op, variant: str = _variant) -> None:
            if variant == "after-a-message":
                client.send_frame(OP_TEXT, b"first")
                client.expect_message(OP_TEXT, b"first")
            client.send_frame(opcode, b"" if variant == "empty" else b"payload")
            client.send_frame(OP_PING, b"never answered")
            client.expect_close(1002)

        case(f"4.opcode-{_reserved_op:#x}-{_variant}-fails-1002", "5.2: a reserved opcode fails the connection")(
            _opcode_case
        )


# -- 5: fragmentation ----------------------------------------------------------------------


@case("5.fragmented-ping-fails-1002", "5.5: control frames must not be fragmented")
def _(client: RawClient) -> None:
    client.send_frame(OP_PING, b"frag", fin=False)
    client.send_frame(OP_CONT, b"ment")
    client.expect_close(1002)


@case("5.fragmented-pong-fails-1002", "5.5: control frames must not be fragmented")
def _(client: RawClient) -> None:
    client.send_frame(OP_PONG, b"frag", fin=False)
    client.send_frame(OP_CONT, b"ment")
    client.expect_close(1002)


for _fragments in (2, 3, 10):
    for _op5, _name5 in ((OP_TEXT, "text"), (OP_BINARY, "binary")):
        for _chunk5 in (None, 1):

            def _fragmented(
                client: RawClient, n: int = _fragments, opcode: int = _op5, chunk: int | None = _chunk5
            ) -> None:
                pieces = [b"piece%d-" % i for i in range(n)]
                for i, piece in enumerate(pieces):
                    client.send_frame(opcode if i == 0 else OP_CONT, piece, fin=i == n - 1, chunk=chunk)
                client.expect_message(opcode, b"".join(pieces))

            how5 = "" if _chunk5 is None else "-in-1-byte-writes"
            case(f"5.{_name5}-in-{_fragments}-fragments{how5}", "5.4: a fragmented message is delivered whole")(
                _fragmented
            )


for _chunk6 in (None, 1):

    def _ping_between(client: RawClient, chunk: int | None = _chunk6) -> None:
        client.send_frame(OP_TEXT, b"frag", fin=False, chunk=chunk)
        client.send_frame(OP_PING, b"between", chunk=chunk)
        client.send_frame(OP_CONT, b"ment", chunk=chunk)
        client.expect_pong(b"between")
        client.expect_message(OP_TEXT, b"fragment")

    case(
        f"5.ping-between-fragments{'' if _chunk6 is None else '-in-1-byte-writes'}",
        "5.4: control frames may be injected in the middle of a fragmented message",
    )(_ping_between)


@case("5.pong-between-fragments-is-ignored", "5.4/5.5.3: an unsolicited pong between fragments")
def _(client: RawClient) -> None:
    client.send_frame(OP_BINARY, b"frag", fin=False)
    client.send_frame(OP_PONG, b"unsolicited")
    client.send_frame(OP_CONT, b"ment")
    client.expect_message(OP_BINARY, b"fragment")


for _fin in (True, False):
    for _first in ("at-start", "after-a-message"):

        def _orphan(client: RawClient, fin: bool = _fin, first: str = _first) -> None:
            if first == "after-a-message":
                client.send_frame(OP_TEXT, b"ok")
                client.expect_message(OP_TEXT, b"ok")
            client.send_frame(OP_CONT, b"orphan", fin=fin)
            client.expect_close(1002)

        case(
            f"5.continuation-fin-{int(_fin)}-{_first}-fails-1002",
            "5.4: a continuation frame with no message to continue",
        )(_orphan)


for _new_op, _new_name in ((OP_TEXT, "text"), (OP_BINARY, "binary")):
    for _new_fin in (True, False):

        def _interleaved(client: RawClient, opcode: int = _new_op, fin: bool = _new_fin) -> None:
            client.send_frame(OP_TEXT, b"first", fin=False)
            client.send_frame(opcode, b"second", fin=fin)
            client.expect_close(1002)

        case(
            f"5.new-{_new_name}-fin-{int(_new_fin)}-inside-a-fragmented-message-fails-1002",
            "5.4: fragments of one message must not be interleaved with another",
        )(_interleaved)


@case("5.close-between-fragments-is-answered", "5.4/5.5.1: a close may come between fragments")
def _(client: RawClient) -> None:
    client.send_frame(OP_TEXT, b"frag", fin=False)
    client.send_close(1000)
    client.expect_close(1000, 1002)


# -- 6: UTF-8 -------------------------------------------------------------------------------

_VALID = {
    "ascii": "Hello-µ@ßöäüàá-UTF-8!!",
    "greek": "κόσμε",
    "2-byte-boundaries": "\u0080\u07ff",
    "3-byte-boundaries": "\u0800\uffff\ud7ff\ue000\ufffd",
    "4-byte-boundaries": "\U00010000\U0010ffff",
    "emoji": "😀👍🏽🇫🇷",
    "cjk": "中文字符テスト한국어",
    "empty": "",
    "noncharacters": "\ufdd0\ufffe\U0001fffe",
    "nul": "\x00a\x00",
    "mixed": "a\u00e9\u4e2d\U0001f600z" * 20,
    "bom": "\ufeffbom",
}
for _name6, _text in _VALID.items():
    for _mode in ("one-frame", "byte-per-fragment", "byte-per-write"):

        def _valid(client: RawClient, text: str = _text, mode: str = _mode) -> None:
            data = text.encode("utf-8")
            if mode == "one-frame":
                client.send_frame(OP_TEXT, data)
            elif mode == "byte-per-write":
                client.send_frame(OP_TEXT, data, chunk=1)
            else:
                pieces = [data[i : i + 1] for i in range(len(data))] or [b""]
                for i, piece in enumerate(pieces):
                    client.send_frame(OP_TEXT if i == 0 else OP_CONT, piece, fin=i == len(pieces) - 1)
            client.expect_message(OP_TEXT, data)

        case(
            f"6.valid-{_name6}-{_mode}-echoed",
            "8.1: valid UTF-8 is accepted, however it is split across fragments (even inside a character)",
        )(_valid)

_INVALID = {
    "lone-continuation": b"\x80",
    "truncated-2-byte": b"\xc3",
    "truncated-4-byte": b"\xf0\x9f\x98",
    "overlong-slash": b"\xc0\xaf",
    "overlong-nul": b"\xc0\x80",
    "overlong-3-byte": b"\xe0\x80\xaf",
    "surrogate-high": b"\xed\xa0\x80",
    "surrogate-low": b"\xed\xbf\xbf",
    "above-10ffff": b"\xf4\x90\x80\x80",
    "fe-byte": b"\xfe",
    "ff-byte": b"\xff",
    "5-byte-form": b"\xf8\x88\x80\x80\x80",
}
for _name7, _bad in _INVALID.items():
    for _mode7 in ("one-frame", "fragmented"):

        def _invalid(client: RawClient, bad: bytes = _bad, mode: str = _mode7) -> None:
            data = b"valid " + bad + b" tail"
            if mode == "one-frame":
                client.send_frame(OP_TEXT, data)
            else:
                client.send_frame(OP_TEXT, data[:3], fin=False)
                client.send_frame(OP_CONT, data[3:], fin=False)
                client.send_frame(OP_CONT, b"end")
            client.expect_close(1007)

        case(f"6.invalid-{_name7}-{_mode7}-fails-1007", "8.1: invalid UTF-8 in a text message fails with 1007")(
            _invalid
        )


for _name8, _bad8 in (("fe-byte", b"\xfe"), ("surrogate", b"\xed\xa0\x80"), ("overlong", b"\xc0\xaf")):

    def _fail_fast(client: RawClient, bad: bytes = _bad8) -> None:
        client.send_frame(OP_TEXT, b"ok " + bad, fin=False)
        client.expect_close(1007, timeout=3.0)  # the message never ends: only a fail-fast server closes

    case(
        f"6.fail-fast-{_name8}-in-first-fragment",
        "8.1: invalid UTF-8 fails the connection as soon as it arrives, not at the end of the message",
        reference_differs="websockets checks UTF-8 when the message is complete (Autobahn's NON-STRICT)",
    )(_fail_fast)


# -- 7: closing ------------------------------------------------------------------------------


@case("7.close-after-a-message", "5.5.1/7.1.2: a close is answered with a close, then the TCP end")
def _(client: RawClient) -> None:
    client.send_frame(OP_TEXT, b"hello")
    client.expect_message(OP_TEXT, b"hello")
    _closes_normally(client)


@case("7.nothing-is-answered-after-close", "5.5.1: after its close frame, the endpoint sends no more data")
def _(client: RawClient) -> None:
    client.send_close(1000)
    client.send_frame(OP_PING, b"after close")
    client.send_frame(OP_TEXT, b"after close")
    client.expect_close(1000)


@case("7.second-close-is-ignored", "5.5.1: one close frame each way")
def _(client: RawClient) -> None:
    client.send_close(1000)
    client.send_close(1001)
    client.expect_close(1000)


@case("7.close-without-payload", "7.1.5/5.5.1: a close with no code is answered (with none or 1000)")
def _(client: RawClient) -> None:
    client.send_close(None)
    client.expect_close(None, 1000)


@case("7.close-with-1-byte-payload-fails-1002", "5.5.1: a close payload starts with a 2-byte code")
def _(client: RawClient) -> None:
    client.send_frame(OP_CLOSE, b"\x03")
    client.expect_close(1002)


@case("7.close-with-reason", "5.5.1: a close reason is UTF-8 after the code")
def _(client: RawClient) -> None:
    client.send_close(1000, "bye ✓".encode())
    client.expect_close(1000)


@case("7.close-with-123-byte-reason", "5.5: a close payload of 125 bytes is the largest allowed")
def _(client: RawClient) -> None:
    client.send_close(1000, b"r" * 123)
    client.expect_close(1000)


@case("7.close-with-124-byte-reason-fails-1002", "5.5: a close payload over 125 bytes")
def _(client: RawClient) -> None:
    client.send_close(1000, b"r" * 124)
    client.expect_close(1002)


@case("7.close-reason-invalid-utf8-fails", "5.5.1/8.1: an invalid UTF-8 close reason (1007; 1002 also seen)")
def _(client: RawClient) -> None:
    client.send_close(1000, b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80")
    client.expect_close(1007, 1002)


for _code in (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999):

    def _valid_code(client: RawClient, code: int = _code) -> None:
        client.send_close(code)
        client.expect_close(1000, code)

    case(f"7.close-code-{_code}-is-answered", "7.4: a valid close code is answered with a close")(_valid_code)

for _bad_code in (0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535):

    def _invalid_code(client: RawClient, code: int = _bad_code) -> None:
        client.send_close(code)
        client.expect_close(1002)

    case(f"7.close-code-{_bad_code}-fails-1002", "7.4.1/7.4.2: a reserved or unassigned close code")(_invalid_code)


@case("7.unmasked-client-frame-fails-1002", "5.1: a server must close on an unmasked client frame")
def _(client: RawClient) -> None:
    client.send_bytes(RawClient.frame(OP_TEXT, b"unmasked", mask=False))
    client.expect_close(1002)


@case("7.tcp-end-without-close-is-survived", "7.1.5: a connection that ends without a close (1006)")
def _(client: RawClient) -> None:
    client.send_frame(OP_TEXT, b"x")
    client.expect_message(OP_TEXT, b"x")
    # Our end of the TCP connection, no close frame (under TLS, no close_notify either).
    socket.socket.shutdown(client.sock, socket.SHUT_WR)
    end: object
    try:
        end = client.recv_frame()
    except ssl.SSLError as exc:
        end = exc
    if isinstance(end, ssl.SSLError):
        # OpenSSL 3 answers a TCP end with no close_notify with a fatal alert before its own end.
        assert isinstance(client.sock, ssl.SSLSocket) and "ALERT" in str(end), end
    else:
        assert end is None  # the server ends its side too, without a frame


# -- 9: limits and performance-lite ------------------------------------------------------------

for _size9 in (65536, 256 * 1024, MAX_MESSAGE):
    for _op9, _name9 in ((OP_TEXT, "text"), (OP_BINARY, "binary")):

        def _big(client: RawClient, size: int = _size9, opcode: int = _op9) -> None:
            payload = b"a" * size if opcode == OP_TEXT else os.urandom(size)
            client.send_frame(opcode, payload)
            client.expect_message(opcode, payload)

        case(f"9.{_name9}-{_size9}-bytes-echoed", "9.x: large messages up to the configured limit")(_big)

for _frag_size in (4096, 65536):

    def _big_fragmented(client: RawClient, frag: int = _frag_size) -> None:
        payload = os.urandom(MAX_MESSAGE)
        pieces = [payload[i : i + frag] for i in range(0, len(payload), frag)]
        data = b"".join(
            RawClient.frame(OP_BINARY if i == 0 else OP_CONT, p, fin=i == len(pieces) - 1) for i, p in enumerate(pieces)
        )
        client.send_bytes(data)
        client.expect_message(OP_BINARY, payload)

    case(f"9.binary-1MiB-in-{_frag_size}-byte-fragments", "9.x: a large message in many fragments")(_big_fragmented)


@case("9.one-byte-over-the-limit-fails-1009", "7.4.1: 1009 for a message too big to process")
def _(client: RawClient) -> None:
    client.send_frame(OP_BINARY, b"x" * (MAX_MESSAGE + 1))
    client.expect_close(1009)


@case("9.fragments-over-the-limit-fail-1009", "7.4.1: the limit applies to the whole message")
def _(client: RawClient) -> None:
    half = b"x" * (MAX_MESSAGE // 2 + 1)
    client.send_frame(OP_BINARY, half, fin=False)
    client.send_frame(OP_CONT, half)
    client.expect_close(1009)


@case("9.hundred-small-messages-in-order", "5.4: messages are delivered in order")
def _(client: RawClient) -> None:
    client.send_bytes(b"".join(RawClient.frame(OP_TEXT, b"m%d" % i) for i in range(100)))
    for i in range(100):
        client.expect_message(OP_TEXT, b"m%d" % i)


# -- 10: fragmentation of one message at many sizes -----------------------------------------------

for _frag10 in (1, 64, 1000, 4096):

    def _auto(client: RawClient, frag: int = _frag10) -> None:
        payload = ("ä" * 4096).encode()
        pieces = [payload[i : i + frag] for i in range(0, len(payload), frag)]
        data = b"".join(
            RawClient.frame(OP_TEXT if i == 0 else OP_CONT, p, fin=i == len(pieces) - 1) for i, p in enumerate(pieces)
        )
        client.send_bytes(data)
        client.expect_message(OP_TEXT, payload)

    case(
        f"10.8KiB-text-in-{_frag10}-byte-fragments",
        "5.4: any fragmentation is reassembled",
        reference_differs="websockets caps fragments per message (1009 'too many fragments')" if _frag10 == 1 else None,
    )(_auto)


# -- 12/13: permessage-deflate (RFC 7692) ----------------------------------------------------------

_DEFLATE = "permessage-deflate"


@case("12.deflate-is-negotiated-when-offered", "RFC 7692 5: the server accepts an offer it supports", _DEFLATE)
def _(client: RawClient) -> None:
    assert client.headers.get("sec-websocket-extensions", "").startswith("permessage-deflate")


for _offer in (
    "permessage-deflate; client_max_window_bits",
    "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
    "permessage-deflate; server_max_window_bits=10",
    "x-unknown-extension, permessage-deflate",
):

    def _negotiated(client: RawClient, offer: str = _offer) -> None:
        answer = client.headers.get("sec-websocket-extensions", "")
        assert answer.startswith("permessage-deflate"), answer
        if "server_no_context_takeover" in offer:
            assert "server_no_context_takeover" in answer
        if "server_max_window_bits=10" in offer:
            assert "server_max_window_bits=10" in answer
        assert "x-unknown" not in answer
        text = b"compress me " * 100
        compressor = zlib.compressobj(wbits=-15)
        for _ in range(3):  # with context takeover on our side, the same compressor goes on
            if "client_no_context_takeover" in offer:
                compressor = zlib.compressobj(wbits=-15)
            client.send_frame(OP_TEXT, deflate(text, compressor), rsv=4)
            client.expect_message(OP_TEXT, text)

    case(f"12.negotiated-{_offer.replace(' ', '').replace(';', '+')}", "RFC 7692 7: parameters honoured", _offer)(
        _negotiated
    )


@case("12.uncompressed-message-on-a-deflate-connection", "RFC 7692 6: RSV1 clear: not compressed", _DEFLATE)
def _(client: RawClient) -> None:
    client.send_frame(OP_BINARY, b"plain")
    client.expect_message(OP_BINARY, b"plain")


@case("12.fragmented-compressed-message", "RFC 7692 6.1: RSV1 on the first frame only", _DEFLATE)
def _(client: RawClient) -> None:
    text = "fragmented ✓ ".encode() * 50
    data = deflate(text)
    client.send_frame(OP_TEXT, data[:10], fin=False, rsv=4)
    client.send_frame(OP_CONT, data[10:])
    client.expect_message(OP_TEXT, text)


@case("12.rsv1-on-a-continuation-fails-1002", "RFC 7692 6.1: RSV1 set on a continuation frame", _DEFLATE)
def _(client: RawClient) -> None:
    data = deflate(b"x" * 100)
    client.send_frame(OP_TEXT, data[:4], fin=False, rsv=4)
    client.send_frame(OP_CONT, data[4:], rsv=4)
    client.expect_close(1002)


@case("12.rsv1-on-a-ping-fails-1002", "RFC 7692 6: RSV1 is for data frames only", _DEFLATE)
def _(client: RawClient) -> None:
    client.send_frame(OP_PING, b"x", rsv=4)
    client.expect_close(1002)


@case("12.garbage-compressed-data-fails-1002", "RFC 7692 6.2: data that does not inflate", _DEFLATE)
def _(client: RawClient) -> None:
    client.send_frame(OP_BINARY, b"\xff\xff\xff\xff not deflate", rsv=4)
    client.expect_close(1002, 1007)


@case("12.invalid-utf8-inside-compressed-text-fails-1007", "8.1 after RFC 7692 inflation", _DEFLATE)
def _(client: RawClient) -> None:
    client.send_frame(OP_TEXT, deflate(b"bad \xff bytes"), rsv=4)
    client.expect_close(1007)


@case("13.deflate-bomb-fails-1009", "RFC 7692 8.1 / 7.4.1: the size limit applies once inflated", _DEFLATE)
def _(client: RawClient) -> None:
    bomb = deflate(b"\x00" * (32 * MAX_MESSAGE))  # ~32 KiB on the wire, 32 MiB inflated
    assert len(bomb) < 64 * 1024
    client.send_frame(OP_BINARY, bomb, rsv=4)
    client.expect_close(1009)


@case("13.compressed-message-at-the-limit-is-echoed", "RFC 7692: up to the limit once inflated", _DEFLATE)
def _(client: RawClient) -> None:
    payload = b"z" * MAX_MESSAGE
    client.send_frame(OP_BINARY, deflate(payload), rsv=4)
    client.expect_message(OP_BINARY, payload)


@case("13.server-no-context-takeover-each-message-alone", "RFC 7692 7.1.1.1", _DEFLATE + "; server_no_context_takeover")
def _(client: RawClient) -> None:
    for i in range(3):
        text = b"same text each time %d" % (i % 1)
        client.send_frame(OP_TEXT, text)
        frame = client.recv_frame()
        assert frame is not None and frame.rsv == 4
        # Each message inflates alone, with a fresh decompressor: no shared window.
        inflated = zlib.decompressobj(wbits=-15).decompress(frame.payload + b"\x00\x00\xff\xff")
        assert inflated == text


assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"
