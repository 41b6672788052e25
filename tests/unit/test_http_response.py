"""harness.http.response: ResponseHeaders, Response (status, cookies, errors, head) and ResponseWriter."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

import pytest

from harness.http.response import ClientDisconnected, Response, ResponseHeaders, ResponseWriter
from tests.support import split_head


class RecordingSink:
    """Stands for the connection: keeps every ``send`` separately, or fails like a dead socket."""

    def __init__(self, fail_with: BaseException | None = None) -> None:
        self.sends: list[bytes] = []
        self.fail_with = fail_with

    def send(self, data: bytes) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.sends.append(bytes(data))

    @property
    def data(self) -> bytes:
        return b"".join(self.sends)


# -- ResponseHeaders -----------------------------------------------------------------------


def test_set_replaces_and_append_adds() -> None:
    headers = ResponseHeaders()
    headers.set("X-A", "1")
    headers.append("x-a", b"2")
    assert headers.get("X-A") == [b"1", b"2"]
    headers.set("x-A", 3)
    assert headers["x-a"] == [b"3"]
    assert headers.items() == [(b"x-A", b"3")]


def test_get_returns_a_list_or_the_default() -> None:
    headers = ResponseHeaders([("Content-Type", "text/plain")])
    assert headers.get("content-type") == [b"text/plain"]
    assert headers.get("missing") == []
    assert headers.get("missing", ["d"]) == ["d"]
    assert headers.first("CONTENT-TYPE") == b"text/plain"
    assert headers.first("missing") is None
    assert headers.first("missing", b"d") == b"d"
    with pytest.raises(KeyError):
        headers["missing"]


def test_names_and_values_as_str_bytes_or_int() -> None:
    headers = ResponseHeaders()
    headers["X-Str"] = "caf\u00e9"
    headers[b"X-Bytes"] = b"\x80\xff"
    headers.append("X-Int", 0)
    headers.append("X-Int", -12)
    assert headers.items() == [(b"X-Str", b"caf\xe9"), (b"X-Bytes", b"\x80\xff"), (b"X-Int", b"0"), (b"X-Int", b"-12")]


def test_first_spelling_of_an_appended_name_is_kept() -> None:
    headers = ResponseHeaders()
    headers.append("Set-Cookie", "a=1")
    headers.append("SET-COOKIE", "b=2")
    assert list(headers) == [(b"Set-Cookie", b"a=1"), (b"Set-Cookie", b"b=2")]
    assert len(headers) == 1


def test_update_appends_pairs_from_a_list_or_dict() -> None:
    headers = ResponseHeaders([("X-A", "1")])
    headers.update([("X-A", "2"), (b"X-B", 3)])
    headers.update({"X-C": "4"})
    assert headers.items() == [(b"X-A", b"1"), (b"X-A", b"2"), (b"X-B", b"3"), (b"X-C", b"4")]


@pytest.mark.parametrize("pair", ["abc", ("only-one",), ("a", "b", "c"), 5], ids=repr)
def test_update_with_a_non_pair_is_type_error(pair: object) -> None:
    with pytest.raises(TypeError, match="headers must be \\(name, value\\) pairs"):
        ResponseHeaders().update([pair])  # type: ignore[list-item]


def test_pop_contains_delete_and_clear() -> None:
    headers = ResponseHeaders([("X-A", "1"), ("x-a", "2"), ("X-B", "3")])
    assert "x-A" in headers
    assert b"X-A" in headers
    assert 5 not in headers
    assert headers.pop("X-A") == [b"1", b"2"]
    assert "X-A" not in headers
    assert headers.pop("X-A") is None
    assert headers.pop("X-A", "gone") == "gone"
    del headers["x-b"]
    assert len(headers) == 0
    headers.set("X-C", "1")
    headers.clear()
    assert headers.items() == []
    with pytest.raises(KeyError):
        del headers["X-C"]


def test_repr() -> None:
    assert repr(ResponseHeaders([("X", "1")])) == "ResponseHeaders([(b'X', b'1')])"


SPLITTERS = ["\r", "\n", "\r\n", "\x00"]


@pytest.mark.parametrize("bad", SPLITTERS, ids=repr)
@pytest.mark.parametrize("as_bytes", [False, True], ids=["str", "bytes"])
@pytest.mark.parametrize("method", ["set", "append"])
def test_cr_lf_nul_in_a_value_would_split_the_response(bad: str, as_bytes: bool, method: str) -> None:
    headers = ResponseHeaders()
    value = f"ok{bad}Injected: yes"
    with pytest.raises(ValueError, match="which would split the response"):
        getattr(headers, method)("X-A", value.encode("latin-1") if as_bytes else value)
    assert headers.items() == []


@pytest.mark.parametrize("bad", SPLITTERS, ids=repr)
@pytest.mark.parametrize("as_bytes", [False, True], ids=["str", "bytes"])
def test_cr_lf_nul_in_a_name_would_split_the_response(bad: str, as_bytes: bool) -> None:
    name = f"X{bad}Injected"
    with pytest.raises(ValueError, match="which would split the response"):
        ResponseHeaders().set(name.encode("latin-1") if as_bytes else name, "v")


def test_cr_lf_through_update_would_split_the_response() -> None:
    headers = ResponseHeaders()
    with pytest.raises(ValueError, match="would split the response"):
        headers.update({"X-A": "a\r\nSet-Cookie: evil=1"})
    assert headers.items() == []


@pytest.mark.parametrize("name", ["", "a:b", "a b", "a\tb", b"", "Content:Type", b"X-\xe9"], ids=repr)
def test_odd_header_names_on_one_line_are_kept_byte_for_byte(name: str | bytes) -> None:
    # As wptserve: a test may ask for a malformed header; only CR, LF and NUL are refused.
    headers = ResponseHeaders()
    headers.set(name, "v")
    expected = name if isinstance(name, bytes) else name.encode("latin-1")
    assert headers.items() == [(expected, b"v")]


def test_value_outside_latin1_is_value_error() -> None:
    with pytest.raises(ValueError, match="has characters outside latin-1; encode it first"):
        ResponseHeaders().set("X-A", "\u20ac")


@pytest.mark.parametrize("value", [True, 1.5, None, ["a"]], ids=repr)
def test_value_of_another_type_is_type_error(value: object) -> None:
    with pytest.raises(TypeError, match="header value must be str, bytes or int"):
        ResponseHeaders().set("X-A", value)  # type: ignore[arg-type]


# -- status --------------------------------------------------------------------------------


class Opaque:
    """An object with no int() conversion and a stable repr (test ids must match across workers)."""

    def __repr__(self) -> str:
        return "Opaque()"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (200, (200, None)),
        (100, (100, None)),
        (999, (999, None)),
        ((404, "Gone Fishing"), (404, "Gone Fishing")),
        ((404, b"Gone"), (404, b"Gone")),
        ((201, None), (201, None)),
        ((500, 7), (500, "7")),
    ],
    ids=repr,
)
def test_status_setter(value: object, expected: tuple[int, object]) -> None:
    response = Response()
    assert response.status == (200, None)
    response.status = value
    assert response.status == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (99, "out of range"),
        (1000, "out of range"),
        (0, "out of range"),
        (-200, "out of range"),
        (True, "out of range"),
        ("abc", "must be an int"),
        (None, "must be an int"),
        (Opaque(), "must be an int"),
        ([200], "must be an int"),
        ((200,), "must be an int or \\(int, message\\)"),
        ((200, "OK", "extra"), "must be an int or \\(int, message\\)"),
        ((), "must be an int or \\(int, message\\)"),
        ((99, "Low"), "out of range"),
        (("x", "OK"), "must be an int"),
        ((200, "OK\r\nX-Injected: 1"), "would split the response"),
    ],
    ids=repr,
)
def test_bad_status_is_value_error_and_keeps_the_old_one(value: object, message: str) -> None:
    response = Response()
    response.status = 201
    with pytest.raises(ValueError, match=message):
        response.status = value
    assert response.status == (201, None)


# -- cookies -------------------------------------------------------------------------------


def set_cookie_values(response: Response) -> list[str]:
    return [value.decode("latin-1") for value in response.headers.get("Set-Cookie")]


def test_set_cookie_plain() -> None:
    response = Response()
    response.set_cookie("name", "value")
    assert set_cookie_values(response) == ["name=value; Path=/"]


def test_set_cookie_with_every_attribute() -> None:
    response = Response()
    response.set_cookie(
        "sid",
        "abc",
        path="/app",
        domain="example.test",
        max_age=10,
        expires="Wed, 21 Oct 2015 07:28:00 GMT",
        samesite="Lax",
        secure=True,
        httponly=True,
        comment="hi",
    )
    (value,) = set_cookie_values(response)
    assert value.startswith("sid=abc; ")
    attributes = set(value.split("; ")[1:])
    assert attributes == {
        "Comment=hi",
        "Domain=example.test",
        "expires=Wed, 21 Oct 2015 07:28:00 GMT",
        "HttpOnly",
        "Max-Age=10",
        "Path=/app",
        "SameSite=Lax",
        "Secure",
    }


def test_set_cookie_bytes_and_timedelta_max_age() -> None:
    response = Response()
    response.set_cookie(b"b", b"v\xe9", max_age=timedelta(hours=1))
    assert response.headers.get("Set-Cookie") == [b"b=v\xe9; Max-Age=3600; Path=/"]


def test_set_cookie_expires_as_datetime_and_timedelta() -> None:
    response = Response()
    moment = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    response.set_cookie("a", "1", expires=moment)
    response.set_cookie("b", "2", expires=timedelta(days=1))
    first, second = set_cookie_values(response)
    # wptserve's Expires spelling: day, lower-case month, no weekday.
    assert "expires=02 jan 2030 03:04:05 GMT" in first
    expires = datetime.strptime(second.split("expires=")[1].split(";")[0], "%d %b %Y %H:%M:%S GMT")
    assert expires.replace(tzinfo=timezone.utc) > datetime.now(timezone.utc) + timedelta(hours=23)


def test_set_cookie_secure_and_httponly_false_are_omitted() -> None:
    response = Response()
    response.set_cookie("a", "1", secure=False, httponly=False)
    assert set_cookie_values(response) == ["a=1; Path=/"]


@pytest.mark.parametrize("delete", ["value-none", "delete_cookie"])
def test_deleting_a_cookie_sends_an_expired_empty_one(delete: str) -> None:
    response = Response()
    if delete == "value-none":
        response.set_cookie("gone", None, path="/p")
    else:
        response.delete_cookie("gone", path="/p")
    (value,) = set_cookie_values(response)
    assert value.startswith("gone=; ")
    assert "Max-Age=0" in value
    assert "Path=/p" in value
    expires = parsedate_to_datetime(value.split("expires=")[1].split(";")[0])
    assert expires < datetime.now(timezone.utc)


def test_unset_cookie_removes_only_that_cookie() -> None:
    response = Response()
    response.set_cookie("a", "1")
    response.set_cookie("ab", "2")
    response.set_cookie("a", "3")
    response.unset_cookie("a")
    assert set_cookie_values(response) == ["ab=2; Path=/"]


@pytest.mark.parametrize("name", ["a b", "a;b", "path", "expires", "a=b"])
def test_invalid_cookie_name_is_value_error(name: str) -> None:
    response = Response()
    with pytest.raises(ValueError, match="invalid cookie name"):
        response.set_cookie(name, "v")
    assert response.headers.get("Set-Cookie") == []


def test_cookie_value_with_crlf_would_split_the_response() -> None:
    with pytest.raises(ValueError, match="would split the response"):
        Response().set_cookie("a", "1\r\nX-Injected: 1")


# -- errors --------------------------------------------------------------------------------


def test_set_error_gives_the_wptserve_json_body() -> None:
    response = Response()
    response.headers.set("X-Old", "dropped")
    response.set_error(404, "no such thing")
    assert response.status == (404, None)
    assert json.loads(response.content) == {"error": {"code": 404, "message": "no such thing"}}
    assert response.headers.items() == [(b"Content-Type", b"application/json")]


@pytest.mark.parametrize(("message", "text"), [(None, ""), (ValueError("bad"), "bad"), (42, "42")])
def test_set_error_message_is_text(message: object, text: str) -> None:
    response = Response()
    response.set_error(500, message)
    assert json.loads(response.content) == {"error": {"code": 500, "message": text}}


# -- content ----------------------------------------------------------------------------


class ClosingBytesIO(io.BytesIO):
    closed_by_response = False

    def close(self) -> None:
        self.closed_by_response = True
        super().close()


@pytest.mark.parametrize(
    ("content", "chunks"),
    [
        (b"bytes", [b"bytes"]),
        ("caf\u00e9", ["caf\u00e9".encode()]),
        (b"", [b""]),
        ([b"a", "b", b"", "", b"c"], [b"a", b"b", b"c"]),
        ((part for part in ["x", "y"]), [b"x", b"y"]),
        ([lambda: b"lazy", "eager"], [b"lazy", b"eager"]),
        (io.StringIO("text"), [b"text"]),
    ],
    ids=["bytes", "str", "empty", "list", "generator", "callables", "text-file"],
)
def test_iter_content(content: object, chunks: list[bytes]) -> None:
    response = Response()
    response.content = content
    assert list(response.iter_content()) == chunks


def test_iter_content_streams_a_file_in_chunks_and_closes_it() -> None:
    data = bytes(range(256)) * 1024  # 256 KiB: several reads
    handle = ClosingBytesIO(data)
    response = Response()
    response.content = handle
    chunks = list(response.iter_content())
    assert b"".join(chunks) == data
    assert len(chunks) > 1
    assert handle.closed_by_response


def test_iter_content_uses_the_response_encoding() -> None:
    response = Response()
    response.encoding = "latin-1"
    response.content = "caf\u00e9"
    assert list(response.iter_content()) == [b"caf\xe9"]


def test_iter_content_of_a_non_text_item_is_type_error() -> None:
    response = Response()
    response.content = [b"ok", 5]
    with pytest.raises(TypeError, match="response content must be str or bytes, not int"):
        list(response.iter_content())


# -- ResponseWriter ------------------------------------------------------------------------


def writer_for(sink: RecordingSink, **kwargs: object) -> tuple[Response, ResponseWriter]:
    response = Response(sink=sink, **kwargs)  # type: ignore[arg-type]
    return response, response.writer


def test_writer_needs_a_connection() -> None:
    with pytest.raises(RuntimeError, match="not attached to a connection"):
        _ = Response().writer


def test_writer_is_one_object_and_tracks_use() -> None:
    sink = RecordingSink()
    response, writer = writer_for(sink)
    assert response.writer is writer
    assert not response.writer_used
    writer.write_status(204)
    assert response.writer_used
    assert sink.sends == [], "the status line waits for the rest of the head"


def test_status_headers_and_end_headers_go_out_in_one_write() -> None:
    sink = RecordingSink()
    _, writer = writer_for(sink)
    writer.write_status(201, "Made")
    writer.write_header("Content-Type", "text/plain")
    writer.write_header(b"X-Count", 3)
    writer.end_headers()
    assert len(sink.sends) == 1
    status, pairs, body = split_head(sink.sends[0])
    assert status == b"HTTP/1.1 201 Made"
    assert [name for name, _ in pairs] == [b"Content-Type", b"X-Count", b"Server", b"Date"]
    assert dict(pairs)[b"X-Count"] == b"3"
    assert body == b""
    writer.write_content(b"body")
    assert sink.sends[1:] == [b"body"]
    assert not writer.has_content_length


def test_write_content_on_a_fresh_writer_sends_head_then_body() -> None:
    sink = RecordingSink()
    response, writer = writer_for(sink)
    response.status = (202, "Later")
    writer.write_content("caf\u00e9")
    assert len(sink.sends) == 2
    status, pairs, _ = split_head(sink.sends[0])
    assert status == b"HTTP/1.1 202 Later"
    assert dict(pairs)[b"Content-Length"] == b"5"
    assert sink.sends[1] == "caf\u00e9".encode()
    assert writer.has_content_length


def test_write_content_keeps_a_content_length_the_handler_wrote() -> None:
    sink = RecordingSink()
    _, writer = writer_for(sink)
    writer.write_header("Content-Length", 10)
    writer.write_content(b"12345")
    writer.write_content(b"67890")
    _, pairs, _ = split_head(sink.sends[0])
    assert [value for name, value in pairs if name.lower() == b"content-length"] == [b"10"]
    assert sink.sends[1:] == [b"12345", b"67890"]


def test_write_header_first_writes_the_response_status() -> None:
    sink = RecordingSink()
    response, writer = writer_for(sink)
    response.status = 404
    writer.write_header("X-A", "1")
    writer.end_headers()
    assert sink.data.startswith(b"HTTP/1.1 404 Not Found\r\nX-A: 1\r\n")


def test_end_headers_without_required_headers() -> None:
    sink = RecordingSink()
    response, writer = writer_for(sink, version="HTTP/1.0")
    response.add_required_headers = False
    writer.write_status(200)
    writer.end_headers()
    assert sink.sends == [b"HTTP/1.0 200 OK\r\n\r\n"]


def test_handler_written_server_and_date_are_not_duplicated() -> None:
    sink = RecordingSink()
    _, writer = writer_for(sink)
    writer.write_header("server", "mine")
    writer.write_header("DATE", "then")
    writer.end_headers()
    _, pairs, _ = split_head(sink.sends[0])
    assert pairs == [(b"server", b"mine"), (b"DATE", b"then")]


def test_raw_write_after_a_status_line_goes_out_with_it() -> None:
    sink = RecordingSink()
    _, writer = writer_for(sink)
    writer.write_status(200)
    assert writer.write(b"X-Raw: 1\r\n\r\nbody") is True
    assert sink.sends == [b"HTTP/1.1 200 OK\r\nX-Raw: 1\r\n\r\nbody"]


def test_raw_write_alone_is_sent_as_is() -> None:
    sink = RecordingSink()
    response, writer = writer_for(sink)
    assert writer.write("HTTP/1.1 418 Teapot\r\n\r\n") is True
    assert writer.write(b"") is True
    assert sink.sends == [b"HTTP/1.1 418 Teapot\r\n\r\n", b""]
    assert response.writer_used


@pytest.mark.parametrize(
    "error", [BrokenPipeError(), ConnectionResetError(), OSError("gone"), ClientDisconnected()], ids=repr
)
def test_write_returns_false_when_the_client_is_gone(error: BaseException) -> None:
    _, writer = writer_for(RecordingSink(fail_with=error))
    assert writer.write(b"data") is False


def test_write_content_lets_a_send_error_propagate() -> None:
    _, writer = writer_for(RecordingSink(fail_with=BrokenPipeError()))
    with pytest.raises(BrokenPipeError):
        writer.write_content(b"data")


def test_write_raw_content_streams_a_file_and_closes_it() -> None:
    sink = RecordingSink()
    _, writer = writer_for(sink)
    writer.end_headers()
    data = b"x" * 70000
    handle = ClosingBytesIO(data)
    writer.write_raw_content(handle)
    assert b"".join(sink.sends[1:]) == data
    assert len(sink.sends) == 3  # the head, then 64 KiB, then the rest
    assert handle.closed_by_response


def test_write_content_of_none_is_value_error() -> None:
    sink = RecordingSink()
    _, writer = writer_for(sink)
    with pytest.raises(ValueError, match="response content cannot be None"):
        writer.write_content(None)
    assert sink.sends == []


def test_writer_refuses_bad_status_and_header_splitting() -> None:
    sink = RecordingSink()
    _, writer = writer_for(sink)
    with pytest.raises(ValueError, match="out of range"):
        writer.write_status(99)
    with pytest.raises(ValueError, match="would split the response"):
        writer.write_status(200, "OK\r\nX: 1")
    with pytest.raises(ValueError, match="would split the response"):
        writer.write_header("X-A", "a\nb")
    assert sink.sends == []


def test_writer_encode_and_flush() -> None:
    response, writer = writer_for(RecordingSink())
    response.encoding = "latin-1"
    assert writer.encode("\u00e9") == b"\xe9"
    assert writer.encode(b"\xe9") == b"\xe9"
    writer.flush()
