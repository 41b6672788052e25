"""harness.http.framing: the head and body framing of a response, and the keep-alive decision
(no sockets: a Response and the request's facts in, bytes out)."""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import pytest

from harness.http.framing import Framing, frame_response, response_head
from harness.http.response import Response
from tests.support import split_head


def response_with(status: int = 200, **headers: str) -> Response:
    response = Response()
    response.status = status
    for name, value in headers.items():
        response.headers.set(name.replace("_", "-"), value)
    return response


def frame(
    response: Response,
    body_length: int | None,
    *,
    method: str = "GET",
    version: str = "HTTP/1.1",
    keep_alive: bool = True,
) -> Framing:
    return frame_response(response, method=method, version=version, keep_alive=keep_alive, body_length=body_length)


# -- the head -----------------------------------------------------------------------------


def test_the_head_adds_server_date_and_content_length() -> None:
    status, pairs, body = split_head(response_head(response_with(Content_Type="text/plain"), 5))
    assert status == b"HTTP/1.1 200 OK"
    assert body == b""
    assert [name for name, _ in pairs] == [b"Content-Type", b"Server", b"Date", b"Content-Length"]
    values = dict(pairs)
    assert values[b"Server"] == b"stash-harness"
    assert values[b"Content-Length"] == b"5"
    date = parsedate_to_datetime(values[b"Date"].decode())
    assert abs((datetime.now(timezone.utc) - date).total_seconds()) < 60


def test_the_head_keeps_the_headers_the_handler_set() -> None:
    response = Response()
    response.headers.set("server", "mine")
    response.headers.set("date", "then")
    response.headers.set("content-length", "99")
    _, pairs, _ = split_head(response_head(response, 5))
    assert pairs == [(b"server", b"mine"), (b"date", b"then"), (b"content-length", b"99")]


def test_the_head_of_an_unknown_length_chunked_and_closing() -> None:
    response = Response(version="HTTP/1.0")
    response.status = (299, b"Custom")
    status, pairs, _ = split_head(response_head(response, None, chunked=True, close=True))
    assert status == b"HTTP/1.0 299 Custom"
    assert b"Content-Length" not in [name for name, _ in pairs]
    assert (b"Transfer-Encoding", b"chunked") in pairs
    assert (b"Connection", b"close") in pairs


def test_the_head_without_required_headers() -> None:
    response = Response()
    response.add_required_headers = False
    assert response_head(response, 3) == b"HTTP/1.1 200 OK\r\n\r\n"


def test_the_head_of_an_unregistered_status() -> None:
    assert response_head(response_with(599), None).startswith(b"HTTP/1.1 599 Unknown\r\n")


def test_a_connection_header_the_handler_set_is_never_doubled() -> None:
    response = response_with(Connection="upgrade")
    _, pairs, _ = split_head(response_head(response, 0, close=True, announce_keep_alive=True))
    assert [value for name, value in pairs if name.lower() == b"connection"] == [b"upgrade"]


# -- a body in memory ---------------------------------------------------------------------


def test_a_body_in_memory_goes_out_with_its_length_in_one_piece() -> None:
    framing = frame(response_with(), 5)
    assert (framing.body, framing.send_body, framing.keep_alive) == ("length", True, True)
    status, pairs, body = split_head(framing.whole(b"hello"))
    assert status == b"HTTP/1.1 200 OK"
    assert (b"Content-Length", b"5") in pairs
    assert body == b"hello"
    assert b"Connection" not in dict(pairs)


def test_a_head_request_gets_the_length_but_no_body() -> None:
    framing = frame(response_with(), 5, method="HEAD")
    assert not framing.send_body
    data = framing.whole(b"hello")
    assert data == framing.head
    assert (b"Content-Length", b"5") in split_head(data)[1]


def test_a_handler_may_send_the_body_for_a_head_request() -> None:
    response = response_with()
    response.send_body_for_head_request = True
    assert split_head(frame(response, 5, method="HEAD").whole(b"hello"))[2] == b"hello"


@pytest.mark.parametrize("status", [101, 103, 204, 304])
@pytest.mark.parametrize("body_length", [5, None])
def test_bodiless_statuses_send_no_body_and_no_length(status: int, body_length: int | None) -> None:
    framing = frame(response_with(status), body_length)
    assert (framing.body, framing.send_body, framing.keep_alive) == ("empty", False, True)
    data = framing.whole(b"hello")
    assert data == framing.head
    names = [name.lower() for name, _ in split_head(data)[1]]
    assert b"content-length" not in names
    assert b"transfer-encoding" not in names


def test_a_connection_that_ends_says_so() -> None:
    framing = frame(response_with(), 2, keep_alive=False)
    assert not framing.keep_alive
    assert (b"Connection", b"close") in split_head(framing.head)[1]


def test_an_http_1_0_client_is_told_the_connection_stays_open() -> None:
    framing = frame(response_with(), 2, version="HTTP/1.0")
    assert framing.keep_alive
    assert (b"Connection", b"keep-alive") in split_head(framing.head)[1]
    assert b"Connection" not in dict(split_head(frame(response_with(), 2, version="HTTP/1.1").head)[1])


# -- a stream -----------------------------------------------------------------------------


def test_a_stream_to_an_http_1_1_client_is_chunked() -> None:
    framing = frame(response_with(), None)
    assert (framing.body, framing.keep_alive) == ("chunked", True)
    pairs = split_head(framing.head)[1]
    assert (b"Transfer-Encoding", b"chunked") in pairs
    assert b"Content-Length" not in dict(pairs)
    assert framing.chunk(b"x" * 17) == b"11\r\n" + b"x" * 17 + b"\r\n"
    assert framing.end() == b"0\r\n\r\n"


def test_a_stream_with_the_handlers_length_is_sent_as_is() -> None:
    framing = frame(response_with(Content_Length="3"), None)
    assert (framing.body, framing.keep_alive) == ("length", True)
    assert b"Transfer-Encoding" not in dict(split_head(framing.head)[1])
    assert framing.chunk(b"abc") == b"abc"
    assert framing.end() == b""


def test_a_stream_to_an_http_1_0_client_ends_with_the_connection() -> None:
    framing = frame(response_with(), None, version="HTTP/1.0")
    assert (framing.body, framing.keep_alive) == ("close", False)
    pairs = split_head(framing.head)[1]
    assert (b"Connection", b"close") in pairs
    assert b"Transfer-Encoding" not in dict(pairs)
    assert framing.chunk(b"abc") == b"abc"
    assert framing.end() == b""


def test_a_stream_for_a_head_request_is_never_sent() -> None:
    framing = frame(response_with(), None, method="HEAD")
    assert (framing.body, framing.send_body) == ("chunked", False)


def test_the_framing_shows_its_decision() -> None:
    assert repr(frame(response_with(), None)) == "<Framing chunked send_body=True keep_alive=True>"
