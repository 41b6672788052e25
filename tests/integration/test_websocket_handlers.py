"""WS and WSS handlers: the websockets API for ``ws``, the request surface, errors at the handshake."""

from __future__ import annotations

import json
import ssl

import pytest
from websockets.exceptions import ConnectionClosedError, InvalidStatus
from websockets.sync.client import connect

from pytest_harness import Harness


@pytest.fixture(params=["ws", "wss"])
def scheme(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_echo_text_and_binary(api_harness: Harness, scheme: str) -> None:
    with api_harness.ws_connect("/ws/echo", scheme) as ws:
        ws.send("text ✓")
        assert ws.recv(timeout=10) == "text ✓"
        ws.send(b"\x00\xffbinary")
        assert ws.recv(timeout=10) == b"\x00\xffbinary"


def test_wss_is_verified_against_the_run_ca(api_harness: Harness) -> None:
    with pytest.raises(ssl.SSLCertVerificationError):
        connect(api_harness.url("wss", "/ws/echo"), ssl=ssl.create_default_context(), open_timeout=10)


def test_request_surface(api_harness: Harness, scheme: str) -> None:
    with api_harness.ws_connect(
        "/ws/request?a=1", scheme, additional_headers={"X-Test": "handshake", "Cookie": "c=crumb"}
    ) as ws:
        info = json.loads(ws.recv(timeout=10))
    assert info == {
        "path": "/ws/request",
        "query_a": "1",
        "header": "handshake",
        "cookie": "crumb",
        "stash_default_path": "/ws/request",
        "scheme": scheme,
        "url": api_harness.url(scheme, "/ws/request?a=1"),
    }


@pytest.mark.parametrize("path", ["/ws/nope", "/", "/ws/../../etc/passwd", "/static/hello.txt"])
def test_unknown_paths_are_refused_at_the_handshake(api_harness: Harness, scheme: str, path: str) -> None:
    with pytest.raises(InvalidStatus) as refused:
        api_harness.ws_connect(path, scheme)
    assert refused.value.response.status_code == 404


def test_handler_without_main_is_refused_with_500(api_harness: Harness, scheme: str) -> None:
    with pytest.raises(InvalidStatus) as refused:
        api_harness.ws_connect("/broken/no_main", scheme)
    assert refused.value.response.status_code == 500
    assert b"defines no main(ws, request)" in refused.value.response.body


def test_handler_exception_closes_with_1011_and_the_server_goes_on(api_harness: Harness, scheme: str) -> None:
    with api_harness.ws_connect("/broken/raises", scheme) as ws:
        ws.send("trigger")
        with pytest.raises(ConnectionClosedError) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1011
    assert "ValueError" in closed.value.rcvd.reason
    with api_harness.ws_connect("/ws/echo", scheme) as ws:
        ws.send("still here")
        assert ws.recv(timeout=10) == "still here"
