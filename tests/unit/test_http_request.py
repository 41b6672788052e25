"""harness.http.request.Request built directly (no server): query, forms, cookies, auth, url."""

from __future__ import annotations

import base64

import pytest

from harness.http.datastructures import RequestHeaders
from harness.http.request import Authentication, HTTPException, Request, UploadedFile


def make(
    target: str = "/",
    headers: list[tuple[bytes, bytes]] | None = None,
    body: bytes = b"",
    method: str = "GET",
    version: str = "HTTP/1.1",
    **kwargs: object,
) -> Request:
    if headers is None:
        headers = [(b"Host", b"localhost:8000")]
    return Request(method, target, version, headers, body, scheme=kwargs.pop("scheme", "http"), **kwargs)  # type: ignore[arg-type]


# -- the query -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "name", "values"),
    [
        ("x=%E9", b"x", [b"\xe9"]),
        ("x=%C3%A9", b"x", [b"\xc3\xa9"]),
        ("x=caf\u00e9", b"x", [b"caf\xe9"]),  # a raw obs-text byte, as the parser hands it over
        ("x=a+b", b"x", [b"a b"]),
        ("x=a%2Bb", b"x", [b"a+b"]),
        ("x=%20", b"x", [b" "]),
        ("x=", b"x", [b""]),
        ("x", b"x", [b""]),
        ("x=1&x=2&x=", b"x", [b"1", b"2", b""]),
        ("%41%42=1", b"AB", [b"1"]),
        ("a+b=1", b"a b", [b"1"]),
        ("x=%zz", b"x", [b"%zz"]),
        ("x=%", b"x", [b"%"]),
        ("x=%00", b"x", [b"\x00"]),
        ("x=%FF%fe", b"x", [b"\xff\xfe"]),
        ("x=1;y=2", b"x", [b"1;y=2"]),
        ("x=a=b", b"x", [b"a=b"]),
    ],
    ids=repr,
)
def test_query_values_are_the_exact_percent_decoded_bytes(query: str, name: bytes, values: list[bytes]) -> None:
    request = make("/a.py?" + query)
    assert request.GET.get_list(name) == values
    assert request.GET.first(name.decode("latin-1")) == values[0]


def test_query_names_as_str_or_bytes() -> None:
    request = make("/a.py?id=1&id=2&other=3")
    assert request.GET.first("id") == request.GET.first(b"id") == b"1"
    assert request.GET.last("id") == b"2"
    assert request.GET["other"] == b"3"
    assert "missing" not in request.GET
    with pytest.raises(KeyError):
        request.GET.first("missing")


def test_no_query_is_an_empty_multidict() -> None:
    assert len(make("/a.py").GET) == 0
    assert len(make("/a.py?").GET) == 0


def test_fragment_is_not_part_of_the_query() -> None:
    assert make("/a.py?x=1#frag").GET.get_list("x") == [b"1"]


# -- url -----------------------------------------------------------------------------------


def test_url_uses_the_host_header() -> None:
    request = make("/a.py?x=1", headers=[(b"Host", b"example.test:8443")], scheme="https")
    assert request.url == "https://example.test:8443/a.py?x=1"
    assert request.url_parts.scheme == "https"
    assert request.url_parts.netloc == "example.test:8443"
    assert request.url_parts.path == "/a.py"
    assert request.url_parts.query == "x=1"


def test_url_without_host_uses_the_server_address() -> None:
    request = make("/a.py", headers=[], version="HTTP/1.0", server_host="127.0.0.1", server_port=8000)
    assert request.url == "http://127.0.0.1:8000/a.py"


def test_absolute_form_target_is_the_url() -> None:
    request = make("http://other.test:81/a.py?x=%E9", headers=[(b"Host", b"ignored")])
    assert request.url == "http://other.test:81/a.py?x=%E9"
    assert request.GET.first("x") == b"\xe9"


def test_url_path_stays_percent_encoded() -> None:
    assert make("/a%20b.py?q=%20").url_parts.path == "/a%20b.py"


def test_request_attributes() -> None:
    request = make(
        "/p.py", headers=[(b"Host", b"h"), (b"X-A", b"1")], body=b"data", method="PUT", client_address=("1.2.3.4", 5)
    )
    assert (request.method, request.request_path, request.protocol_version) == ("PUT", "/p.py", "HTTP/1.1")
    assert isinstance(request.headers, RequestHeaders)
    assert request.headers["x-a"] == b"1"
    assert request.raw_input.read() == b"data"
    assert request.client_address == ("1.2.3.4", 5)
    assert request.doc_root is None
    assert repr(request) == "<Request PUT http://h/p.py>"


def test_server_of_a_detached_request_is_runtime_error() -> None:
    with pytest.raises(RuntimeError, match="not attached to a running server"):
        _ = make().server


# -- forms ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        b"application/x-www-form-urlencoded",
        b"application/x-www-form-urlencoded; charset=UTF-8",
        b"Application/X-WWW-Form-Urlencoded",
        b" application/x-www-form-urlencoded ;charset=latin-1",
    ],
)
def test_urlencoded_post(content_type: bytes) -> None:
    request = make(
        method="POST", headers=[(b"Host", b"h"), (b"Content-Type", content_type)], body=b"a=1&b=%E9&c=x+y&a=2&d="
    )
    assert request.POST.get_list("a") == [b"1", b"2"]
    assert request.POST.first("b") == b"\xe9"
    assert request.POST.first("c") == b"x y"
    assert request.POST.first("d") == b""


def test_urlencoded_body_with_raw_non_ascii_bytes() -> None:
    request = make(
        method="POST",
        headers=[(b"Host", b"h"), (b"Content-Type", b"application/x-www-form-urlencoded")],
        body=b"n=caf\xc3\xa9",
    )
    assert request.POST.first("n") == b"caf\xc3\xa9"


@pytest.mark.parametrize("content_type", [None, b"text/plain", b"application/json", b"multipart/mixed; boundary=x"])
def test_other_bodies_give_no_form_fields(content_type: bytes | None) -> None:
    headers = [(b"Host", b"h")] + ([(b"Content-Type", content_type)] if content_type else [])
    assert len(make(method="POST", headers=headers, body=b"a=1").POST) == 0


BOUNDARY = b"----harness-boundary-7d3"


def multipart(*parts: bytes, boundary: bytes = BOUNDARY) -> bytes:
    body = b"".join(b"--" + boundary + b"\r\n" + part + b"\r\n" for part in parts)
    return body + b"--" + boundary + b"--\r\n"


def post_multipart(body: bytes, boundary: bytes = BOUNDARY) -> Request:
    content_type = b"multipart/form-data; boundary=" + boundary
    return make(method="POST", headers=[(b"Host", b"h"), (b"Content-Type", content_type)], body=body)


def test_multipart_fields_and_file() -> None:
    body = multipart(
        b'Content-Disposition: form-data; name="title"\r\n\r\nhello',
        b'Content-Disposition: form-data; name="upload"; filename="notes.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nline 1\r\nline 2",
        b'Content-Disposition: form-data; name="title"\r\n\r\nagain',
        b'Content-Disposition: form-data; name="blob"; filename="b.bin"\r\n\r\n\x00\xff\x01',
    )
    request = post_multipart(body)
    assert request.POST.get_list("title") == [b"hello", b"again"]
    upload = request.POST.first("upload")
    assert isinstance(upload, UploadedFile)
    assert (upload.filename, upload.value, upload.type) == ("notes.txt", b"line 1\r\nline 2", "text/plain")
    assert upload.file.read() == b"line 1\r\nline 2"
    assert upload.headers["Content-Type"] == "text/plain"
    blob = request.POST[b"blob"]
    assert isinstance(blob, UploadedFile)
    assert blob.value == b"\x00\xff\x01"
    assert blob.type == "text/plain"  # email's default for a part without Content-Type


def test_multipart_utf8_field_name() -> None:
    """Browsers send non-ASCII field names as raw UTF-8 in multipart/form-data."""
    body = multipart('Content-Disposition: form-data; name="caf\u00e9"\r\n\r\nx'.encode())
    assert post_multipart(body).POST.multi_items() == [("caf\u00e9".encode(), b"x")]


def test_multipart_utf8_filename() -> None:
    """Browsers send non-ASCII file names as raw UTF-8 too; the upload must not fail."""
    body = multipart(
        'Content-Disposition: form-data; name="upload"; filename="r\u00e9sum\u00e9.txt"\r\n'
        "Content-Type: text/plain\r\n\r\ncontent".encode()
    )
    upload = post_multipart(body).POST.first("upload")
    assert isinstance(upload, UploadedFile)
    assert (upload.filename, upload.value, upload.type) == ("r\u00e9sum\u00e9.txt", b"content", "text/plain")


def test_multipart_part_without_a_name_is_skipped() -> None:
    body = multipart(
        b"Content-Disposition: form-data\r\n\r\nnameless", b'Content-Disposition: form-data; name="a"\r\n\r\n1'
    )
    assert post_multipart(body).POST.multi_items() == [(b"a", b"1")]


def test_multipart_empty_field() -> None:
    assert post_multipart(multipart(b'Content-Disposition: form-data; name="e"\r\n\r\n')).POST.first("e") == b""


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        (b"multipart/form-data", b"junk"),
        (b"multipart/form-data; boundary=" + BOUNDARY, b"no boundary in here"),
        (b"multipart/form-data; boundary=" + BOUNDARY, b""),
    ],
    ids=["no-boundary-parameter", "no-boundary-in-body", "empty-body"],
)
def test_malformed_multipart_is_http_400(content_type: bytes, body: bytes) -> None:
    request = make(method="POST", headers=[(b"Host", b"h"), (b"Content-Type", content_type)], body=body)
    with pytest.raises(HTTPException) as info:
        _ = request.POST
    assert info.value.code == 400
    assert str(info.value) == "400: malformed multipart/form-data body"


# -- cookies -------------------------------------------------------------------------------


def test_cookies_from_one_header() -> None:
    request = make(headers=[(b"Host", b"h"), (b"Cookie", b"a=1;b=2 ; c=x=y; flag; =anon; e=")])
    cookies = request.cookies
    assert cookies["a"] == b"1"
    assert cookies["b"].value == b"2"
    assert cookies["c"] == b"x=y"
    assert cookies["e"] == b""
    assert "flag" not in cookies
    assert cookies.keys() == [b"a", b"b", b"c", b"e"]
    assert cookies["a"].key == "a"


def test_whitespace_around_cookie_names_is_ignored_like_around_values() -> None:
    request = make(headers=[(b"Host", b"h"), (b"Cookie", b"a = 1; b\t=2")])
    assert request.cookies.keys() == [b"a", b"b"]
    assert request.cookies["a"] == b"1"
    assert request.cookies["a"].key == "a"


def test_repeated_cookie_gives_the_last_through_index() -> None:
    request = make(headers=[(b"Host", b"h"), (b"Cookie", b"a=1; a=2"), (b"cookie", b"a=3; z=9")])
    assert request.cookies["a"] == b"3"
    assert request.cookies.first("a") == b"1"
    assert [cookie.value for cookie in request.cookies.get_list("a")] == [b"1", b"2", b"3"]
    assert request.cookies["z"] == b"9"


def test_no_cookie_header_gives_no_cookies() -> None:
    assert len(make().cookies) == 0


# -- Basic auth ----------------------------------------------------------------------------


def basic(credentials: bytes, scheme: bytes = b"Basic") -> Request:
    return make(headers=[(b"Host", b"h"), (b"Authorization", scheme + b" " + base64.b64encode(credentials))])


@pytest.mark.parametrize(
    ("credentials", "username", "password"),
    [
        (b"user:pass", b"user", b"pass"),
        (b"user:pa:ss", b"user", b"pa:ss"),
        (b"user:", b"user", b""),
        (b":pass", b"", b"pass"),
        (b"nocolon", b"nocolon", b""),
        (b"\xc3\xa9:\xff", b"\xc3\xa9", b"\xff"),
    ],
)
def test_basic_credentials(credentials: bytes, username: bytes, password: bytes) -> None:
    assert basic(credentials).auth == Authentication(username, password)


@pytest.mark.parametrize("scheme", [b"basic", b"BASIC"])
def test_basic_scheme_is_case_insensitive(scheme: bytes) -> None:
    assert basic(b"u:p", scheme).auth == Authentication(b"u", b"p")


def test_no_or_other_authorization_gives_none() -> None:
    assert make().auth == Authentication(None, None)
    request = make(headers=[(b"Host", b"h"), (b"Authorization", b"Bearer abc.def")])
    assert request.auth == Authentication(None, None)


@pytest.mark.parametrize("encoded", [b"not base64!", b"dXNlcjpwYXN", b"\xff\xfe", b"dXNl cjpw"], ids=repr)
def test_malformed_basic_credentials_are_http_400(encoded: bytes) -> None:
    request = make(headers=[(b"Host", b"h"), (b"Authorization", b"Basic " + encoded)])
    with pytest.raises(HTTPException) as info:
        _ = request.auth
    assert info.value.code == 400
    assert "malformed Basic credentials" in str(info.value)


def test_http_exception_str() -> None:
    assert str(HTTPException(404)) == "404"
    assert str(HTTPException(400, "id is required")) == "400: id is required"
    assert HTTPException(418, "teapot").message == "teapot"
