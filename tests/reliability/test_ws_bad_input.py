"""WebSocket misuse: bad handshakes, oversized or invalid frames, clients that vanish."""

from __future__ import annotations

import base64
import os
import socket
import threading
import uuid

import psutil
import pytest
from websockets.exceptions import ConnectionClosedError

from pytest_harness import Harness
from tests.support import wait_until

from .conftest import exchange, port_of, read_until_closed, status_of

pytestmark = pytest.mark.usefixtures("stash_sentinel")

KEY = base64.b64encode(os.urandom(16))


def handshake(version: bytes = b"13", key: bytes | None = KEY) -> bytes:
    lines = [b"GET /ws/echo HTTP/1.1", b"Host: localhost", b"Upgrade: websocket", b"Connection: Upgrade"]
    if key is not None:
        lines.append(b"Sec-WebSocket-Key: " + key)
    lines.append(b"Sec-WebSocket-Version: " + version)
    return b"\r\n".join(lines) + b"\r\n\r\n"


@pytest.fixture(autouse=True)
def ws_still_serving(strict_harness: Harness):
    yield
    with strict_harness.ws_connect("/ws/echo", "ws") as ws:
        ws.send("alive")
        assert ws.recv(timeout=10) == "alive"


def read_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        assert chunk, "connection closed early"
        data += chunk
    return data


def test_wrong_version_gets_426(strict_harness: Harness) -> None:
    reply = exchange(port_of(strict_harness, "ws"), handshake(version=b"8"), wait=3)
    assert status_of(reply) == 426
    assert b"Sec-WebSocket-Version: 13" in reply


def test_missing_key_gets_400(strict_harness: Harness) -> None:
    reply = exchange(port_of(strict_harness, "ws"), handshake(key=None), wait=3)
    assert status_of(reply) == 400
    assert b"Sec-WebSocket-Key" in reply


def test_an_oversized_message_closes_with_1009(strict_harness: Harness) -> None:
    with strict_harness.ws_connect("/ws/echo", "ws", max_size=None) as ws:
        ws.send("x" * 2000)  # the server's limit is 1024 bytes
        with pytest.raises(ConnectionClosedError) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1009


def test_invalid_utf8_in_a_text_frame_closes_with_1007(strict_harness: Harness) -> None:
    with socket.create_connection(("127.0.0.1", port_of(strict_harness, "ws")), timeout=10) as sock:
        sock.sendall(handshake())
        assert sock.recv(4096).startswith(b"HTTP/1.1 101")
        payload = b"\xff\xfe invalid"
        mask = b"\x01\x02\x03\x04"
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        sock.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + masked)
        frame = read_until_closed(sock, 5)
    assert frame[0] == 0x88  # a close frame
    assert int.from_bytes(frame[2:4], "big") == 1007


def test_a_client_that_vanishes_without_a_close_frame(strict_harness: Harness) -> None:
    key = uuid.uuid4()
    sock = socket.create_connection(("127.0.0.1", port_of(strict_harness, "ws")), timeout=10)
    sock.sendall(handshake().replace(b"/ws/echo", f"/ws/closed?id={key}".encode()))
    assert sock.recv(4096).startswith(b"HTTP/1.1 101")
    # One echo proves the handler runs; then the client vanishes mid-conversation.
    sock.sendall(bytes([0x81, 0x84]) + b"\x00\x00\x00\x00" + b"ping")
    assert read_exactly(sock, 6) == b"\x81\x04ping"
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    sock.close()  # a TCP reset, no close frame
    ended = strict_harness.stash().take(key, path="/ws-ended", timeout=10)
    assert ended == "connection lost (no close frame)"


def test_many_connections_opened_and_dropped(strict_harness: Harness) -> None:
    ws_pid = strict_harness.server_pids["ws"]
    baseline = psutil.Process(ws_pid).num_threads()

    def open_and_drop(count: int) -> None:
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port_of(strict_harness, "ws")), timeout=10)
            sock.sendall(handshake())
            sock.recv(4096)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            sock.close()

    threads = [threading.Thread(target=open_and_drop, args=(50,)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    # Every connection's threads end: the count returns to where it was.
    assert wait_until(lambda: psutil.Process(ws_pid).num_threads() <= baseline + 2, timeout=15)
