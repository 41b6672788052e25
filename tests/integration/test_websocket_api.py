"""The ``ws`` object behaves like websockets' sync ServerConnection, over WS and WSS."""

from __future__ import annotations

import json
import threading

import pytest
from websockets.exceptions import ConnectionClosedError, ConnectionClosedOK

from pytest_harness import Harness


@pytest.fixture(params=["ws", "wss"])
def scheme(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def open_api(harness: Harness, scheme: str, harness_token: str, **kwargs):
    ws = harness.ws_connect(f"/ws/api?id={harness_token}", scheme, **kwargs)
    hello = json.loads(ws.recv(timeout=10))
    return ws, hello


def test_request_and_subprotocol(api_harness: Harness, scheme: str, harness_token: str) -> None:
    ws, hello = open_api(
        api_harness, scheme, harness_token, subprotocols=["chat.v1", "chat.v2"], user_agent_header="probe/1"
    )
    with ws:
        assert hello == {"subprotocol": "chat.v1", "path": f"/ws/api?id={harness_token}", "agent": "probe/1"}
        assert ws.subprotocol == "chat.v1"


def test_no_common_subprotocol_means_none(api_harness: Harness, scheme: str, harness_token: str) -> None:
    ws, hello = open_api(api_harness, scheme, harness_token)
    with ws:
        assert hello["subprotocol"] is None


def test_fragmented_messages_both_ways(api_harness: Harness, scheme: str, harness_token: str) -> None:
    ws, _ = open_api(api_harness, scheme, harness_token)
    with ws:
        ws.send(["frag", "mented"])  # the client sends three frames
        assert ws.recv(timeout=10) == "echo: fragmented"
        ws.send("fragments")
        assert ws.recv(timeout=10) == "onetwothree"
        ws.send("binary-fragments")
        assert ws.recv(timeout=10) == b"\x01\x02"
        ws.send(b"\x00" * 70000)  # a 64-bit length frame
        assert ws.recv(timeout=10) == b"\x00" * 70000


def test_recv_timeout_and_decode(api_harness: Harness, scheme: str, harness_token: str) -> None:
    ws, _ = open_api(api_harness, scheme, harness_token)
    with ws:
        ws.send("timeout")
        assert ws.recv(timeout=10) == "timed out"
        ws.send("decode-false")
        ws.send("text as bytes")
        assert ws.recv(timeout=10) == repr(b"text as bytes")


def test_pings_both_ways(api_harness: Harness, scheme: str, harness_token: str) -> None:
    ws, _ = open_api(api_harness, scheme, harness_token)
    with ws:
        assert ws.ping(b"client ping").wait(10)
        ws.send("ping")
        assert ws.recv(timeout=10) == "pinged"
        ws.send("after")
        assert ws.recv(timeout=10) == "after, pong received: True"


def test_the_handler_closes_with_its_own_code(api_harness: Harness, scheme: str, harness_token: str) -> None:
    ws, _ = open_api(api_harness, scheme, harness_token)
    ws.send("close-4000")
    with pytest.raises(ConnectionClosedError) as closed:  # 4000 is not one of the "OK" codes
        ws.recv(timeout=10)
    ws.close()
    assert ws.close_code == 4000
    assert ws.close_reason == "custom reason"
    assert "4000" in str(closed.value)


def test_a_clean_client_close_ends_the_handlers_loop(api_harness: Harness, scheme: str, harness_token: str) -> None:
    ws, _ = open_api(api_harness, scheme, harness_token)
    ws.close(1001)
    assert api_harness.stash().take(harness_token, path="/ws-api", timeout=10) == "closed ok 1001"


def test_two_threads_cannot_recv_at_once(api_harness: Harness) -> None:
    """The server-side rule websockets has: one reader at a time (ConcurrencyError)."""
    with api_harness.ws_connect("/ws/concurrent_recv", "ws") as ws:
        assert ws.recv(timeout=10) == "ConcurrencyError"


def test_server_shutdown_closes_websockets_with_1001(tmp_path, api_root) -> None:
    from harness.run.launcher import HarnessProcess

    process = HarnessProcess(doc_root=api_root, workdir=tmp_path)
    harness = Harness(process.start())
    ws = harness.ws_connect("/ws/echo", "ws")
    ws.send("hello")
    assert ws.recv(timeout=10) == "hello"
    stopper = threading.Thread(target=process.stop)
    stopper.start()
    with pytest.raises(ConnectionClosedOK):
        ws.recv(timeout=10)
    stopper.join(15)
    assert ws.close_code == 1001


def test_a_failing_subprotocol_chooser_is_a_500_at_the_handshake(api_harness: Harness) -> None:
    from websockets.exceptions import InvalidStatus

    with pytest.raises(InvalidStatus) as refused:
        api_harness.ws_connect("/broken/bad_subprotocol", "ws", subprotocols=["chat"])
    assert refused.value.response.status_code == 500
    assert b"select_subprotocol raised RuntimeError" in refused.value.response.body


def test_a_fragmented_send_that_fails_closes_with_1011(api_harness: Harness, scheme: str) -> None:
    with api_harness.ws_connect("/ws/fragments_fail", scheme) as ws:
        ws.send("go")
        with pytest.raises(ConnectionClosedError) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1011
