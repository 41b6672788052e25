"""The opening handshake (harness.ws.handshake)."""

from __future__ import annotations

import pytest

from harness.http.parser import parse_head
from harness.http.request import Request
from harness.ws.handshake import (
    HandshakeRefused,
    accept_value,
    check_upgrade,
    negotiate_extensions,
    offered_subprotocols,
    switching_protocols,
)

KEY = b"dGhlIHNhbXBsZSBub25jZQ=="


def head(*lines: bytes, method: bytes = b"GET") -> Request:
    """The handshake request as the transport hands it over (parsed head, no body)."""
    base = [method + b" /chat HTTP/1.1", b"Host: localhost"]
    parsed = parse_head(b"\r\n".join([*base, *lines]) + b"\r\n\r\n")
    return Request(parsed.method, parsed.target, parsed.version, parsed.headers, b"", scheme="ws")


GOOD = (
    b"Upgrade: websocket",
    b"Connection: keep-alive, Upgrade",
    b"Sec-WebSocket-Version: 13",
    b"Sec-WebSocket-Key: " + KEY,
)


def test_the_rfc_example() -> None:
    assert check_upgrade(head(*GOOD)) == KEY.decode()
    assert accept_value(KEY.decode()) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    response = switching_protocols(KEY.decode(), "chat", b"test")
    assert response.startswith(b"HTTP/1.1 101 Switching Protocols\r\n")
    assert b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" in response
    assert b"Sec-WebSocket-Protocol: chat\r\n" in response


@pytest.mark.parametrize(
    ("lines", "method", "status", "message"),
    [
        (GOOD, b"POST", 405, "is a GET request"),
        (GOOD[1:], b"GET", 426, "connect with a WebSocket client"),
        ((GOOD[0], b"Connection: keep-alive", *GOOD[2:]), b"GET", 426, "connect with a WebSocket client"),
        ((*GOOD[:2], b"Sec-WebSocket-Version: 8", GOOD[3]), b"GET", 426, "speaks 13"),
        ((*GOOD[:2], GOOD[3]), b"GET", 426, "speaks 13"),
        (GOOD[:3], b"GET", 400, "exactly one Sec-WebSocket-Key"),
        ((*GOOD, b"Sec-WebSocket-Key: " + KEY), b"GET", 400, "exactly one Sec-WebSocket-Key"),
        ((*GOOD[:3], b"Sec-WebSocket-Key: c2hvcnQ="), b"GET", 400, "expected 16 bytes"),
        ((*GOOD[:3], b"Sec-WebSocket-Key: !!!"), b"GET", 400, "expected 16 bytes"),
    ],
)
def test_refusals(lines: tuple[bytes, ...], method: bytes, status: int, message: str) -> None:
    with pytest.raises(HandshakeRefused, match=message) as refused:
        check_upgrade(head(*lines, method=method))
    assert refused.value.status == status
    if status == 426 and "13" in message:
        assert ("Sec-WebSocket-Version", "13") in refused.value.headers


def test_offered_subprotocols_keep_the_clients_order() -> None:
    offered = head(*GOOD, b"Sec-WebSocket-Protocol: chat, superchat", b"Sec-WebSocket-Protocol: v2")
    assert offered_subprotocols(offered) == ["chat", "superchat", "v2"]


@pytest.mark.parametrize(
    ("offer", "answer"),
    [
        (b"permessage-deflate", "permessage-deflate; server_max_window_bits=12"),
        (
            b"permessage-deflate; client_max_window_bits",
            "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12",
        ),
        (
            b"permessage-deflate; server_no_context_takeover",
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=12",
        ),
        (b"permessage-deflate; server_max_window_bits=10", "permessage-deflate; server_max_window_bits=10"),
        # an offer the server cannot honour (8-bit windows) is skipped for the next one
        (
            b"permessage-deflate; server_max_window_bits=8, permessage-deflate",
            "permessage-deflate; server_max_window_bits=12",
        ),
        (b"x-webkit-deflate-frame", None),
    ],
)
def test_permessage_deflate_is_negotiated_from_the_clients_offer(offer: bytes, answer: str | None) -> None:
    header, extensions = negotiate_extensions(head(*GOOD, b"Sec-WebSocket-Extensions: " + offer), True)
    assert header == answer
    assert len(extensions) == (answer is not None)


def test_with_compression_off_nothing_is_negotiated() -> None:
    assert negotiate_extensions(head(*GOOD, b"Sec-WebSocket-Extensions: permessage-deflate"), False) == (None, [])


def test_a_malformed_extensions_header_is_refused_with_400() -> None:
    with pytest.raises(HandshakeRefused) as refused:
        negotiate_extensions(head(*GOOD, b"Sec-WebSocket-Extensions: permessage-deflate; ="), True)
    assert refused.value.status == 400
    assert "Sec-WebSocket-Extensions" in refused.value.message


def test_the_101_names_the_negotiated_extension() -> None:
    response = switching_protocols(KEY.decode(), None, extensions="permessage-deflate")
    assert b"\r\nSec-WebSocket-Extensions: permessage-deflate\r\n" in response
