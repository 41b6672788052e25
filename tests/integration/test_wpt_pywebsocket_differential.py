"""Differential: our pywebsocket-style handlers behave as under pywebsocket3 4.0.2 itself.

The same handler files (tests/wpt_handlers/websockets/handlers) are served by the real
pywebsocket3 standalone server, run in this process as ``wpt serve`` runs it, and by the
harness; each scenario's client-side transcript must be equal. pywebsocket3 comes with the
``bench`` extra; without it the test is skipped.

Known, intended differences are left out of the scenarios: a handler exception closes with
1011 here (pywebsocket3 drops the TCP connection), a handler file without
``web_socket_do_extra_handshake`` is a 500 naming it (pywebsocket3 ignores the file: 404),
messages over ``ws.max_message_bytes`` close with 1009 (pywebsocket3 has no limit), and
``request.GET`` / ``request.server`` exist only here.
"""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed, InvalidMessage, InvalidStatus
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
from websockets.sync.client import connect

from harness.run.launcher import HarnessProcess
from pytest_harness import Harness

WPT_ROOT = Path(__file__).resolve().parents[1] / "wpt_handlers"
HANDLERS = WPT_ROOT / "websockets" / "handlers"
_ALIASED = ("", ".common", ".msgutil", ".stream", ".util", ".handshake", ".handshake.hybi", ".handshake.base")


@pytest.fixture(scope="module")
def pywebsocket_url() -> Iterator[str]:
    standalone = pytest.importorskip(
        "pywebsocket3.standalone", reason="pywebsocket3 is not installed (pip install -e '.[bench]')"
    )
    import importlib

    # The handlers import mod_pywebsocket, as wpt's do; here it is the real package.
    saved = {f"mod_pywebsocket{s}": sys.modules.get(f"mod_pywebsocket{s}") for s in _ALIASED}
    for suffix in _ALIASED:
        sys.modules[f"mod_pywebsocket{suffix}"] = importlib.import_module(f"pywebsocket3{suffix}")
    try:
        options, _args = standalone._parse_args_and_config(
            ["-H", "127.0.0.1", "-p", "0", "-d", str(WPT_ROOT), "-w", str(HANDLERS), "--log-level", "critical"]
        )
        options.cgi_directories = []
        options.is_executable_method = None
        server = standalone.WebSocketServer(options)
        port = server._sockets[0][0].getsockname()[1]
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"ws://127.0.0.1:{port}"
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


@pytest.fixture(scope="module")
def harness_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    config = tmp_path_factory.mktemp("wpt-diff") / "config.json"
    config.write_text('{"wpt": {"enabled": true, "hosts": false}}')
    process = HarnessProcess(config=config, doc_root=WPT_ROOT)
    try:
        yield Harness(process.start()).urls["ws"]
    finally:
        process.close()


def _refusal(base: str, path: str, subprotocols: list[str] | None = None) -> list[Any]:
    """The status of a refused handshake, read raw (pywebsocket3 answers in HTTP/1.0, which
    websockets' client does not parse), or ``["no response"]``."""
    host, port = base.removeprefix("ws://").rsplit(":", 1)
    offer = f"Sec-WebSocket-Protocol: {', '.join(subprotocols)}\r\n" if subprotocols else ""
    head = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{offer}\r\n"
    )
    received = b""
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head.encode())
        try:
            while b"\r\n" not in received and (chunk := sock.recv(4096)):
                received += chunk
        except ConnectionResetError:
            pass  # dropped with a reset rather than a FIN: still no response
    if not received:
        return ["no response"]
    return ["refused", int(received.split(b" ", 2)[1])]


def _session(base: str, path: str, steps: Callable[[Any], list[Any]], **kwargs: Any) -> list[Any]:
    """Run ``steps`` on a connection to ``base + path``; the transcript, closing included."""
    try:
        ws = connect(base + path, open_timeout=10, close_timeout=5, **kwargs).__enter__()
    except (InvalidStatus, InvalidMessage, ConnectionResetError):
        return _refusal(base, path, kwargs.get("subprotocols"))
    # What the 101 said (subprotocol, extensions), then what came over the connection.
    transcript: list[Any] = [ws.subprotocol, ws.response.headers.get("Sec-WebSocket-Extensions")]
    try:
        transcript += steps(ws)
        while True:
            transcript.append(ws.recv(timeout=10))
    except ConnectionClosed as closed:
        rcvd, sent = closed.rcvd, closed.sent
        transcript.append(("closed", rcvd and (rcvd.code, rcvd.reason), sent and sent.code))
    finally:
        ws.close()
    return transcript


def _nothing(ws: Any) -> list[Any]:
    return []


def _echo(ws: Any) -> list[Any]:
    out = []
    for message in ("text ✓", b"\x00\xffbinary", "Goodbye"):
        ws.send(message)
        out.append(ws.recv(timeout=10))
    return out


def _close_with(code: int, reason: str) -> Callable[[Any], list[Any]]:
    def steps(ws: Any) -> list[Any]:
        ws.send("first")
        ws.close(code, reason)
        return [(ws.close_code, ws.close_reason)]

    return steps


def _say_hello(ws: Any) -> list[Any]:
    out = [ws.recv(timeout=10), ws.recv(timeout=10)]
    ws.send("hello")
    return out


def _recv_then_close(ws: Any) -> list[Any]:
    message = ws.recv(timeout=10)
    ws.close()
    return [message]


def _send_hi(ws: Any) -> list[Any]:
    ws.send("hi")
    return _recv_then_close(ws)


def _bad_utf8(ws: Any) -> list[Any]:
    ws.send(b"\xff\xfe", text=True)
    return []


def _unmasked(ws: Any) -> list[Any]:
    ws.socket.sendall(b"\x81\x02hi")
    return []


SCENARIOS: dict[str, tuple[str, Callable[[Any], list[Any]], dict[str, Any]]] = {
    "echo with subprotocol": ("/echo", _echo, {"subprotocols": ["chat", "echo"]}),
    "echo close is echoed": ("/echo", _close_with(3000, "client leaves"), {}),
    "passive close reply": ("/passive_close", _close_with(1000, "bye"), {}),
    "refused by HandshakeException": ("/refuse?how=handshake", _nothing, {}),
    "refused by an exception": ("/refuse?how=error", _nothing, {}),
    "aborted handshake": ("/refuse?how=abort", _nothing, {}),
    "accepted": ("/refuse?how=no", _nothing, {}),
    "subprotocol picked": ("/subprotocol?pick=b", _nothing, {"subprotocols": ["a", "b"]}),
    "subprotocol not picked": ("/subprotocol?pick=none", _nothing, {"subprotocols": ["a"]}),
    "subprotocol not offered": ("/subprotocol?pick=unoffered", _nothing, {}),
    "pieces, ping, binary, close 3001": ("/messages", _say_hello, {}),
    "raw frame with RSV1": ("/raw_frame?kind=rsv", _nothing, {}),
    "raw text frame not UTF-8": ("/raw_frame?kind=utf8", _nothing, {}),
    "raw frame in two writes": ("/raw_frame?kind=split", _recv_then_close, {}),
    "raw read of a client frame": ("/raw_frame?kind=read", _send_hi, {"compression": None}),
    "BadOperationException": ("/errors?what=binary-str", _nothing, {}),
    "client text not UTF-8": ("/errors", _bad_utf8, {}),
    "client frame unmasked": ("/errors", _unmasked, {}),
    "no compression offered": ("/echo", _echo, {"compression": None}),
    "deflate without context takeover": (
        "/echo",
        _echo,
        {"compression": None, "extensions": [ClientPerMessageDeflateFactory(server_no_context_takeover=True)]},
    ),
    "deflate offer with an unknown parameter": (
        "/echo",
        _echo,
        {"compression": None, "additional_headers": {"Sec-WebSocket-Extensions": "permessage-deflate; x=1, foo"}},
    ),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_same_transcript_as_pywebsocket3(pywebsocket_url: str, harness_url: str, name: str) -> None:
    path, steps, kwargs = SCENARIOS[name]
    expected = _session(pywebsocket_url, path, steps, **kwargs)
    ours = _session(harness_url, path, steps, **kwargs)
    if name == "aborted handshake":
        # Ours always drops the connection unanswered. pywebsocket3 does too, except now and
        # then under load, when its 403 for the abort reaches the client first (seen in 3 of
        # many runs): either way the handshake is refused, so both count as its transcript.
        assert ours == ["no response"]
        assert expected in (["no response"], ["refused", 403])
        return
    assert ours == expected
