"""How a failed WebSocket connection looks to the handler, the log and the client; ``ws.send_raw``;
UTF-8 across fragments with ``recv_streaming``; the ``ws.compression`` switch.

RFC 6455 7.1.7: the server sends its close frame and ends the TCP connection at once; the
handler's loop raises ConnectionClosedError with the frames sent and received; the log
names the client's violation once, and never as a handler failure.
"""

from __future__ import annotations

import json
import ssl
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.run.launcher import HarnessProcess
from pytest_harness import Harness

from ..ws_conformance.rawclient import OP_CLOSE, OP_CONT, OP_TEXT, RawClient


@pytest.fixture(scope="module")
def logged_harness(api_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Harness, Path]]:
    workdir = tmp_path_factory.mktemp("ws-failures")
    config = workdir / "config.json"
    config.write_text(json.dumps({"ws": {"close_timeout": 5.0, "max_message_bytes": 4096, "compression": False}}))
    process = HarnessProcess(config=config, doc_root=api_root, workdir=workdir)
    try:
        yield Harness(process.start()), process.log_file
    finally:
        process.close()


@pytest.fixture(params=["ws", "wss"])
def scheme(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _raw(
    harness: Harness, scheme: str, key: str, path: str = "/ws/outcome", extensions: str | None = None
) -> RawClient:
    port = int(harness.urls[scheme].rsplit(":", 1)[1])
    context = ssl.create_default_context(cafile=str(harness.ca_cert)) if scheme == "wss" else None
    return RawClient.connect("127.0.0.1", port, context, f"{path}?id={key}", extensions)


@pytest.mark.parametrize(
    ("frame", "code", "violation"),
    [
        (RawClient.frame(0x3, b""), 1002, "unknown opcode"),
        (RawClient.frame(OP_TEXT, b"\xff"), 1007, "invalid UTF-8"),
        (RawClient.frame(OP_TEXT, b"x" * 5000), 1009, "over the limit"),
        (RawClient.frame(OP_TEXT, b"x", mask=False), 1002, "must be masked"),
    ],
    ids=["reserved-opcode", "invalid-utf8", "too-big", "unmasked"],
)
def test_a_protocol_violation_is_a_connection_closed_error_for_the_handler(
    logged_harness: tuple[Harness, Path], scheme: str, frame: bytes, code: int, violation: str
) -> None:
    harness, log = logged_harness
    # Only what this test logs: other tests on the same harness make the handler raise on purpose.
    start = log.stat().st_size
    key = str(uuid.uuid4())
    client = _raw(harness, scheme, key)
    try:
        client.send_bytes(frame)
        client.expect_close(code)  # the close frame, then the TCP end within 2 s (close_timeout is 5)
    finally:
        client.close()
    outcome = harness.stash().take(key, path="/ws-outcome", timeout=10)
    assert outcome == f"ConnectionClosedError sent={code} rcvd=None code=1006"
    with log.open("rb") as handle:
        handle.seek(start)
        text = handle.read().decode("utf-8", "replace")
    assert "WebSocket handler /ws/outcome raised" not in text
    assert text.count(f"the client broke the protocol, closing with {code}") >= 1
    assert violation in text


def test_a_clean_close_by_the_client_ends_the_loop_quietly(logged_harness: tuple[Harness, Path], scheme: str) -> None:
    harness, _log = logged_harness
    key = str(uuid.uuid4())
    client = _raw(harness, scheme, key)
    try:
        client.send_close(1000)
        client.expect_close(1000)
    finally:
        client.close()
    assert harness.stash().take(key, path="/ws-outcome", timeout=10) == "ended cleanly code=1000"


def test_send_raw_puts_bytes_on_the_wire_as_given(logged_harness: tuple[Harness, Path], scheme: str) -> None:
    harness, _log = logged_harness
    key = str(uuid.uuid4())
    client = _raw(harness, scheme, key)
    try:
        client.send_frame(OP_TEXT, b"raw")
        client.expect_message(OP_TEXT, b"hand!")
        client.send_frame(OP_TEXT, b"raw-bad-opcode")
        frame = client.recv_frame()
        assert frame is not None and frame.opcode == 0x3 and frame.payload == b""  # sent, not judged
        client.send_frame(OP_CLOSE, b"\x03\xea")  # the client fails the connection: 1002
        client.expect_close(1002)
    finally:
        client.close()
    assert (
        harness.stash().take(key, path="/ws-outcome", timeout=10)
        == "ConnectionClosedError sent=1002 rcvd=1002 code=1002"
    )


def test_send_raw_refuses_what_is_not_bytes(logged_harness: tuple[Harness, Path]) -> None:
    harness, _log = logged_harness
    with harness.ws_connect("/ws/outcome?id=unused") as ws:
        ws.send("raw-str")
        assert ws.recv(timeout=10) == "TypeError: send_raw takes bytes, not str"


@pytest.mark.parametrize("split", [1, 2, 3])
def test_recv_streaming_takes_a_character_split_across_fragments(
    logged_harness: tuple[Harness, Path], scheme: str, split: int
) -> None:
    harness, _log = logged_harness
    data = "€😀".encode()  # 3 + 4 bytes: every split point here falls inside a character
    client = _raw(harness, scheme, "s", "/ws/streaming")
    try:
        client.send_frame(OP_TEXT, data[:split], fin=False)
        client.send_frame(OP_CONT, data[split : split + 3], fin=False)
        client.send_frame(OP_CONT, data[split + 3 :])
        client.expect_message(OP_TEXT, data)
    finally:
        client.close()


def test_recv_streaming_fails_invalid_utf8_before_the_message_ends(
    logged_harness: tuple[Harness, Path], scheme: str
) -> None:
    harness, _log = logged_harness
    client = _raw(harness, scheme, "s", "/ws/streaming")
    try:
        client.send_frame(OP_TEXT, b"fine \xed\xa0\x80", fin=False)  # a surrogate: never valid
        client.expect_close(1007, timeout=5)  # the message has not ended: the check did not wait for it
    finally:
        client.close()


def test_with_compression_off_no_extension_is_negotiated(logged_harness: tuple[Harness, Path], scheme: str) -> None:
    harness, _log = logged_harness
    client = _raw(harness, scheme, "c", "/ws/echo", extensions="permessage-deflate; client_max_window_bits")
    try:
        assert "sec-websocket-extensions" not in client.headers
        client.send_frame(OP_TEXT, b"plain", rsv=4)  # RSV1 means nothing without the extension
        client.expect_close(1002)
    finally:
        client.close()


def test_a_websockets_client_gets_permessage_deflate_by_default(api_harness: Harness, scheme: str) -> None:
    message = "compressible " * 50_000  # 650 KB, a few KB on the wire
    with api_harness.ws_connect("/ws/echo", scheme) as ws:
        assert "permessage-deflate" in (ws.response.headers.get("Sec-WebSocket-Extensions") or "")
        for _ in range(3):
            ws.send(message)
            assert ws.recv(timeout=30) == message
