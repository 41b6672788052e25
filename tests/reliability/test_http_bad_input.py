"""Malformed HTTP against a running server: a clear status, and the server goes on serving."""

from __future__ import annotations

import socket
import time
import uuid

import pytest

from pytest_harness import Harness

from .conftest import exchange, port_of, read_until_closed, status_of

pytestmark = pytest.mark.usefixtures("stash_sentinel")

HOST = b"Host: localhost\r\n"


@pytest.fixture(autouse=True)
def still_serving(strict_harness: Harness):
    """After every attack the same server answers a normal request."""
    yield
    reply = exchange(
        port_of(strict_harness, "http"), b"GET /static/hello.txt HTTP/1.1\r\n" + HOST + b"Connection: close\r\n\r\n"
    )
    assert status_of(reply) == 200


@pytest.mark.parametrize(
    ("request_bytes", "status", "message"),
    [
        (b"GARBAGE\r\n\r\n", 400, b"malformed request line"),
        (b"GET /static/hello.txt\r\n\r\n", 400, b"malformed request line"),
        (b"GET  /static/hello.txt HTTP/1.1\r\n" + HOST + b"\r\n", 400, b"malformed request line"),
        (b"G(T /static/hello.txt HTTP/1.1\r\n" + HOST + b"\r\n", 400, b"invalid method"),
        (b"GET /static/hello.txt HTTP/2.0\r\n" + HOST + b"\r\n", 505, b"not supported"),
        (b"GET /static/hello.txt HTTP/1.1\r\n\r\n", 400, b"exactly one Host"),
        (b"GET /static/hello.txt HTTP/1.1\r\n" + HOST + HOST + b"\r\n", 400, b"exactly one Host"),
        (b"GET /static/hello.txt HTTP/1.1\r\n" + HOST + b"Bad Name: x\r\n\r\n", 400, b"invalid header name"),
        (b"GET /static/hello.txt HTTP/1.1\r\n" + HOST + b"X-A : x\r\n\r\n", 400, b"invalid header name"),
        (b"GET /static/hello.txt HTTP/1.1\r\n" + HOST + b"X-A: a\x01b\r\n\r\n", 400, b"invalid characters"),
        (b"GET /static/hello.txt HTTP/1.1\r\n" + HOST + b"X-A: a\r\n continued\r\n\r\n", 400, b"line folding"),
        (b"GET /static/hello.txt HTTP/1.1\r\n" + HOST + b"NoColon\r\n\r\n", 400, b"without a colon"),
        (b"GET /static/\x00hello.txt HTTP/1.1\r\n" + HOST + b"\r\n", 400, b"NUL byte"),
        (b"POST /api/echo.py HTTP/1.1\r\n" + HOST + b"Content-Length: ten\r\n\r\n", 400, b"invalid Content-Length"),
        (b"POST /api/echo.py HTTP/1.1\r\n" + HOST + b"Content-Length: -1\r\n\r\n", 400, b"invalid Content-Length"),
        (
            b"POST /api/echo.py HTTP/1.1\r\n" + HOST + b"Content-Length: 3\r\nContent-Length: 4\r\n\r\nabc",
            400,
            b"conflicting Content-Length",
        ),
        (
            b"POST /api/echo.py HTTP/1.1\r\n"
            + HOST
            + b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            400,
            b"both Content-Length and Transfer-Encoding",
        ),
        (
            b"POST /api/echo.py HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: gzip\r\n\r\n",
            501,
            b"unsupported Transfer-Encoding",
        ),
        (
            b"POST /api/echo.py HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
            400,
            b"invalid chunk size",
        ),
        (
            b"POST /api/echo.py HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n",
            400,
            b"not followed by CRLF",
        ),
        (b"POST /api/echo.py HTTP/1.1\r\n" + HOST + b"Content-Length: 5000\r\n\r\n", 413, b"over the limit of 1024"),
        (
            b"POST /api/echo.py HTTP/1.1\r\n"
            + HOST
            + b"Transfer-Encoding: chunked\r\n\r\n800\r\n"
            + b"x" * 2048
            + b"\r\n0\r\n\r\n",
            413,
            b"over the limit of 1024",
        ),
        (b"GET /static/hello.txt HTTP/1.1\r\n" + HOST + b"Expect: 200-ok\r\n\r\n", 417, b"unsupported Expect"),
    ],
)
def test_malformed_requests_get_a_clear_status(
    strict_harness: Harness, request_bytes: bytes, status: int, message: bytes
) -> None:
    reply = exchange(port_of(strict_harness, "http"), request_bytes)
    assert status_of(reply) == status
    assert message in reply
    assert b"Connection: close" in reply


@pytest.mark.parametrize(
    ("path", "message"),
    [(b"/static/%00hello.txt", b"NUL byte in the request path"), (b"/static/%ff.txt", b"not valid UTF-8")],
)
def test_bad_paths_get_400_and_keep_the_connection(strict_harness: Harness, path: bytes, message: bytes) -> None:
    """A well-formed request naming a bad path: the framing is intact, so keep-alive goes on."""
    request = b"GET " + path + b" HTTP/1.1\r\n" + HOST + b"\r\n"
    follow_up = b"GET /static/hello.txt HTTP/1.1\r\n" + HOST + b"Connection: close\r\n\r\n"
    reply = exchange(port_of(strict_harness, "http"), request + follow_up)
    assert status_of(reply) == 400
    assert message in reply
    assert reply.endswith(b"Hello, static world.\n")


def test_header_block_over_the_size_limit_gets_431(strict_harness: Harness) -> None:
    huge = b"X-Filler: " + b"a" * 5000 + b"\r\n"
    reply = exchange(port_of(strict_harness, "http"), b"GET /static/hello.txt HTTP/1.1\r\n" + HOST + huge + b"\r\n")
    assert status_of(reply) == 431
    assert b"over the limit of 4096 bytes" in reply


def test_a_head_that_never_ends_is_cut_at_the_size_limit(strict_harness: Harness) -> None:
    with socket.create_connection(("127.0.0.1", port_of(strict_harness, "http")), timeout=10) as sock:
        sock.sendall(b"GET /static/hello.txt HTTP/1.1\r\n" + HOST)
        try:
            for _ in range(100):
                sock.sendall(b"X-More: " + b"b" * 100 + b"\r\n")
        except OSError:
            pass  # the server may close while we still write
        reply = read_until_closed(sock, 5)
    assert status_of(reply) == 431


def test_too_many_headers_get_431(strict_harness: Harness) -> None:
    headers = b"".join(b"X-%d: v\r\n" % i for i in range(30))
    reply = exchange(port_of(strict_harness, "http"), b"GET /static/hello.txt HTTP/1.1\r\n" + HOST + headers + b"\r\n")
    assert status_of(reply) == 431
    assert b"more than 20 header fields" in reply


def test_slowloris_is_cut_by_the_header_timeout(strict_harness: Harness) -> None:
    """A client that sends its head a byte at a time is answered 408 at the deadline."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port_of(strict_harness, "http")), timeout=10) as sock:
        sock.sendall(b"GET /static/hello.txt HTTP/1.1\r\n")
        reply = b""
        for byte in b"X-Slow: " + b"z" * 200:
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                break
            sock.settimeout(0.05)
            try:
                chunk = sock.recv(4096)
            except TimeoutError:
                continue
            reply += chunk
            if not chunk or b"\r\n\r\n" in reply:
                break
        reply += read_until_closed(sock, 3)
    assert status_of(reply) == 408
    assert b"did not arrive within 1 s" in reply
    assert time.monotonic() - started < 5


def test_a_client_that_never_sends_its_head_is_disconnected(strict_harness: Harness) -> None:
    with socket.create_connection(("127.0.0.1", port_of(strict_harness, "http")), timeout=10) as sock:
        started = time.monotonic()
        assert read_until_closed(sock, 5) == b""
        assert time.monotonic() - started < 4  # header_timeout is 1 s


def test_a_request_that_stops_half_way_through_its_body(strict_harness: Harness) -> None:
    with socket.create_connection(("127.0.0.1", port_of(strict_harness, "http")), timeout=10) as sock:
        sock.sendall(b"POST /api/echo.py HTTP/1.1\r\n" + HOST + b"Content-Length: 100\r\n\r\nonly part")
        reply = read_until_closed(sock, 5)
    assert status_of(reply) == 408
    assert b"stopped arriving" in reply


def test_a_client_that_disconnects_half_way_through_its_head(strict_harness: Harness) -> None:
    with socket.create_connection(("127.0.0.1", port_of(strict_harness, "http")), timeout=10) as sock:
        sock.sendall(b"GET /static/hello.txt HTTP/1.1\r\nHo")
    # The autouse check proves the server noticed nothing worse.


def test_non_ascii_and_percent_encoded_paths(strict_harness: Harness, api_root) -> None:
    (api_root / "static" / "café.txt").write_text("unicode file name")
    port = port_of(strict_harness, "http")
    encoded = exchange(port, b"GET /static/caf%C3%A9.txt HTTP/1.1\r\n" + HOST + b"Connection: close\r\n\r\n")
    raw = exchange(port, "GET /static/café.txt HTTP/1.1\r\n".encode() + HOST + b"Connection: close\r\n\r\n")
    for reply in (encoded, raw):
        assert status_of(reply) == 200
        assert reply.endswith(b"unicode file name")


def test_the_handler_is_told_when_the_client_disconnects_mid_response(strict_harness: Harness) -> None:
    key = uuid.uuid4()
    with socket.create_connection(("127.0.0.1", port_of(strict_harness, "http")), timeout=10) as sock:
        sock.sendall(f"GET /api/client_gone.py?id={key} HTTP/1.1\r\n".encode() + HOST + b"\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # RST on close
    told = strict_harness.stash().take(key, path="/client_gone", timeout=10)
    assert told == "told: ClientDisconnected"
    # The disconnect is not logged as a handler failure (no traceback spam).
    log = strict_harness.process.logs()  # type: ignore[attr-defined]
    assert "client_gone.py" not in log


@pytest.mark.parametrize("host", [b"[", b"x/sub", b"h?", b"a@b", b"x#y"])
def test_invalid_host_headers_get_400(strict_harness: Harness, host: bytes) -> None:
    reply = exchange(port_of(strict_harness, "http"), b"GET /static/hello.txt HTTP/1.1\r\nHost: " + host + b"\r\n\r\n")
    assert status_of(reply) == 400
    assert b"invalid Host header" in reply


def test_a_huge_range_number_is_no_problem(strict_harness: Harness) -> None:
    request = (
        b"GET /static/digits.txt HTTP/1.1\r\n"
        + HOST
        + b"Range: bytes=0-"
        + b"9" * 3000
        + b"\r\nConnection: close\r\n\r\n"
    )
    reply = exchange(port_of(strict_harness, "http"), request)
    assert status_of(reply) == 206
    assert b"Content-Range: bytes 0-999/1000" in reply


def test_empty_lines_do_not_keep_a_connection_open(strict_harness: Harness) -> None:
    """A client sending CRLFs now and then is cut at the head deadline like any slow head."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port_of(strict_harness, "http")), timeout=10) as sock:
        reply = b""
        for _ in range(40):
            try:
                sock.sendall(b"\r\n")
            except OSError:
                break
            sock.settimeout(0.1)
            try:
                chunk = sock.recv(4096)
            except TimeoutError:
                continue
            except ConnectionResetError:
                break
            reply += chunk
            if not chunk:
                break
    assert time.monotonic() - started < 3.5  # header_timeout is 1 s; 40 x 0.1 s would be 4 s
    assert reply == b"" or status_of(reply) == 408


def test_a_chunked_body_with_endless_trailers_is_refused(strict_harness: Harness) -> None:
    trailers = b"".join(b"X-T%d: %s\r\n" % (i, b"v" * 100) for i in range(200))
    request = b"POST /api/echo.py HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked\r\n\r\n0\r\n" + trailers + b"\r\n"
    assert status_of(exchange(port_of(strict_harness, "http"), request)) == 431
