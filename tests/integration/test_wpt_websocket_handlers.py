"""pywebsocket-style ``_wsh.py`` handlers in a wpt-shaped tree, against a live harness over WS and WSS.

The harness runs in wpt mode with the host layout off, so ``/echo`` finds
``websockets/handlers/echo_wsh.py`` (the ``ws_doc_root``) and URLs stay on localhost.
"""

from __future__ import annotations

import json
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosedError, ConnectionClosedOK, InvalidMessage, InvalidStatus

from harness.run.launcher import HarnessProcess
from pytest_harness import Harness

WPT_ROOT = Path(__file__).resolve().parents[1] / "wpt_handlers"
MAX_MESSAGE = 4096


@pytest.fixture(scope="module")
def wpt_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    config = tmp_path_factory.mktemp("wpt-ws") / "config.json"
    config.write_text(json.dumps({"wpt": {"enabled": True, "hosts": False}, "ws": {"max_message_bytes": MAX_MESSAGE}}))
    process = HarnessProcess(config=config, doc_root=WPT_ROOT)
    try:
        yield Harness(process.start())
    finally:
        process.close()


@pytest.fixture(params=["ws", "wss"])
def scheme(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_ws_doc_root_defaults_to_websockets_handlers_in_wpt_mode(wpt_harness: Harness, scheme: str) -> None:
    assert wpt_harness.config.ws_doc_root == WPT_ROOT / "websockets" / "handlers"
    with wpt_harness.ws_connect("/echo", scheme) as ws:
        ws.send("hello")
        assert ws.recv(timeout=10) == "hello"
    # Paths are relative to the ws_doc_root now, not to the doc root.
    with pytest.raises(InvalidStatus) as refused:
        wpt_harness.ws_connect("/websockets/handlers/echo", scheme)
    assert refused.value.response.status_code == 404


def test_echo_keeps_message_types_and_picks_the_offered_subprotocol(wpt_harness: Harness, scheme: str) -> None:
    with wpt_harness.ws_connect("/echo", scheme, subprotocols=["chat", "echo"]) as ws:
        assert ws.subprotocol == "echo"
        ws.send("text ✓")
        assert ws.recv(timeout=10) == "text ✓"
        ws.send(b"\x00\xffbinary")
        assert ws.recv(timeout=10) == b"\x00\xffbinary"
        ws.send("Goodbye")
        assert ws.recv(timeout=10) == "Goodbye"
        with pytest.raises(ConnectionClosedOK):
            ws.recv(timeout=10)  # the handler returned: the server closes with 1000
        assert ws.close_code == 1000


def test_permessage_deflate_is_negotiated_as_pywebsocket_does(wpt_harness: Harness, scheme: str) -> None:
    big = "compressible " * 300  # under ws.max_message_bytes once inflated
    with wpt_harness.ws_connect("/echo", scheme) as ws:  # websockets offers permessage-deflate
        assert ws.response is not None
        assert ws.response.headers["Sec-WebSocket-Extensions"] == "permessage-deflate"
        ws.send(big)
        assert ws.recv(timeout=10) == big
        ws.send(b"\x00" * 1000)
        assert ws.recv(timeout=10) == b"\x00" * 1000
    with wpt_harness.ws_connect("/messages", scheme) as ws:  # pieces of one deflated message
        assert ws.recv(timeout=10) == "one two three"


def test_a_handler_can_turn_deflate_off(wpt_harness: Harness, scheme: str) -> None:
    with wpt_harness.ws_connect("/no_deflate", scheme) as ws:
        assert ws.response is not None
        assert "Sec-WebSocket-Extensions" not in ws.response.headers
        ws.send("plain")
        assert ws.recv(timeout=10) == "plain"


@pytest.mark.parametrize("offer", ['permessage-deflate; x="', ";", "permessage-deflate; a b"])
def test_a_malformed_extension_offer_is_a_400(wpt_harness: Harness, scheme: str, offer: str) -> None:
    with pytest.raises(InvalidStatus) as refused:
        wpt_harness.ws_connect(
            "/echo", scheme, compression=None, additional_headers={"Sec-WebSocket-Extensions": offer}
        )
    assert refused.value.response.status_code == 400
    assert b"sec-websocket-extensions" in refused.value.response.body


def test_passive_closing_handshake_echoes_the_client_close(wpt_harness: Harness, scheme: str) -> None:
    ws = wpt_harness.ws_connect("/echo", scheme)
    ws.close(3000, "client leaves")
    assert (ws.close_code, ws.close_reason) == (3000, "client leaves")


def test_passive_closing_handshake_chooses_its_own_reply(wpt_harness: Harness, scheme: str) -> None:
    ws = wpt_harness.ws_connect("/passive_close", scheme)
    ws.send("anything")
    ws.close(1000, "bye")
    assert (ws.close_code, ws.close_reason) == (4321, "got 1000/bye")


@pytest.mark.parametrize(("how", "status"), [("handshake", 403), ("error", 403)])
def test_extra_handshake_refuses_with_403(wpt_harness: Harness, scheme: str, how: str, status: int) -> None:
    with pytest.raises(InvalidStatus) as refused:
        wpt_harness.ws_connect(f"/refuse?how={how}", scheme)
    assert refused.value.response.status_code == status
    assert b"web_socket_do_extra_handshake raised" in refused.value.response.body


def test_aborted_by_user_drops_the_handshake_without_a_response(wpt_harness: Harness, scheme: str) -> None:
    with pytest.raises(InvalidMessage):
        wpt_harness.ws_connect("/refuse?how=abort", scheme)


def test_extra_handshake_that_accepts(wpt_harness: Harness, scheme: str) -> None:
    with wpt_harness.ws_connect("/refuse?how=no", scheme) as ws:
        assert ws.recv(timeout=10) == "accepted"


def test_subprotocol_choice(wpt_harness: Harness, scheme: str) -> None:
    with wpt_harness.ws_connect("/subprotocol?pick=b", scheme, subprotocols=["a", "b"]) as ws:
        assert ws.subprotocol == "b"
        assert ws.recv(timeout=10) == "['a', 'b'] 'b'"


@pytest.mark.parametrize(
    ("path", "offered", "message"),
    [
        ("/subprotocol?pick=none", ["a"], b"must choose one subprotocol"),
        ("/subprotocol?pick=unoffered", None, b"ws_protocol must be None"),
    ],
)
def test_subprotocol_mistakes_fail_the_handshake_with_400(
    wpt_harness: Harness, scheme: str, path: str, offered: list[str] | None, message: bytes
) -> None:
    with pytest.raises(InvalidStatus) as refused:
        wpt_harness.ws_connect(path, scheme, subprotocols=offered)
    assert refused.value.response.status_code == 400
    assert message in refused.value.response.body


def test_an_extra_header_that_would_split_the_101_is_a_500(wpt_harness: Harness, scheme: str) -> None:
    with pytest.raises(InvalidStatus) as refused:
        wpt_harness.ws_connect("/bad_extra_header", scheme)
    assert refused.value.response.status_code == 500
    assert b"contains CR, LF or NUL" in refused.value.response.body
    assert b"Injected" not in b"".join(f"{k}: {v}".encode() for k, v in refused.value.response.headers.raw_items())


@pytest.mark.parametrize("offer", ["a b", "", "a;b", "a, b/c"])
def test_a_malformed_subprotocol_offer_is_a_400(wpt_harness: Harness, scheme: str, offer: str) -> None:
    with pytest.raises(InvalidStatus) as refused:
        wpt_harness.ws_connect("/echo", scheme, additional_headers={"Sec-WebSocket-Protocol": offer})
    assert refused.value.response.status_code == 400
    assert b"invalid Sec-WebSocket-Protocol" in refused.value.response.body


def test_headers_in_and_handshake_attributes(wpt_harness: Harness, scheme: str) -> None:
    with wpt_harness.ws_connect(
        "/headers?a=1", scheme, additional_headers={"X-Test": "abc", "Origin": "https://example.test"}
    ) as ws:
        report = json.loads(ws.recv(timeout=10))
        assert ws.response is not None
        assert ws.response.headers["X-Handshake"] == "seen"
    port = wpt_harness.urls[scheme].rsplit(":", 1)[1]
    assert report == {
        "x_test": "abc",
        "x_test_upper": "abc",
        "host": f"localhost:{port}",
        "origin": "https://example.test",
        "resource": "/headers?a=1",
        "uri": "/headers?a=1",
        "unparsed_uri": "/headers?a=1",
        "requested_protocols": None,
        "version": 13,
        "https": scheme == "wss",
        "close_code": None,
        "query_a": "1",
    }


def test_fragments_ping_binary_and_a_server_close(wpt_harness: Harness, scheme: str) -> None:
    ws = wpt_harness.ws_connect("/messages", scheme)
    assert ws.recv(timeout=10) == "one two three"
    assert ws.recv(timeout=10) == b"\x00\x01"  # the ping before it was answered by the client
    ws.send("hello")
    assert ws.recv(timeout=10) == "you said 'hello'"
    with pytest.raises(ConnectionClosedError):
        ws.recv(timeout=10)
    assert (ws.close_code, ws.close_reason) == (3001, "done here")


@pytest.mark.parametrize(("kind", "code"), [("rsv", 1002), ("utf8", 1007)])
def test_handler_sends_an_invalid_frame_on_purpose(wpt_harness: Harness, scheme: str, kind: str, code: int) -> None:
    ws = wpt_harness.ws_connect(f"/raw_frame?kind={kind}", scheme)
    with pytest.raises(ConnectionClosedError) as closed:
        ws.recv(timeout=10)
    assert closed.value.sent is not None and closed.value.sent.code == code  # the client refused it


def test_raw_writes_reach_the_client_byte_for_byte(wpt_harness: Harness, scheme: str) -> None:
    with wpt_harness.ws_connect("/raw_frame?kind=split", scheme) as ws:
        assert ws.recv(timeout=10) == "in two writes"


def test_raw_reads_take_the_clients_bytes(wpt_harness: Harness, scheme: str) -> None:
    with wpt_harness.ws_connect("/raw_frame?kind=read", scheme, compression=None) as ws:
        ws.send("hi")
        assert ws.recv(timeout=10) == "8: 81 82"  # FIN + text, masked, 2 bytes


@pytest.mark.parametrize(("what", "reason"), [("raise", "RuntimeError: handler blew up"), ("binary-str", "")])
def test_handler_errors_close_with_1011(wpt_harness: Harness, scheme: str, what: str, reason: str) -> None:
    ws = wpt_harness.ws_connect(f"/errors?what={what}", scheme)
    with pytest.raises(ConnectionClosedError):
        ws.recv(timeout=10)
    assert ws.close_code == 1011
    assert reason in (ws.close_reason or "")


def test_invalid_utf8_from_the_client_closes_with_1007(wpt_harness: Harness, scheme: str) -> None:
    ws = wpt_harness.ws_connect("/errors", scheme)
    ws.send(b"\xff\xfe", text=True)
    with pytest.raises(ConnectionClosedError):
        ws.recv(timeout=10)
    assert ws.close_code == 1007


@pytest.mark.parametrize("compression", ["deflate", None])
def test_message_over_the_limit_closes_with_1009(wpt_harness: Harness, scheme: str, compression: str | None) -> None:
    # Deflated, the message is small on the wire: the limit applies to it inflated.
    ws = wpt_harness.ws_connect("/errors", scheme, compression=compression)
    ws.send(b"x" * (MAX_MESSAGE + 1))
    with pytest.raises(ConnectionClosedError):
        ws.recv(timeout=10)
    assert ws.close_code == 1009


def test_unmasked_client_frame_closes_with_1002(wpt_harness: Harness) -> None:
    ws = wpt_harness.ws_connect("/errors", "ws")
    ws.socket.sendall(b"\x81\x02hi")  # a client frame must be masked
    with pytest.raises(ConnectionClosedError):
        ws.recv(timeout=10)
    assert ws.close_code == 1002


def test_module_state_is_shared_by_connections(wpt_harness: Harness) -> None:
    counts = []
    for _ in range(3):
        with wpt_harness.ws_connect("/counter", "ws") as ws:
            counts.append(int(ws.recv(timeout=10)))
    assert counts == sorted(counts) and counts[-1] - counts[0] == 2


def test_missing_extra_handshake_is_a_500_naming_it(wpt_harness: Harness, scheme: str) -> None:
    with pytest.raises(InvalidStatus) as refused:
        wpt_harness.ws_connect("/no_extra_handshake", scheme)
    assert refused.value.response.status_code == 500
    assert b"web_socket_do_extra_handshake" in refused.value.response.body


def test_pywebsocket_modules_resolve_to_ours_in_the_server(wpt_harness: Harness) -> None:
    # The real pywebsocket3 may be installed (the bench extra): the server still gives ours.
    with wpt_harness.ws_connect("/modules", "ws") as ws:
        report = json.loads(ws.recv(timeout=10))
    assert report == {
        "pywebsocket3": "harness.wpt.pywebsocket",
        "same": True,
        "msgutil": "harness.wpt.pywebsocket.msgutil",
        "aborted_is_shared": True,
        "accept": "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
    }


def test_shutdown_closes_pywebsocket_connections_with_1001(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"wpt": {"enabled": True, "hosts": False}}))
    process = HarnessProcess(config=config, doc_root=WPT_ROOT)
    harness = Harness(process.start())
    try:
        ws = harness.ws_connect("/echo", "ws")
        ws.send("still here")
        assert ws.recv(timeout=10) == "still here"
    finally:
        process.close()
    with pytest.raises((ConnectionClosedOK, ConnectionClosedError)):
        ws.recv(timeout=10)
    assert ws.close_code == 1001


def test_wss_needs_the_run_ca(wpt_harness: Harness) -> None:
    from websockets.sync.client import connect

    with pytest.raises(ssl.SSLCertVerificationError):
        connect(wpt_harness.url("wss", "/echo"), ssl=ssl.create_default_context(), open_timeout=10)


def test_the_server_survives_garbage_after_the_handshake(wpt_harness: Harness) -> None:
    port = wpt_harness.urls["ws"].rsplit(":", 1)[1]
    with socket.create_connection(("127.0.0.1", int(port)), timeout=10) as sock:
        sock.sendall(
            b"GET /echo HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            b"\x81\xff\xff\xff\xff\xff\xff\xff\xff\xff"  # a 2^63+ byte frame: refused
        )
        received = b""
        while chunk := sock.recv(4096):
            received += chunk
    assert received.startswith(b"HTTP/1.1 101 ")
    assert b"\x88\x02\x03\xea" in received  # close 1002
    with wpt_harness.ws_connect("/echo", "ws") as ws:
        ws.send("alive")
        assert ws.recv(timeout=10) == "alive"
