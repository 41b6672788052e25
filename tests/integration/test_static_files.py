"""Static files over HTTP and HTTPS: types, lengths, side-file headers, HEAD, Range, directories."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import BIG_FILE_SIZE

pytestmark = pytest.mark.usefixtures("api_harness")


@pytest.fixture(params=["http", "https"])
def scheme(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/static/hello.txt", "text/plain"),
        ("/static/page.html", "text/html"),
        ("/static/script.js", "text/javascript"),
        ("/static/big.bin", "application/octet-stream"),
    ],
)
def test_content_type_and_length(api_client, api_root: Path, scheme: str, path: str, content_type: str) -> None:
    response = api_client.get(path, scheme=scheme)
    expected = (api_root / path.lstrip("/")).read_bytes()
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert response.headers["Content-Length"] == str(len(expected))
    assert response.content == expected


def test_side_file_headers(api_client, scheme: str) -> None:
    response = api_client.get("/static/hello.txt", scheme=scheme)
    assert response.headers["X-From-Side-File"] == "yes"
    assert response.headers["Cache-Control"] == "no-store"


def test_head_has_headers_and_no_body(api_client, scheme: str) -> None:
    response = api_client.head("/static/big.bin", scheme=scheme)
    assert response.status_code == 200
    assert response.headers["Content-Length"] == str(BIG_FILE_SIZE)
    assert response.content == b""
    # The connection is still usable after a HEAD (no body bytes were left behind).
    assert api_client.get("/static/hello.txt", scheme=scheme).text == "Hello, static world.\n"


@pytest.mark.parametrize(
    ("range_header", "expected_slice", "content_range"),
    [
        ("bytes=0-9", slice(0, 10), "bytes 0-9/1000"),
        ("bytes=990-", slice(990, 1000), "bytes 990-999/1000"),
        ("bytes=-5", slice(995, 1000), "bytes 995-999/1000"),
        ("bytes=500-5000", slice(500, 1000), "bytes 500-999/1000"),
    ],
)
def test_single_range(api_client, scheme: str, range_header: str, expected_slice: slice, content_range: str) -> None:
    digits = "".join(str(i % 10) for i in range(1000)).encode()
    response = api_client.get("/static/digits.txt", scheme=scheme, headers={"Range": range_header})
    assert response.status_code == 206
    assert response.headers["Content-Range"] == content_range
    assert response.content == digits[expected_slice]


def test_multiple_ranges(api_client, scheme: str) -> None:
    response = api_client.get("/static/digits.txt", scheme=scheme, headers={"Range": "bytes=0-1,10-11"})
    assert response.status_code == 206
    assert response.headers["Content-Type"].startswith("multipart/byteranges; boundary=")
    body = response.content
    assert b"Content-Range: bytes 0-1/1000\r\n\r\n01\r\n" in body
    assert b"Content-Range: bytes 10-11/1000\r\n\r\n01\r\n" in body


def test_unsatisfiable_range(api_client, scheme: str) -> None:
    response = api_client.get("/static/digits.txt", scheme=scheme, headers={"Range": "bytes=5000-6000"})
    assert response.status_code == 416
    assert response.headers["Content-Range"] == "bytes */1000"


def test_malformed_range_serves_the_whole_file(api_client) -> None:
    response = api_client.get("/static/digits.txt", headers={"Range": "bytes=abc"})
    assert response.status_code == 200
    assert len(response.content) == 1000


def test_missing_file_and_wrong_method(api_client, scheme: str) -> None:
    assert api_client.get("/static/nope.txt", scheme=scheme).status_code == 404
    response = api_client.post("/static/hello.txt", scheme=scheme, data=b"x")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD"


def test_directories(api_client, scheme: str) -> None:
    redirect = api_client.get("/static", scheme=scheme, allow_redirects=False)
    assert redirect.status_code == 301
    assert redirect.headers["Location"] == "/static/"
    listing = api_client.get("/static/", scheme=scheme)
    assert listing.status_code == 200
    assert 'href="hello.txt"' in listing.text


def test_websocket_handlers_are_not_served_over_http(api_client) -> None:
    response = api_client.get("/ws/echo_wsh.py")
    assert response.status_code == 404
    assert "WebSocket handler" in response.json()["error"]["message"]
