"""Our pywebsocket API without sockets: frame builders, the stream over an in-memory connection."""

from __future__ import annotations

import struct
import sys

import pytest

from harness.wpt.pywebsocket import common, install_modules, msgutil, stream
from harness.wpt.pywebsocket.handshake import AbortedByUserException, HandshakeException, hybi
from harness.wpt.pywebsocket.stream import (
    BadOperationException,
    ConnectionTerminatedException,
    InvalidFrameException,
    InvalidUTF8Exception,
    Stream,
    UnsupportedFrameException,
)


def client_frame(opcode: int, payload: bytes, fin: bool = True, rsv: int = 0) -> bytes:
    """A masked frame, as a client sends it (a fixed key keeps test ids stable across xdist workers)."""
    key = b"\x37\xfa\x21\x3d"
    header = bytes(((0x80 if fin else 0) | (rsv << 4) | opcode,))
    size = len(payload)
    if size < 126:
        header += bytes((0x80 | size,))
    elif size < 1 << 16:
        header += bytes((0x80 | 126,)) + struct.pack("!H", size)
    else:
        header += bytes((0x80 | 127,)) + struct.pack("!Q", size)
    return header + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


class MemoryConnection:
    def __init__(self, incoming: bytes) -> None:
        self.incoming = bytearray(incoming)
        self.written = bytearray()

    def read(self, length: int) -> bytes:
        data = bytes(self.incoming[:length])
        del self.incoming[:length]
        return data

    def write(self, data: bytes) -> None:
        self.written += data


class FakeRequest:
    def __init__(self, incoming: bytes) -> None:
        self.connection = MemoryConnection(incoming)
        self.ws_close_code = None
        self.ws_close_reason = None


def make_stream(incoming: bytes, passive=None, limit=None) -> tuple[Stream, FakeRequest]:
    request = FakeRequest(incoming)
    return Stream(request, passive, limit), request


def test_frame_builders() -> None:
    assert stream.create_text_frame("hé") == b"\x81\x03h\xc3\xa9"
    assert stream.create_binary_frame(b"\x00" * 200)[:4] == b"\x82\x7e\x00\xc8"
    assert stream.create_binary_frame(b"x" * 70000)[:2] == b"\x82\x7f"
    assert stream.create_text_frame("a", fin=0) == b"\x01\x01a"
    assert stream.create_close_frame(stream.create_closing_handshake_body(None, "")) == b"\x88\x00"
    assert stream.create_ping_frame(b"p") == b"\x89\x01p"
    assert stream.create_header(common.OPCODE_TEXT, 1, 1, 1, 0, 0, False) == b"\xc1\x01"


@pytest.mark.parametrize("code", [999, 5000, 1005, 1006, 1015])
def test_close_bodies_refuse_codes_never_sent(code: int) -> None:
    with pytest.raises(BadOperationException):
        stream.create_closing_handshake_body(code, "")


def test_control_frames_over_125_bytes_are_refused() -> None:
    with pytest.raises(BadOperationException):
        stream.create_ping_frame(b"x" * 126)
    with pytest.raises(ValueError, match="opcode"):
        stream.create_header(0x10, 0, 1, 0, 0, 0, False)


def test_receive_text_binary_fragments_and_a_ping_between_them() -> None:
    incoming = (
        client_frame(common.OPCODE_TEXT, "é".encode())
        + client_frame(common.OPCODE_BINARY, b"\x00\xff")
        + client_frame(common.OPCODE_TEXT, b"ab", fin=False)
        + client_frame(common.OPCODE_PING, b"hi")
        + client_frame(common.OPCODE_CONTINUATION, b"cd")
    )
    ws, request = make_stream(incoming)
    assert ws.receive_message() == "é"
    assert ws.receive_message() == b"\x00\xff"
    assert ws.receive_message() == "abcd"
    assert ws.get_last_received_opcode() == common.OPCODE_TEXT
    assert bytes(request.connection.written) == b"\x8a\x02hi"  # the pong


def test_client_close_runs_the_passive_handler_and_returns_none() -> None:
    seen = []

    def passive(request):
        seen.append((request.ws_close_code, request.ws_close_reason))
        return 4000, "mine"

    ws, request = make_stream(client_frame(common.OPCODE_CLOSE, struct.pack("!H", 1001) + b"gone"), passive)
    assert ws.receive_message() is None
    assert seen == [(1001, "gone")]
    assert request.client_terminated and request.server_terminated
    assert bytes(request.connection.written) == b"\x88\x06\x0f\xa0mine"
    with pytest.raises(BadOperationException):
        ws.receive_message()
    with pytest.raises(BadOperationException):
        ws.send_message("late")


def test_empty_close_sets_1005_and_a_none_code_replies_empty() -> None:
    ws, request = make_stream(client_frame(common.OPCODE_CLOSE, b""), lambda request: (None, "dropped"))
    assert ws.receive_message() is None
    assert request.ws_close_code == 1005 and request.ws_close_reason is None
    assert bytes(request.connection.written) == b"\x88\x00"


@pytest.mark.parametrize(
    ("incoming", "error"),
    [
        (b"\x81\x02hi", InvalidFrameException),  # unmasked
        (client_frame(common.OPCODE_TEXT, b"\xff"), InvalidUTF8Exception),
        (client_frame(common.OPCODE_TEXT, b"x", rsv=4), UnsupportedFrameException),
        (client_frame(0x3, b"x"), UnsupportedFrameException),
        (client_frame(0xB, b"x"), UnsupportedFrameException),
        (client_frame(common.OPCODE_CONTINUATION, b"x"), InvalidFrameException),
        (client_frame(common.OPCODE_PING, b"x", fin=False), InvalidFrameException),
        (client_frame(common.OPCODE_CLOSE, b"\x03"), InvalidFrameException),
        (
            client_frame(common.OPCODE_TEXT, b"a", fin=False) + client_frame(common.OPCODE_TEXT, b"b"),
            InvalidFrameException,
        ),
        (b"\x81\xff" + b"\x80" + b"\x00" * 7, InvalidFrameException),  # length >= 2^63
        (b"\x81", ConnectionTerminatedException),  # the client went away mid-frame
        (client_frame(common.OPCODE_BINARY, b"x" * 11), InvalidFrameException),  # over the limit of 10
    ],
)
def test_bad_input_raises_pywebsockets_exceptions(incoming: bytes, error: type[Exception]) -> None:
    ws, _request = make_stream(incoming, limit=10)
    with pytest.raises(error):
        ws.receive_message()


def test_send_message_pieces_and_types() -> None:
    ws, request = make_stream(b"")
    ws.send_message("a", end=False)
    ws.send_message(b"\xff", end=True)  # bytes in a text message go out as given
    assert bytes(request.connection.written) == b"\x01\x01a\x80\x01\xff"
    with pytest.raises(BadOperationException):
        ws.send_message("text", binary=True)
    ws.send_message(b"x", end=False, binary=True)
    with pytest.raises(BadOperationException):
        ws.send_message("y")


def test_close_connection_waits_for_the_reply_and_checks_it() -> None:
    ws, request = make_stream(client_frame(common.OPCODE_CLOSE, struct.pack("!H", 1000)))
    ws.close_connection(3000, "bye")
    assert bytes(request.connection.written) == b"\x88\x05\x0b\xb8bye"
    assert request.ws_close_code == 1000
    ws.close_connection()  # a second close does nothing
    other, _ = make_stream(client_frame(common.OPCODE_TEXT, b"not a close"))
    with pytest.raises(ConnectionTerminatedException):
        other.close_connection()
    with pytest.raises(BadOperationException):
        make_stream(b"")[0].close_connection(None, "reason without a code")


def test_pings_and_pongs() -> None:
    pongs = []
    ws, request = make_stream(client_frame(common.OPCODE_PONG, b"2") + client_frame(common.OPCODE_TEXT, b"x"))
    request.on_pong_handler = lambda req, payload: pongs.append(payload)
    msgutil.send_ping(request_with_stream(request, ws), "1")
    ws.send_ping(b"2")
    assert ws.receive_message() == "x"
    assert pongs == [b"2"]
    assert not ws._ping_queue  # the pong for 2 also settles 1


def request_with_stream(request: FakeRequest, ws: Stream) -> FakeRequest:
    request.ws_stream = ws  # type: ignore[attr-defined]
    return request


def test_handshake_helpers_and_exceptions() -> None:
    assert hybi.compute_accept(b"dGhlIHNhbXBsZSBub25jZQ==") == b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    assert HandshakeException("no", 404).status == 404
    assert issubclass(AbortedByUserException, Exception)
    assert issubclass(InvalidFrameException, ConnectionTerminatedException)


def test_install_modules_registers_both_names() -> None:
    saved = {name: sys.modules.get(name) for name in ("pywebsocket3", "mod_pywebsocket", "mod_pywebsocket.stream")}
    try:
        install_modules()
        import mod_pywebsocket
        import pywebsocket3
        from mod_pywebsocket.handshake import hybi as aliased

        assert pywebsocket3 is mod_pywebsocket
        assert sys.modules["mod_pywebsocket.stream"] is stream
        assert aliased is hybi
    finally:
        for name in [n for n in sys.modules if n.split(".")[0] in ("pywebsocket3", "mod_pywebsocket")]:
            del sys.modules[name]
        for name, module in saved.items():
            if module is not None:
                sys.modules[name] = module


def test_parse_and_format_extensions() -> None:
    offers = common.parse_extensions('permessage-deflate; client_max_window_bits; server_max_window_bits="10", x')
    assert [offer.name() for offer in offers] == ["permessage-deflate", "x"]
    assert offers[0].get_parameters() == [("client_max_window_bits", None), ("server_max_window_bits", "10")]
    assert (
        common.format_extensions(offers) == "permessage-deflate; client_max_window_bits; server_max_window_bits=10, x"
    )
    for bad in ("", ";", "a b", 'p; q="', "p; =1"):
        with pytest.raises(common.ExtensionParsingException):
            common.parse_extensions(bad)


@pytest.mark.parametrize(
    ("offer", "response"),
    [
        ("permessage-deflate; client_max_window_bits", "permessage-deflate"),
        ("permessage-deflate; server_max_window_bits=10", "permessage-deflate; server_max_window_bits=10"),
        ("permessage-deflate; server_no_context_takeover", "permessage-deflate; server_no_context_takeover"),
        ("permessage-deflate; server_max_window_bits=7", None),
        ("permessage-deflate; client_max_window_bits=10", None),
        ("permessage-deflate; client_no_context_takeover", None),
    ],
)
def test_deflate_negotiation(offer: str, response: str | None) -> None:
    from harness.wpt.pywebsocket.extensions import get_extension_processor

    processor = get_extension_processor(common.parse_extensions(offer)[0])
    assert processor is not None
    accepted = processor.get_extension_response()
    assert (accepted and common.format_extension(accepted)) == response
    assert processor.is_active() == (response is not None)


def test_deflated_messages_round_trip_and_respect_the_limit() -> None:
    import zlib

    from harness.wpt.pywebsocket.extensions import get_extension_processor

    processor = get_extension_processor(common.parse_extensions("permessage-deflate")[0])
    assert processor is not None and processor.get_extension_response() is not None
    for message in (b"hello hello hello", b"", b"\x00" * 5000):
        deflated = processor.compress(message, end=True)
        assert processor.decompress(deflated, None) == message
    with pytest.raises(OverflowError):
        processor.decompress(processor.compress(b"\x00" * 5000, end=True), 100)
    fresh = get_extension_processor(common.parse_extensions("permessage-deflate")[0])
    assert fresh is not None
    with pytest.raises(zlib.error):
        fresh.decompress(b"\xff\xff\xff", None)


def test_a_stream_with_deflate_inflates_rsv1_messages_and_deflates_what_it_sends() -> None:
    from harness.wpt.pywebsocket.extensions import get_extension_processor

    client = get_extension_processor(common.parse_extensions("permessage-deflate")[0])
    server = get_extension_processor(common.parse_extensions("permessage-deflate")[0])
    assert client is not None and server is not None
    client.get_extension_response(), server.get_extension_response()
    incoming = client_frame(common.OPCODE_TEXT, client.compress(("é" * 50).encode(), end=True), rsv=4)
    incoming += client_frame(common.OPCODE_PING, b"p", rsv=4)  # RSV1 on a control frame stays an error
    request = FakeRequest(incoming)
    ws = Stream(request, deflate=server)
    assert ws.receive_message() == "é" * 50
    with pytest.raises(UnsupportedFrameException):
        ws.receive_message()
    ws.send_message("zzzzzzzzzzzzzzzzzzzz")
    written = bytes(request.connection.written)
    assert written[0] == 0xC1  # FIN + RSV1 + text
    assert client.decompress(written[2:], None) == b"z" * 20
