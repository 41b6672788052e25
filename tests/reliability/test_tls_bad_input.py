"""TLS misuse: plain HTTP on TLS ports, stalled handshakes, clients that distrust the CA."""

from __future__ import annotations

import socket
import ssl
import time

import pytest

from pytest_harness import Harness

from .conftest import exchange, port_of, read_until_closed, status_of

pytestmark = pytest.mark.usefixtures("stash_sentinel")


@pytest.fixture(autouse=True)
def tls_still_serving(strict_harness: Harness):
    yield
    with strict_harness.http_session() as session:
        assert session.get("/static/hello.txt", scheme="https", timeout=10).status_code == 200
    with strict_harness.ws_connect("/ws/echo", "wss") as ws:
        ws.send("alive")
        assert ws.recv(timeout=10) == "alive"


@pytest.mark.parametrize(("scheme", "path"), [("https", b"/"), ("wss", b"/ws/echo")])
def test_plain_text_to_a_tls_port_gets_a_plain_400(strict_harness: Harness, scheme: str, path: bytes) -> None:
    reply = exchange(port_of(strict_harness, scheme), b"GET " + path + b" HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert status_of(reply) == 400
    assert b"this port speaks TLS; the request was sent in plain text" in reply


@pytest.mark.parametrize("scheme", ["https", "wss"])
def test_a_handshake_that_never_completes_is_cut(strict_harness: Harness, scheme: str) -> None:
    """Half a ClientHello, then silence: the server closes at its deadline."""
    with socket.create_connection(("127.0.0.1", port_of(strict_harness, scheme)), timeout=10) as sock:
        sock.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
        started = time.monotonic()
        read_until_closed(sock, 8)
        assert time.monotonic() - started < 6  # 1 s (https) or 2 s (wss) deadlines


@pytest.mark.parametrize("scheme", ["https", "wss"])
def test_a_client_that_does_not_trust_the_ca_fails_and_the_server_goes_on(strict_harness: Harness, scheme: str) -> None:
    context = ssl.create_default_context()  # the system's CAs only
    with (
        pytest.raises(ssl.SSLCertVerificationError),
        socket.create_connection(("127.0.0.1", port_of(strict_harness, scheme)), timeout=10) as raw,
    ):
        context.wrap_socket(raw, server_hostname="localhost")


def test_tls_servers_send_no_session_tickets(strict_harness: Harness) -> None:
    """websockets' sync client races on post-handshake tickets (see harness/run/tls.py)."""
    from harness.run.tls import TLSMaterial, server_ssl_context

    run_dir = strict_harness.ca_cert.parent
    context = server_ssl_context(TLSMaterial(run_dir / "server.pem", run_dir / "server.key", run_dir / "ca.pem"))
    assert context.num_tickets == 0
