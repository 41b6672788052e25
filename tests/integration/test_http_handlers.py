"""The handler contract over real HTTP and HTTPS (TLS verified against the run's CA)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from pytest_harness import Harness

SCHEMES = ["http", "https"]


@pytest.fixture(params=SCHEMES)
def scheme(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_https_is_verified_against_the_run_ca(api_harness: Harness) -> None:
    ok = requests.get(api_harness.url("https", "/api/returns.py?kind=str"), verify=str(api_harness.ca_cert), timeout=10)
    assert ok.text == "a string"
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(api_harness.url("https", "/api/returns.py?kind=str"), timeout=10)  # system CAs only


def test_request_surface(api_client, api_harness: Harness, scheme: str) -> None:
    response = api_client.post(
        "/api/echo.py?a=1&a=%E9&b=&c=x+y",
        scheme=scheme,
        data={"field": "value", "other": "ü"},
        headers={"X-Test": "first", "Cookie": "c1=v1; c2=v2"},
        auth=("user", "pa:ss"),
    )
    assert response.status_code == 200
    info = response.json()
    assert info["method"] == "POST"
    assert info["path"] == "/api/echo.py"
    assert info["url"] == api_harness.url(scheme, "/api/echo.py?a=1&a=%E9&b=&c=x+y")
    assert info["GET"] == {"a": ["1", "\xe9"], "b": [""], "c": ["x y"]}
    assert info["GET_first_str"] == info["GET_first_bytes"] == "1"
    assert info["a_in_GET"] is True
    assert info["POST"] == {"field": ["value"], "other": ["ü".encode().decode("latin-1")]}
    assert info["header_x_test"] == "first"
    assert info["cookies"] == {"c1": "v1", "c2": "v2"}
    assert info["auth"] == ["user", "pa:ss"]
    assert info["client_address"][0] == "127.0.0.1"
    assert info["scheme"] == scheme
    assert info["stash_default_path"] == "/api/echo.py"
    assert info["wss_url"] == api_harness.url("wss", "/x")


def test_multipart_upload(api_client, scheme: str) -> None:
    response = api_client.post(
        "/api/echo.py",
        scheme=scheme,
        files={"upload": ("notes.txt", b"file contents", "text/plain")},
        data={"plain": "field"},
    )
    info = response.json()
    assert info["POST"]["upload"] == [{"filename": "notes.txt", "value": "file contents", "type": "text/plain"}]
    assert info["POST"]["plain"] == ["field"]


def test_repeated_request_headers_are_all_kept(api_harness: Harness) -> None:
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", _port(api_harness, "http"), timeout=10)
    connection.putrequest("GET", "/api/echo.py")
    connection.putheader("X-Test", "one")
    connection.putheader("X-Test", "two")
    connection.endheaders()
    info = json.loads(connection.getresponse().read())
    connection.close()
    assert info["header_x_test"] == "one, two"
    assert info["header_x_test_list"] == ["one", "two"]


@pytest.mark.parametrize(
    ("kind", "status", "body", "header"),
    [
        ("str", 200, b"a string", None),
        ("bytes", 200, b"\x00\x01bytes", None),
        ("pair", 200, b"headers and body", "pair"),
        ("triple", 201, b"status, headers and body", "triple"),
        ("triple_message", 418, b"short and stout", None),
        ("none", 202, b"set on response", None),
        ("generator", 200, b"one,two,three", None),
        ("list", 200, b"abc", None),
    ],
)
def test_return_conventions(api_client, scheme: str, kind: str, status: int, body: bytes, header: str | None) -> None:
    response = api_client.get(f"/api/returns.py?kind={kind}", scheme=scheme)
    assert response.status_code == status
    assert response.content == body
    assert response.headers.get("X-Kind") == header
    if kind == "triple_message":
        assert response.reason == "I'm a teapot"
    if kind == "generator":
        assert response.headers["Transfer-Encoding"] == "chunked"
    else:
        assert response.headers["Content-Length"] == str(len(body))


def test_status_and_headers(api_client, scheme: str) -> None:
    response = api_client.get(
        "/api/respond.py?status=404&message=Gone&set=X-One:1&append=X-Many:a&append=X-Many:b&int=X-Int:7&body=bye",
        scheme=scheme,
    )
    assert (response.status_code, response.reason) == (404, "Gone")
    assert response.headers["X-One"] == "1"
    assert response.headers["X-Many"] == "a, b"
    assert response.headers["X-Int"] == "7"
    assert response.text == "bye"


def test_cookies_round_trip(api_client, scheme: str) -> None:
    response = api_client.get(
        "/api/cookies.py?name=flavour&value=oat&max_age=60&samesite=Lax&httponly=1", scheme=scheme
    )
    header = response.headers["Set-Cookie"]
    assert header.startswith("flavour=oat")
    for attribute in ("Max-Age=60", "Path=/", "SameSite=Lax", "HttpOnly"):
        assert attribute in header
    echoed = api_client.get("/api/echo.py", scheme=scheme).json()
    assert echoed["cookies"]["flavour"] == "oat"
    deleted = api_client.get("/api/cookies.py?delete=flavour", scheme=scheme)
    assert "Max-Age=0" in deleted.headers["Set-Cookie"]


def test_set_error_has_wptserve_json_shape(api_client, scheme: str) -> None:
    response = api_client.get("/api/set_error.py?code=409&message=conflict+here", scheme=scheme)
    assert response.status_code == 409
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"error": {"code": 409, "message": "conflict here"}}


def test_http_exception_sets_status(api_client, scheme: str) -> None:
    response = api_client.get("/api/http_exception.py", scheme=scheme)
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "members only"


@pytest.mark.parametrize("declared_length", [False, True])
def test_writer_gives_raw_control(api_client, scheme: str, declared_length: bool) -> None:
    response = api_client.get("/api/writer.py" + ("?length=1" if declared_length else ""), scheme=scheme)
    assert (response.status_code, response.reason) == (203, "Raw")
    assert response.headers["X-Raw"] == "1"
    assert response.content == b"written raw"


def test_writer_with_content_length_keeps_the_connection(api_harness: Harness) -> None:
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", _port(api_harness, "http"), timeout=10)
    ports = set()
    for _ in range(2):
        connection.request("GET", "/api/writer.py?length=1")
        assert connection.getresponse().read() == b"written raw"
        connection.request("GET", "/api/echo.py")
        ports.add(json.loads(connection.getresponse().read())["client_address"][1])
    connection.close()
    assert len(ports) == 1


def test_helper_modules_and_current_request(api_client) -> None:
    assert api_client.get("/api/helper_import.py").text == "hello from a helper module"
    assert api_client.get("/api/current_request.py").text == "/api/current_request.py"


def test_header_injection_is_refused(api_client, scheme: str) -> None:
    response = api_client.get("/api/header_split.py", scheme=scheme)
    assert response.status_code == 500
    assert "X-Injected" not in response.headers
    assert "evil" not in response.headers.get("Set-Cookie", "")
    assert "would split the response" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/broken/no_main.py", "defines no main(request, response) function"),
        ("/broken/syntax_error.py", "SyntaxError in handler file"),
        ("/broken/raises.py", "ValueError: the handler broke on purpose"),
        ("/broken/module_raises.py", "RuntimeError while loading: the module body broke on purpose"),
        ("/broken/exits.py", "called sys.exit(3); the server goes on"),
        ("/broken/bad_return.py", "main's return value is int"),
        ("/broken/bad_tuple.py", "a tuple of 4 items"),
    ],
)
def test_broken_handlers_give_500_and_the_server_goes_on(api_client, scheme: str, path: str, expected: str) -> None:
    response = api_client.get(path, scheme=scheme)
    assert response.status_code == 500
    message = response.json()["error"]["message"]
    assert expected in message
    if path == "/broken/raises.py":
        assert "Traceback (most recent call last)" in message
    assert api_client.get("/api/returns.py?kind=str", scheme=scheme).text == "a string"


def test_handler_edits_apply_without_restart(api_client, api_root: Path) -> None:
    handler = api_root / "api" / "edit_me.py"
    original = handler.read_text()
    try:
        assert api_client.get("/api/edit_me.py").text == "version 1"
        handler.write_text(original.replace("version 1", "version 2"))
        assert api_client.get("/api/edit_me.py").text == "version 2"
        assert api_client.get("/api/edit_me.py", scheme="https").text == "version 2"
    finally:
        handler.write_text(original)


@pytest.mark.parametrize(
    "path",
    ["/../etc/passwd", "/%2e%2e/etc/passwd", "/api/%2E%2E/%2e%2e/etc/passwd", "/static/..%2f..%2fetc%2fpasswd"],
)
def test_paths_that_escape_the_root_get_404(api_harness: Harness, path: str) -> None:
    import socket

    with socket.create_connection(("127.0.0.1", _port(api_harness, "http")), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 404 ")
    assert b"root:" not in reply


def test_symlink_out_of_the_root_gets_404(api_client, api_root: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    link = api_root / "static" / "escape.txt"
    link.symlink_to(secret)
    try:
        response = api_client.get("/static/escape.txt")
        assert response.status_code == 404
        assert "TOP-SECRET-CONTENT" not in response.text
    finally:
        link.unlink()


def test_keep_alive_serves_many_requests_on_one_connection(api_harness: Harness) -> None:
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", _port(api_harness, "http"), timeout=10)
    client_ports = set()
    for _ in range(20):
        connection.request("GET", "/api/echo.py")
        client_ports.add(json.loads(connection.getresponse().read())["client_address"][1])
    connection.close()
    assert len(client_ports) == 1


def _port(harness: Harness, scheme: str) -> int:
    return int(harness.urls[scheme].rsplit(":", 1)[1])


def test_a_body_that_cannot_be_sent_is_a_500(api_client, scheme: str) -> None:
    response = api_client.get("/broken/bad_body.py", scheme=scheme)
    assert response.status_code == 500
    assert "cannot be sent" in response.text
    assert api_client.get("/api/bytearray_body.py", scheme=scheme).content == b"from a bytearray"


def test_an_unfinished_raw_head_goes_out_as_written(api_harness: Harness) -> None:
    import socket

    with socket.create_connection(("127.0.0.1", _port(api_harness, "http")), timeout=10) as sock:
        sock.sendall(b"GET /api/unfinished_head.py HTTP/1.1\r\nHost: localhost\r\n\r\n")
        received = b""
        while chunk := sock.recv(4096):
            received += chunk
    assert received.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"X-Unfinished: yes\r\n" in received


def test_handlers_that_print_do_not_block(api_client) -> None:
    """The harness's stdout is drained after start: 200 KB per request, many requests."""
    for _ in range(6):
        assert api_client.get("/api/print_lots.py", timeout=30).text == "printed"
