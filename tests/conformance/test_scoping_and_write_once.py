"""Default path scoping, and write-once / read-once across protocols."""

from __future__ import annotations

import pytest

from bench.endpoints import WSEndpoint


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_value_put_by_a_is_invisible_to_b(http_client, stash, token, scheme: str) -> None:
    assert http_client.get(f"/conformance/a.py?op=put&id={token}&value=mine", scheme=scheme).text == "stored"
    assert http_client.get(f"/conformance/b.py?op=take&id={token}", scheme=scheme).status_code == 404
    assert stash.take(token, path="/conformance/b.py") is None
    assert http_client.get(f"/conformance/a.py?op=take&id={token}", scheme=scheme).text == "mine"


def test_b_reaches_a_value_of_a_only_by_naming_its_path(http_client, endpoint, token) -> None:
    assert http_client.get(f"/conformance/a.py?op=put&id={token}&value=named").text == "stored"
    assert endpoint("https").take(token, "/conformance/a.py") == "named"


def test_a_ws_handlers_second_put_of_an_https_key_fails(endpoint, token) -> None:
    https, ws = endpoint("https"), endpoint("ws")
    assert https.put(token, "first", "/conformance/once") is None
    refusal = ws.put(token, "second", "/conformance/once")
    assert refusal is not None
    assert "already holds a value (values are write-once)" in refusal
    assert ws.take(token, "/conformance/once") == "first"


def test_the_https_handlers_response_says_its_second_put_failed(endpoint, token) -> None:
    wss, https = endpoint("wss"), endpoint("https")
    assert wss.put(token, "first", "/conformance/once") is None
    refusal = https.put(token, "second", "/conformance/once")
    assert refusal is not None
    assert refusal.startswith("put refused:")
    assert "write-once" in refusal
    assert https.take(token, "/conformance/once") == "first"


def test_read_once_across_protocols(endpoint, token) -> None:
    assert endpoint("test").put(token, "once", "/conformance/once") is None
    assert endpoint("wss").take(token, "/conformance/once") == "once"
    assert endpoint("http").take(token, "/conformance/once") is None
    ws = endpoint("ws")
    assert isinstance(ws, WSEndpoint)
    assert ws.take(token, "/conformance/once") is None
