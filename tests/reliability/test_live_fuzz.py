"""Property-based fuzzing of the running HTTP server (hypothesis): every request, however
broken, gets a well-formed answer that is never a 500, or a close when it was incomplete."""

from __future__ import annotations

import socket

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_harness import Harness

from .conftest import port_of, read_until_closed, status_of

pytestmark = pytest.mark.usefixtures("stash_sentinel")

ALLOWED = {200, 206, 301, 400, 404, 405, 408, 413, 416, 417, 431, 501, 505}

methods = st.sampled_from([b"GET", b"HEAD", b"POST", b"PUT", b"DELETE", b"OPTIONS", b"G\x00T", b"", b"GET GET"])
targets = st.one_of(
    st.sampled_from([b"/static/hello.txt", b"/static/digits.txt", b"/api/echo.py", b"/static/", b"/", b"*"]),
    st.binary(min_size=0, max_size=40).map(lambda b: b"/" + b),
    st.lists(
        st.sampled_from([b"..", b"%2e%2e", b"%00", b"%ff", b"static", b"%2f", b"caf\xc3\xa9", b"\xff"]), max_size=5
    ).map(lambda parts: b"/" + b"/".join(parts)),
)
versions = st.sampled_from([b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2.0", b"HTTP/1.9", b"HTTP/x", b"http/1.1", b""])
header_names = st.one_of(
    st.sampled_from([b"Host", b"Content-Length", b"Transfer-Encoding", b"Range", b"Expect", b"Connection", b"Cookie"]),
    st.binary(min_size=0, max_size=12),
)
header_values = st.one_of(
    st.sampled_from(
        [b"localhost", b"0", b"5", b"-1", b"99999999999999999999", b"chunked", b"gzip, chunked", b"bytes=0-3"]
    ),
    st.binary(min_size=0, max_size=24),
)
bodies = st.one_of(
    st.just(b""),
    st.binary(max_size=64),
    st.sampled_from([b"5\r\nhello\r\n0\r\n\r\n", b"zz\r\n\r\n", b"3\r\nabc\r\n"]),
)


@st.composite
def requests_bytes(draw: st.DrawFn) -> bytes:
    line = draw(methods) + b" " + draw(targets) + b" " + draw(versions)
    headers = draw(st.lists(st.tuples(header_names, header_values), max_size=6))
    if draw(st.booleans()):
        headers.insert(0, (b"Host", b"localhost"))
    separator = draw(st.sampled_from([b"\r\n", b"\n", b"\r\n"]))
    head = line + separator + b"".join(name + b": " + value + separator for name, value in headers)
    return head + separator + draw(bodies)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(request_bytes=requests_bytes())
def test_any_request_gets_a_well_formed_answer(strict_harness: Harness, request_bytes: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port_of(strict_harness, "http")), timeout=10) as sock:
        sock.sendall(request_bytes)
        sock.shutdown(socket.SHUT_WR)  # nothing more is coming: a complete request is answered, then closed
        reply = read_until_closed(sock, 5)
    if reply:
        assert status_of(reply) in ALLOWED, reply[:200]


def test_the_server_still_serves_after_the_fuzzing(strict_harness: Harness) -> None:
    with strict_harness.http_session() as session:
        assert session.get("/static/hello.txt").text == "Hello, static world.\n"
