"""harness.site.static: Range parsing, Content-Type guessing, and serving files from a tmp dir."""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path

import pytest

from harness.http.response import Response
from harness.site.static import RangeNotSatisfiable, content_type_for, parse_range, serve_directory, serve_file

# -- parse_range ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        (b"bytes=0-9", 100, [(0, 10)]),
        (b"bytes=0-0", 100, [(0, 1)]),
        (b"bytes=99-99", 100, [(99, 100)]),
        (b"bytes=0-9,20-29", 100, [(0, 10), (20, 30)]),
        (b"bytes=20-29,0-9", 100, [(0, 10), (20, 30)]),
        (b"bytes=-10", 100, [(90, 100)]),
        (b"bytes=-500", 100, [(0, 100)]),
        (b"bytes=50-", 100, [(50, 100)]),
        (b"bytes=0-", 100, [(0, 100)]),
        (b"bytes=90-200", 100, [(90, 100)]),
        (b"bytes=0-10,5-20", 100, [(0, 21)]),
        (b"bytes=0-9,10-19", 100, [(0, 20)]),
        (b"bytes=0-50,10-20", 100, [(0, 51)]),
        (b"bytes=0-9,-10", 100, [(0, 10), (90, 100)]),
        (b"bytes=80-,-30", 100, [(70, 100)]),
        (b"bytes=0-9,500-600", 100, [(0, 10)]),
        (b"bytes=-0,0-0", 100, [(0, 1)]),
        (b"bytes= 0 - 9 , 20 - 29 ", 100, [(0, 10), (20, 30)]),
        (b"BYTES=0-9", 100, [(0, 10)]),
        (b" bytes =0-9", 100, [(0, 10)]),
        (b"bytes=0-9,,20-29", 100, [(0, 10), (20, 30)]),
        (b"bytes=0-99999999999999999999999", 100, [(0, 100)]),
    ],
    ids=lambda value: repr(value) if isinstance(value, bytes) else str(value),
)
def test_parse_range(header: bytes, size: int, expected: list[tuple[int, int]]) -> None:
    assert parse_range(header, size) == expected


@pytest.mark.parametrize(
    ("header", "size"),
    [(b"bytes=100-", 100), (b"bytes=200-300", 100), (b"bytes=-0", 100), (b"bytes=0-", 0), (b"bytes=100-100,200-", 100)],
    ids=repr,
)
def test_unsatisfiable_range(header: bytes, size: int) -> None:
    with pytest.raises(RangeNotSatisfiable, match=f"overlaps the {size} bytes"):
        parse_range(header, size)


@pytest.mark.parametrize(
    "header",
    [
        b"items=0-9",
        b"bytes 0-9",
        b"bytes=abc",
        b"bytes=9-0",
        b"bytes=-",
        b"bytes=5",
        b"bytes=1-2-3",
        b"bytes=+1-2",
        b"bytes=0x1-2",
        b"bytes=1.5-2",
        b"bytes=0-9,x",
        b"bytes=--5",
        b"",
    ],
    ids=repr,
)
def test_malformed_range_is_ignored(header: bytes) -> None:
    assert parse_range(header, 100) is None


def test_suffix_range_of_an_empty_file_selects_nothing() -> None:
    """An empty span (0, 0) overlaps none of 0 bytes; it would become "Content-Range: bytes 0--1/0"."""
    with pytest.raises(RangeNotSatisfiable):
        parse_range(b"bytes=-5", 0)


def test_range_not_satisfiable_is_a_value_error() -> None:
    assert issubclass(RangeNotSatisfiable, ValueError)


# -- content_type_for ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("index.html", "text/html"),
        ("/a/b/INDEX.HTML", "text/html"),
        ("page.htm", "text/html"),
        ("app.js", "text/javascript"),
        ("mod.mjs", "text/javascript"),
        ("style.css", "text/css"),
        ("data.json", "application/json"),
        ("image.svg", "image/svg+xml"),
        ("photo.JPG", "image/jpeg"),
        ("module.wasm", "application/wasm"),
        ("font.woff2", "font/woff2"),
        ("archive.tar.gz", "application/gzip"),
        ("events.event_stream", "text/event-stream"),
        ("page.xht", "application/xhtml+xml"),
        ("notes.md", "text/plain"),
        ("unknown.zzqx", "application/octet-stream"),
        ("no_extension", "application/octet-stream"),
        (".hidden", "application/octet-stream"),
        ("dir.d/file", "application/octet-stream"),
    ],
)
def test_content_type_for(path: str, content_type: str) -> None:
    assert content_type_for(path) == content_type


@pytest.mark.parametrize("path", ["report.csv", "script.py", "doc.rtf"])
def test_content_type_falls_back_to_mimetypes(path: str) -> None:
    expected = mimetypes.guess_type(path, strict=False)[0] or "application/octet-stream"
    assert content_type_for(path) == expected


# -- serve_file and serve_directory (plain files, no sockets) ------------------------------


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "data.txt"
    path.write_bytes(bytes(range(100)))
    return path


def test_serve_file_whole(data_file: Path) -> None:
    response = Response()
    serve_file("GET", None, str(data_file), response)
    assert response.status == (200, None)
    assert response.content == bytes(range(100))
    assert response.headers.get("Content-Type") == [b"text/plain"]
    assert response.headers.get("Accept-Ranges") == [b"bytes"]


def test_serve_file_single_range(data_file: Path) -> None:
    response = Response()
    serve_file("GET", b"bytes=10-19", str(data_file), response)
    assert response.status == (206, None)
    assert response.content == bytes(range(10, 20))
    assert response.headers.get("Content-Range") == [b"bytes 10-19/100"]


def test_serve_file_multiple_ranges_is_multipart(data_file: Path) -> None:
    response = Response()
    serve_file("GET", b"bytes=0-1,98-", str(data_file), response)
    assert response.status == (206, None)
    (content_type,) = response.headers.get("Content-Type")
    assert content_type.startswith(b"multipart/byteranges; boundary=")
    boundary = content_type.split(b"boundary=")[1]
    assert response.content.startswith(
        b"--" + boundary + b"\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/100"
    )
    assert b"\r\n\r\n\x00\x01\r\n" in response.content
    assert b"Content-Range: bytes 98-99/100\r\n\r\n\x62\x63\r\n" in response.content
    assert response.content.endswith(b"--" + boundary + b"--\r\n")


def test_serve_file_unsatisfiable_range_is_416(data_file: Path) -> None:
    response = Response()
    serve_file("GET", b"bytes=500-", str(data_file), response)
    assert response.status == (416, None)
    assert response.headers.get("Content-Range") == [b"bytes */100"]
    assert json.loads(response.content)["error"]["code"] == 416


def test_serve_file_suffix_range_of_an_empty_file_sends_no_invalid_content_range(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    response = Response()
    serve_file("GET", b"bytes=-5", str(empty), response)
    assert response.headers.get("Content-Range") in ([], [b"bytes */0"])
    assert response.status[0] in (200, 416)


def test_serve_file_malformed_range_sends_everything(data_file: Path) -> None:
    response = Response()
    serve_file("GET", b"bytes=9-0", str(data_file), response)
    assert (response.status, response.content) == ((200, None), bytes(range(100)))


def test_serve_file_other_methods_are_405(data_file: Path) -> None:
    response = Response()
    serve_file("POST", None, str(data_file), response)
    assert response.status == (405, None)
    assert response.headers.get("Allow") == [b"GET, HEAD"]


def test_serve_file_side_headers(tmp_path: Path, data_file: Path) -> None:
    (tmp_path / "__dir__.headers").write_text("X-Dir: 1\n")
    (tmp_path / "data.txt.headers").write_text("Content-Type: application/x-custom\nX-File: 2\nnot a header\n")
    response = Response()
    serve_file("GET", None, str(data_file), response)
    assert response.headers.get("Content-Type") == [b"application/x-custom"]
    assert response.headers.get("X-Dir") == [b"1"]
    assert response.headers.get("X-File") == [b"2"]


def test_serve_file_missing_is_404(tmp_path: Path) -> None:
    response = Response()
    serve_file("GET", None, str(tmp_path / "missing.txt"), response)
    assert response.status == (404, None)


def test_serve_directory_redirects_to_the_slash_form(tmp_path: Path) -> None:
    response = Response()
    serve_directory("GET", "/sub", str(tmp_path), response)
    assert response.status == (301, None)
    assert response.headers.get("Location") == [b"/sub/"]


def test_serve_directory_serves_index_html(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<p>index</p>")
    response = Response()
    serve_directory("GET", "/sub/", str(tmp_path), response)
    assert response.content == b"<p>index</p>"
    assert response.headers.get("Content-Type") == [b"text/html"]


def test_serve_directory_lists_escaped_names(tmp_path: Path) -> None:
    (tmp_path / "a<b>.txt").write_text("x")
    (tmp_path / "child").mkdir()
    response = Response()
    serve_directory("GET", "/sub/", str(tmp_path), response)
    assert response.headers.get("Content-Type") == [b"text/html; charset=utf-8"]
    assert '<a href="a&lt;b&gt;.txt">a&lt;b&gt;.txt</a>' in response.content
    assert '<li class="dir"><a href="child/">child/</a></li>' in response.content
    assert '<a href="../">..</a>' in response.content
    assert "a<b>" not in response.content
