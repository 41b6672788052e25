"""A queue made in the stash server crosses from a WS handler to an HTTP handler (msg_channel)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(("ws_scheme", "http_scheme"), [("ws", "http"), ("wss", "https")])
def test_queue_proxy_handoff(http_client, ws_connect, harness_token, ws_scheme: str, http_scheme: str) -> None:
    channel = ws_connect(f"/conformance/queue?id={harness_token}", ws_scheme)
    assert channel.recv(timeout=10) == "ready"
    sent = http_client.get(f"/conformance/queue_send.py?id={harness_token}&msg=over+the+channel", scheme=http_scheme)
    assert sent.text == "sent"
    assert channel.recv(timeout=10) == "over the channel"
