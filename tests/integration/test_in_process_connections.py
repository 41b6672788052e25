"""The HTTP transport and the WebSocket connection in this process, over ``socket.socketpair()``.

No listener, no server process: the test holds one end of a real socket pair and the
transport serves the other (``HTTPServer.serve_connection``), so a connection's whole life
(keep-alive, framing, upgrade, shutdown) is visible step by step. The WebSocket client is
websockets' sans-I/O ``ClientProtocol``; handlers use only the public ``ws`` API.
"""

from __future__ import annotations

import http.client
import logging
import socket
import threading
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response as HandshakeResponse
from websockets.uri import parse_uri

from harness.config import Config, load_config
from harness.http.request import Request
from harness.http.response import Response
from harness.http.server import HTTPServer
from harness.http.upgrade import Handover, UpgradeChannel
from harness.site.context import ServerContext
from harness.site.docroot import DocRoot
from harness.site.loader import HandlerCache
from harness.site.ws_app import WSApp, transport_settings
from harness.stash import LocalBackend
from tests.support import PROMPT, wait_until

LOGGER = logging.getLogger("tests.in_process")
PEER = ("127.0.0.1", 4321)


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """The socket a server is built around; these tests never accept on it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return load_config(doc_root=tmp_path)


class Connection:
    """The client's end of a socket pair whose other end a server serves in a thread."""

    def __init__(self, server: HTTPServer) -> None:
        self.sock, theirs = socket.socketpair()
        self.sock.settimeout(PROMPT)
        self.thread = threading.Thread(target=server.serve_connection, args=(theirs, PEER), daemon=True)
        self.thread.start()

    def request(self, method: str, target: str, headers: str = "", body: bytes = b"") -> None:
        head = f"{method} {target} HTTP/1.1\r\nHost: example.test\r\n{headers}\r\n".encode("latin-1")
        self.sock.sendall(head + body)

    def head(self) -> tuple[bytes, bytes]:
        """A response head read byte-exact, and whatever came after it (unbuffered)."""
        data = b""
        while b"\r\n\r\n" not in data:
            received = self.sock.recv(4096)
            assert received, f"the connection ended inside a response head: {data!r}"
            data += received
        head, _, rest = data.partition(b"\r\n\r\n")
        return head, rest

    def response(self, method: str = "GET") -> http.client.HTTPResponse:
        response = http.client.HTTPResponse(self.sock, method=method)  # type: ignore[arg-type]
        response.begin()
        return response

    def ended(self) -> bool:
        """Whether the server closed its end and its thread finished (bounded wait)."""
        self.thread.join(PROMPT)
        return not self.thread.is_alive() and self.sock.recv(1) == b""

    def close(self) -> None:
        self.sock.close()
        self.thread.join(PROMPT)


@pytest.fixture
def connect() -> Iterator[Callable[[HTTPServer], Connection]]:
    opened: list[Connection] = []

    def open_connection(server: HTTPServer) -> Connection:
        opened.append(Connection(server))
        return opened[-1]

    yield open_connection
    for connection in opened:
        connection.close()
    assert not [c for c in opened if c.thread.is_alive()], "a connection thread outlived its socket"


# -- HTTP ---------------------------------------------------------------------------------


class RecordingApp:
    """An :class:`~harness.http.server.Application` that answers from a table of paths."""

    def __init__(self) -> None:
        self.requests: list[Request] = []

    def handle(self, request: Request, response: Response) -> None:
        self.requests.append(request)
        path = request.url_parts.path
        if path == "/stream":
            response.content = iter([b"one,", b"two"])
        elif path == "/close":
            response.close_connection = True
            response.content = b"bye"
        else:
            response.headers.set("Content-Type", "text/plain")
            response.content = f"{request.method} {request.url}"


@pytest.fixture
def http_server(listener: socket.socket, config: Config) -> HTTPServer:
    return HTTPServer(listener, config.http, None, LOGGER, scheme="http", server_host="localhost", app=RecordingApp())


def test_requests_on_one_connection_are_answered_in_turn(
    http_server: HTTPServer, connect: Callable[[HTTPServer], Connection]
) -> None:
    connection = connect(http_server)
    for target in ("/a?x=1", "/b"):
        connection.request("GET", target)
        response = connection.response()
        assert response.status == 200
        assert response.read() == f"GET http://example.test{target}".encode()
        assert response.getheader("Content-Length") == str(len(f"GET http://example.test{target}"))
    app = http_server.app
    assert isinstance(app, RecordingApp)
    assert [(r.scheme, r.client_address, r.request_path) for r in app.requests] == [
        ("http", PEER, "/a?x=1"),
        ("http", PEER, "/b"),
    ]


def test_a_head_request_gets_the_length_and_no_body_and_the_connection_goes_on(
    http_server: HTTPServer, connect: Callable[[HTTPServer], Connection]
) -> None:
    connection = connect(http_server)
    connection.request("HEAD", "/a")
    response = connection.response("HEAD")
    assert response.getheader("Content-Length") == str(len("HEAD http://example.test/a"))
    assert response.read() == b""
    connection.request("GET", "/b")
    assert connection.response().read() == b"GET http://example.test/b"


def test_a_stream_is_chunked_and_the_connection_goes_on(
    http_server: HTTPServer, connect: Callable[[HTTPServer], Connection]
) -> None:
    connection = connect(http_server)
    connection.request("GET", "/stream")
    response = connection.response()
    assert response.getheader("Transfer-Encoding") == "chunked"
    assert response.read() == b"one,two"
    connection.request("GET", "/b")
    assert connection.response().status == 200


def test_a_response_that_closes_ends_the_connection(
    http_server: HTTPServer, connect: Callable[[HTTPServer], Connection]
) -> None:
    connection = connect(http_server)
    connection.request("GET", "/close")
    response = connection.response()
    assert response.getheader("Connection") == "close"
    assert response.read() == b"bye"
    assert connection.ended()


def test_a_malformed_request_gets_400_and_the_connection_ends(
    http_server: HTTPServer, connect: Callable[[HTTPServer], Connection]
) -> None:
    connection = connect(http_server)
    connection.sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
    response = connection.response()
    assert response.status == 400
    assert response.getheader("Connection") == "close"
    assert connection.ended()


def test_shutdown_ends_an_idle_keep_alive_connection(
    http_server: HTTPServer, connect: Callable[[HTTPServer], Connection]
) -> None:
    connection = connect(http_server)
    connection.request("GET", "/a")
    assert connection.response().read() == b"GET http://example.test/a"

    def drained() -> bool:
        # The connection is idle once the server is back to waiting for a request; a
        # shutdown that comes a moment earlier leaves it to finish: so shut down until it ends.
        http_server.drain(0)
        return not connection.thread.is_alive()

    assert wait_until(drained, PROMPT)
    assert connection.ended()


# -- the upgrade interface ----------------------------------------------------------------


class EchoUpgraded:
    """A toy protocol after the upgrade: echoes what it reads until the peer or the server ends it."""

    def __init__(self, handover: Handover) -> None:
        self.handover = handover
        self.told_to_go = threading.Event()

    def run(self) -> None:
        sock = self.handover.sock
        if self.handover.leftover:
            sock.sendall(bytes(self.handover.leftover))
        while data := sock.recv(1024):
            sock.sendall(data)

    def going_away(self) -> None:
        self.told_to_go.set()
        self.handover.sock.shutdown(socket.SHUT_RDWR)


class EchoUpgrader:
    """An :class:`~harness.http.upgrade.Upgrader`: refuses a request without ``Upgrade: echo``."""

    def __init__(self) -> None:
        self.upgraded: list[EchoUpgraded] = []

    def upgrade(self, request: Request, channel: UpgradeChannel) -> None:
        if request.headers.get(b"upgrade") != b"echo":
            channel.send(b"HTTP/1.1 426 Upgrade Required\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        channel.send(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
        echo = channel.hand_over(EchoUpgraded)
        self.upgraded.append(echo)
        echo.run()


@pytest.fixture
def echo_server(listener: socket.socket, config: Config) -> HTTPServer:
    return HTTPServer(listener, transport_settings(config), None, LOGGER, scheme="echo", upgrader=EchoUpgrader())


def test_an_upgrade_gets_the_socket_and_the_bytes_sent_after_the_head(
    echo_server: HTTPServer, connect: Callable[[HTTPServer], Connection]
) -> None:
    connection = connect(echo_server)
    # The protocol's first bytes come in the same write as the request head.
    connection.request("GET", "/", "Upgrade: echo\r\nConnection: Upgrade\r\n", body=b"early ")
    head, echoed = connection.head()
    assert head.startswith(b"HTTP/1.1 101 ")
    while len(echoed) < len(b"early "):
        echoed += connection.sock.recv(6)
    assert echoed == b"early "
    connection.sock.sendall(b"later")
    assert connection.sock.recv(5) == b"later"


def test_shutdown_reaches_the_upgraded_connection(
    echo_server: HTTPServer, connect: Callable[[HTTPServer], Connection]
) -> None:
    connection = connect(echo_server)
    connection.request("GET", "/", "Upgrade: echo\r\nConnection: Upgrade\r\n")
    assert connection.head()[0].startswith(b"HTTP/1.1 101 ")
    connection.sock.sendall(b"x")
    assert connection.sock.recv(1) == b"x"  # the echo runs: the connection was handed over
    upgrader = echo_server.upgrader
    assert isinstance(upgrader, EchoUpgrader)
    assert echo_server.drain(PROMPT)
    assert upgrader.upgraded[0].told_to_go.is_set()
    assert connection.ended()


def test_an_upgrader_may_refuse_and_the_connection_ends(
    echo_server: HTTPServer, connect: Callable[[HTTPServer], Connection]
) -> None:
    connection = connect(echo_server)
    connection.request("GET", "/")
    assert connection.response().status == 426
    assert connection.ended()


def test_a_server_serves_an_application_or_an_upgrader(listener: socket.socket, config: Config) -> None:
    with pytest.raises(ValueError, match="either an application or an upgrader"):
        HTTPServer(listener, config.http, None, LOGGER, scheme="http")
    with pytest.raises(ValueError, match="either an application or an upgrader"):
        HTTPServer(listener, config.http, None, LOGGER, scheme="http", app=RecordingApp(), upgrader=EchoUpgrader())


# -- WebSocket ----------------------------------------------------------------------------

HANDLERS = {
    "echo_wsh.py": "def main(ws, request):\n    for message in ws:\n        ws.send(message)\n",
    # Frames are read as the handler calls recv: the pong arrives with the next message.
    "ping_wsh.py": (
        "def main(ws, request):\n"
        "    answered = ws.ping(b'are you there')\n"
        "    ws.recv()\n"
        "    ws.send('pong seen' if answered.is_set() else 'no pong')\n"
    ),
    "fail_wsh.py": "def main(ws, request):\n    raise RuntimeError('on purpose')\n",
    "path_wsh.py": "def main(ws, request):\n    ws.send(request.server.scheme + ' ' + request.url)\n    ws.recv()\n",
}


@pytest.fixture
def ws_server(listener: socket.socket, config: Config) -> HTTPServer:
    for name, source in HANDLERS.items():
        (config.doc_root / name).write_text(source)
    context = ServerContext(config, "ws", {"ws": "ws://localhost:1"}, LocalBackend())
    app = WSApp(context, DocRoot(config.doc_root), HandlerCache(), config.ws, LOGGER)
    return HTTPServer(
        listener, transport_settings(config), None, LOGGER, scheme="ws", server_host="localhost", upgrader=app
    )


class WSClient:
    """websockets' sans-I/O client protocol, driven over the client's end of the pair."""

    def __init__(self, connection: Connection, path: str) -> None:
        self.sock = connection.sock
        self.protocol = ClientProtocol(parse_uri(f"ws://localhost{path}"))
        self.events: deque[object] = deque()
        self.protocol.send_request(self.protocol.connect())
        self._flush()
        handshake = self._next_event()
        assert isinstance(handshake, HandshakeResponse), handshake
        assert handshake.status_code == 101, handshake

    def _flush(self) -> None:
        for data in self.protocol.data_to_send():
            if data:
                self.sock.sendall(data)

    def _next_event(self) -> object:
        while not self.events:
            data = self.sock.recv(65536)
            if data:
                self.protocol.receive_data(data)
            else:
                self.protocol.receive_eof()
            self.events.extend(self.protocol.events_received())
            self._flush()  # pongs and the close reply go out at once
            if not data and not self.events:
                raise EOFError("the server closed the connection")
        return self.events.popleft()

    def frame(self) -> Frame:
        event = self._next_event()
        assert isinstance(event, Frame), event
        return event

    def send_text(self, text: str) -> None:
        self.protocol.send_text(text.encode())
        self._flush()

    def send_binary(self, data: bytes) -> None:
        self.protocol.send_binary(data)
        self._flush()

    def close(self, code: int = 1000) -> None:
        self.protocol.send_close(code)
        self._flush()


def test_websocket_messages_echo_both_ways(ws_server: HTTPServer, connect: Callable[[HTTPServer], Connection]) -> None:
    connection = connect(ws_server)
    client = WSClient(connection, "/echo")
    client.send_text("hello")
    frame = client.frame()
    assert (frame.opcode, frame.data) == (Opcode.TEXT, b"hello")
    client.send_binary(b"\x00\xff" * 40_000)  # over 64 KiB: the long length form
    frame = client.frame()
    assert (frame.opcode, frame.data) == (Opcode.BINARY, b"\x00\xff" * 40_000)
    client.close()
    closing = client.frame()
    assert closing.opcode == Opcode.CLOSE
    assert client.protocol.close_rcvd is not None and client.protocol.close_rcvd.code == 1000
    assert connection.ended()


def test_a_websocket_text_message_keeps_its_characters(
    ws_server: HTTPServer, connect: Callable[[HTTPServer], Connection]
) -> None:
    client = WSClient(connect(ws_server), "/echo")
    client.send_text("héllo ✓")
    frame = client.frame()
    assert (frame.opcode, frame.data.decode()) == (Opcode.TEXT, "héllo ✓")


def test_a_websocket_ping_from_the_handler_is_answered(
    ws_server: HTTPServer, connect: Callable[[HTTPServer], Connection]
) -> None:
    client = WSClient(connect(ws_server), "/ping")
    ping = client.frame()
    assert (ping.opcode, ping.data) == (Opcode.PING, b"are you there")
    # The client protocol answered the ping as it read it; the handler reads the pong, then this.
    client.send_text("next")
    message = client.frame()
    assert (message.opcode, message.data) == (Opcode.TEXT, b"pong seen")


def test_a_websocket_handler_that_raises_closes_with_1011(
    ws_server: HTTPServer, connect: Callable[[HTTPServer], Connection]
) -> None:
    connection = connect(ws_server)
    client = WSClient(connection, "/fail")
    assert client.frame().opcode == Opcode.CLOSE
    close = client.protocol.close_rcvd
    assert close is not None
    assert close.code == 1011
    assert "RuntimeError: on purpose" in close.reason
    assert connection.ended()


def test_a_websocket_handler_sees_its_request_and_server(
    ws_server: HTTPServer, connect: Callable[[HTTPServer], Connection]
) -> None:
    client = WSClient(connect(ws_server), "/path?x=1")
    assert client.frame().data == b"ws ws://localhost/path?x=1"


def test_shutdown_closes_a_websocket_with_1001(
    ws_server: HTTPServer, connect: Callable[[HTTPServer], Connection]
) -> None:
    connection = connect(ws_server)
    client = WSClient(connection, "/echo")
    client.send_text("before")
    assert client.frame().data == b"before"
    ws_server.drain(0)
    assert client.frame().opcode == Opcode.CLOSE
    close = client.protocol.close_rcvd
    assert close is not None and close.code == 1001
    assert connection.ended()


def test_a_websocket_handshake_for_no_handler_is_refused_with_404(
    ws_server: HTTPServer, connect: Callable[[HTTPServer], Connection]
) -> None:
    connection = connect(ws_server)
    connection.request(
        "GET",
        "/nothing",
        "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
    )
    response = connection.response()
    assert response.status == 404
    assert b"no WebSocket handler for /nothing" in response.read()
    assert connection.ended()
