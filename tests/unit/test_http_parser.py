"""harness.http.parser: request heads and chunked bodies, with the status of every rejection."""

from __future__ import annotations

import pytest

from harness.http.parser import ChunkedDecoder, ProtocolError, RequestHead, find_head_end, parse_head, status_reason


def head(*lines: str | bytes, end: bytes = b"\r\n") -> bytes:
    """A request head from its lines, each ended with ``end``, plus the blank line."""
    encoded = [line.encode("latin-1") if isinstance(line, str) else line for line in lines]
    return b"".join(line + end for line in encoded) + end


def rejected(data: bytes, **kwargs: int) -> ProtocolError:
    with pytest.raises(ProtocolError) as info:
        parse_head(data, **kwargs)
    return info.value


# -- valid heads ---------------------------------------------------------------------------


def test_simple_get() -> None:
    parsed = parse_head(head("GET /a.py?id=1 HTTP/1.1", "Host: localhost:8000"))
    assert parsed == RequestHead(
        method="GET",
        target="/a.py?id=1",
        version="HTTP/1.1",
        headers=[(b"Host", b"localhost:8000")],
        keep_alive=True,
        framing=("length", 0),
        expect_continue=False,
    )


def test_post_with_content_length() -> None:
    parsed = parse_head(head("POST /submit HTTP/1.1", "Host: h", "Content-Type: text/plain", "Content-Length: 12"))
    assert parsed.method == "POST"
    assert parsed.framing == ("length", 12)


@pytest.mark.parametrize("coding", ["chunked", "Chunked", "CHUNKED", " chunked ", "chunked,"])
def test_chunked_transfer_encoding(coding: str) -> None:
    parsed = parse_head(head("POST / HTTP/1.1", "Host: h", f"Transfer-Encoding: {coding}"))
    assert parsed.framing == ("chunked", 0)


def test_headers_keep_order_case_and_repeats_with_trimmed_values() -> None:
    parsed = parse_head(head("GET / HTTP/1.1", "Host: h", "X-A:  one  ", "x-a:\ttwo\t", "X-Empty:", "X-Inner: a \t b"))
    assert parsed.headers == [
        (b"Host", b"h"),
        (b"X-A", b"one"),
        (b"x-a", b"two"),
        (b"X-Empty", b""),
        (b"X-Inner", b"a \t b"),
    ]


def test_obs_text_is_accepted_in_values_and_target() -> None:
    parsed = parse_head(head(b"GET /caf\xe9 HTTP/1.1", b"Host: h", b"X-Name: caf\xe9"))
    assert parsed.target == "/caf\u00e9"
    assert parsed.headers[1] == (b"X-Name", b"caf\xe9")


def test_target_keeps_percent_escapes() -> None:
    assert parse_head(head("GET /a%20b?x=%E9 HTTP/1.1", "Host: h")).target == "/a%20b?x=%E9"


def test_absolute_form_target() -> None:
    parsed = parse_head(head("GET http://example.com:8000/a.py?x=1 HTTP/1.1", "Host: example.com:8000"))
    assert parsed.target == "http://example.com:8000/a.py?x=1"


@pytest.mark.parametrize("target", ["*", "/", "/%2e%2e/", "/a;b,c=d@e:f!$&'()*+~"])
def test_other_targets_are_accepted_verbatim(target: str) -> None:
    assert parse_head(head(f"OPTIONS {target} HTTP/1.1", "Host: h")).target == target


@pytest.mark.parametrize(
    "method", ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "PROPFIND", "M-SEARCH", "x~!"]
)
def test_any_token_is_a_method(method: str) -> None:
    assert parse_head(head(f"{method} / HTTP/1.1", "Host: h")).method == method


@pytest.mark.parametrize("end", [b"\r\n", b"\n"], ids=["crlf", "lf"])
def test_line_endings_crlf_and_bare_lf(end: bytes) -> None:
    parsed = parse_head(head("GET / HTTP/1.1", "Host: h", "X: y", end=end))
    assert parsed.headers == [(b"Host", b"h"), (b"X", b"y")]


def test_mixed_line_endings() -> None:
    parsed = parse_head(b"GET / HTTP/1.1\r\nHost: h\n\r\n")
    assert parsed.headers == [(b"Host", b"h")]


@pytest.mark.parametrize(
    ("version", "connection", "keep_alive"),
    [
        ("HTTP/1.1", None, True),
        ("HTTP/1.1", "close", False),
        ("HTTP/1.1", "Close", False),
        ("HTTP/1.1", "keep-alive", True),
        ("HTTP/1.1", "Upgrade, close", False),
        ("HTTP/1.0", None, False),
        ("HTTP/1.0", "keep-alive", True),
        ("HTTP/1.0", "Keep-Alive", True),
        ("HTTP/1.0", "foo, keep-alive", True),
        ("HTTP/1.0", "close", False),
    ],
)
def test_keep_alive_rules(version: str, connection: str | None, keep_alive: bool) -> None:
    lines = [f"GET / {version}", "Host: h"] + ([f"Connection: {connection}"] if connection else [])
    assert parse_head(head(*lines)).keep_alive is keep_alive


def test_keep_alive_tokens_of_repeated_connection_headers_combine() -> None:
    assert parse_head(head("GET / HTTP/1.1", "Host: h", "Connection: upgrade", "Connection: close")).keep_alive is False


def test_http10_needs_no_host() -> None:
    parsed = parse_head(head("GET / HTTP/1.0"))
    assert parsed.version == "HTTP/1.0"
    assert parsed.headers == []


@pytest.mark.parametrize("value", ["100-continue", "100-Continue", "100-CONTINUE"])
def test_expect_100_continue(value: str) -> None:
    parsed = parse_head(head("POST / HTTP/1.1", "Host: h", f"Expect: {value}", "Content-Length: 3"))
    assert parsed.expect_continue is True


def test_expect_100_continue_is_ignored_for_http10() -> None:
    parsed = parse_head(head("POST / HTTP/1.0", "Expect: 100-continue", "Content-Length: 3"))
    assert parsed.expect_continue is False


@pytest.mark.parametrize(
    ("values", "length"),
    [(["0"], 0), (["5"], 5), (["005"], 5), (["5, 5"], 5), (["5", "5"], 5), (["999999999999999999"], 10**18 - 1)],
)
def test_content_length_values(values: list[str], length: int) -> None:
    lines = ["POST / HTTP/1.1", "Host: h"] + [f"Content-Length: {value}" for value in values]
    assert parse_head(head(*lines)).framing == ("length", length)


def test_max_headers_is_inclusive() -> None:
    lines = ["GET / HTTP/1.1", "Host: h"] + [f"X-{i}: v" for i in range(9)]
    assert len(parse_head(head(*lines), max_headers=10).headers) == 10


# -- rejected heads ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        b"GET /",
        b"GET",
        b"GET  / HTTP/1.1",
        b"GET / HTTP/1.1 ",
        b" GET / HTTP/1.1",
        b"GET\t/\tHTTP/1.1",
        b"GET /a b HTTP/1.1",
    ],
    ids=repr,
)
def test_malformed_request_line_is_400(line: bytes) -> None:
    error = rejected(head(line, b"Host: h"))
    assert error.status == 400
    assert "malformed request line" in error.message


@pytest.mark.parametrize("method", [b"G(T", b"G\xc9T", b"GE\x7fT", b"GET,", b"G/T", b'"GET"'], ids=repr)
def test_bad_method_token_is_400(method: bytes) -> None:
    error = rejected(head(method + b" / HTTP/1.1", b"Host: h"))
    assert (error.status, error.message.startswith("invalid method")) == (400, True)


@pytest.mark.parametrize("target", [b"/a\x01", b"/a\x7f", b"/\x1b[31m", b"/a\rb", b"/a\x0bb", b"/a\x0cb"], ids=repr)
def test_control_characters_in_target_are_400(target: bytes) -> None:
    error = rejected(head(b"GET " + target + b" HTTP/1.1", b"Host: h"))
    assert (error.status, error.message) == (400, "invalid characters in the request target")


@pytest.mark.parametrize(
    "data",
    [
        b"\x00GET / HTTP/1.1\r\nHost: h\r\n\r\n",
        b"GET /\x00 HTTP/1.1\r\nHost: h\r\n\r\n",
        b"GET / HTTP/1.1\x00\r\nHost: h\r\n\r\n",
        b"GET / HTTP/1.1\r\nHo\x00st: h\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: h\x00\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: h\r\n\x00\r\n\r\n",
    ],
    ids=["method", "target", "version", "name", "value", "line"],
)
def test_nul_anywhere_is_400(data: bytes) -> None:
    error = rejected(data)
    assert (error.status, error.message) == (400, "NUL byte in the request head")


@pytest.mark.parametrize("version", ["HTTP/2.0", "HTTP/0.9", "HTTP/3.0", "HTTP/9.9"])
def test_unsupported_http_version_is_505(version: str) -> None:
    error = rejected(head(f"GET / {version}", "Host: h"))
    assert error.status == 505
    assert f"{version} is not supported; use HTTP/1.1" in error.message


@pytest.mark.parametrize(
    "version", ["HTTP/1.10", "http/1.1", "HTTP/1", "HTTP/1.1.1", "HTTP/11", "HTTPS/1.1", "HTTP/\u00b9.1"]
)
def test_malformed_http_version_is_400(version: str) -> None:
    error = rejected(head(f"GET / {version}".encode(), b"Host: h"))
    assert (error.status, error.message.startswith("invalid HTTP version")) == (400, True)


def test_http11_without_host_is_400() -> None:
    error = rejected(head("GET / HTTP/1.1", "X: y"))
    assert (error.status, error.message) == (400, "an HTTP/1.1 request needs exactly one Host header")


@pytest.mark.parametrize("version", ["HTTP/1.1", "HTTP/1.0"])
def test_two_host_headers_are_400(version: str) -> None:
    error = rejected(head(f"GET / {version}", "Host: a", "host: b"))
    assert error.status == 400
    assert "Host header" in error.message
    assert "2" in error.message


@pytest.mark.parametrize("fold", [" continued", "\tcontinued"], ids=["space", "tab"])
def test_obs_fold_is_400(fold: str) -> None:
    error = rejected(head("GET / HTTP/1.1", "Host: h", "X-Long: first", fold))
    assert (error.status, error.message) == (400, "obsolete line folding in header fields is not accepted")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b"Host : h", "invalid header name"),
        (b"Ho st: h", "invalid header name"),
        (b"Host\t: h", "invalid header name"),
        (b": h", "invalid header name"),
        (b"X(y): h", "invalid header name"),
        (b"X\xe9: h", "invalid header name"),
        (b"NoColonHere", "header line without a colon"),
        (b"", "header line without a colon"),
    ],
    ids=repr,
)
def test_bad_header_line_is_400(line: bytes, message: str) -> None:
    error = rejected(b"GET / HTTP/1.1\r\nHost: h\r\n" + line + b"\r\nX: y\r\n\r\n")
    assert error.status == 400
    assert error.message.startswith(message)


@pytest.mark.parametrize("value", [b"a\rb", b"a\x01b", b"a\x7fb", b"\x1b[0m", b"a\x0bb"], ids=repr)
def test_control_characters_in_header_value_are_400(value: bytes) -> None:
    error = rejected(head(b"GET / HTTP/1.1", b"Host: h", b"X-Bad: " + value))
    assert (error.status, error.message) == (400, "invalid characters in the value of header 'X-Bad'")


def test_lf_in_a_header_value_splits_it_into_a_bad_line() -> None:
    error = rejected(b"GET / HTTP/1.1\r\nHost: h\r\nX-Bad: a\nb\r\n\r\n")
    assert error.status == 400


def test_too_many_headers_is_431() -> None:
    lines = ["GET / HTTP/1.1", "Host: h"] + [f"X-{i}: v" for i in range(10)]
    error = rejected(head(*lines), max_headers=10)
    assert (error.status, error.message) == (431, "more than 10 header fields")


def test_default_header_limit_is_100() -> None:
    lines = ["GET / HTTP/1.1", "Host: h"] + [f"X-{i}: v" for i in range(99)]
    assert len(parse_head(head(*lines)).headers) == 100
    assert rejected(head(*lines, "X-Last: v")).status == 431


@pytest.mark.parametrize(
    "value", ["abc", "-1", "+5", "1.5", "0x10", "1 2", "", "1e3", "\u0665", "9" * 19, "1" + "0" * 30], ids=repr
)
def test_invalid_content_length_is_400(value: str) -> None:
    error = rejected(head("POST / HTTP/1.1", "Host: h", f"Content-Length: {value}".encode()))
    assert error.status == 400
    assert error.message.startswith("invalid Content-Length")


@pytest.mark.parametrize(
    "lines", [["Content-Length: 5, 6"], ["Content-Length: 5", "Content-Length: 6"], ["Content-Length: 5,"]]
)
def test_conflicting_content_lengths_are_400(lines: list[str]) -> None:
    error = rejected(head("POST / HTTP/1.1", "Host: h", *lines))
    assert (error.status, error.message) == (400, "conflicting Content-Length values")


@pytest.mark.parametrize("order", ["cl-first", "te-first"])
def test_content_length_with_transfer_encoding_is_400(order: str) -> None:
    pair = ["Content-Length: 5", "Transfer-Encoding: chunked"]
    error = rejected(head("POST / HTTP/1.1", "Host: h", *(pair if order == "cl-first" else pair[::-1])))
    assert (error.status, error.message) == (400, "both Content-Length and Transfer-Encoding are present")


@pytest.mark.parametrize("coding", ["gzip", "identity", "gzip, chunked", "chunked, gzip", "deflate"])
def test_transfer_coding_other_than_chunked_is_501(coding: str) -> None:
    error = rejected(head("POST / HTTP/1.1", "Host: h", f"Transfer-Encoding: {coding}"))
    assert error.status == 501
    assert "only 'chunked' is accepted" in error.message


def test_transfer_encoding_in_http10_is_400() -> None:
    error = rejected(head("POST / HTTP/1.0", "Transfer-Encoding: chunked"))
    assert (error.status, error.message) == (400, "Transfer-Encoding is not allowed in an HTTP/1.0 request")


@pytest.mark.parametrize("value", ["200-ok", "100-continue, foo", "", "100-continue;x"], ids=repr)
def test_unsupported_expect_is_417(value: str) -> None:
    error = rejected(head("POST / HTTP/1.1", "Host: h", f"Expect: {value}"))
    assert error.status == 417
    assert error.message.startswith("unsupported Expect value")


@pytest.mark.parametrize(
    "data",
    [b"", b"GET / HTTP/1.1\r\nHost: h\r\n", b"GET / HTTP/1.1\r\nHost: h\r\n\r\nbody", b"GET / HTTP/1.1", b"\r\n"],
    ids=repr,
)
def test_head_without_terminating_blank_line_is_400(data: bytes) -> None:
    error = rejected(data)
    assert (error.status, error.message) == (400, "the request head is not terminated by an empty line")


@pytest.mark.parametrize("data", [b"\n\n", b"\r\n\r\n"], ids=repr)
def test_empty_request_is_400(data: bytes) -> None:
    assert rejected(data).status == 400


def test_protocol_error_str_and_attributes() -> None:
    error = ProtocolError(431, "too many")
    assert (error.status, error.message) == (431, "too many")
    assert str(error) == "431 Request Header Fields Too Large: too many"


@pytest.mark.parametrize(
    ("status", "reason"),
    [(400, "Bad Request"), (404, "Not Found"), (505, "HTTP Version Not Supported"), (599, "Unknown")],
)
def test_status_reason(status: int, reason: str) -> None:
    assert status_reason(status) == reason


def test_status_reason_of_an_unlisted_registered_code() -> None:
    assert status_reason(418) == "I'm a Teapot"


# -- find_head_end -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("buffer", "end"),
    [
        (b"GET / HTTP/1.1\r\nHost: h\r\n\r\n", 27),
        (b"GET / HTTP/1.1\nHost: h\n\n", 24),
        (b"GET / HTTP/1.1\r\nHost: h\n\r\nBODY", 26),
        (b"GET / HTTP/1.1\r\nHost: h\r\n\r\nGET /next", 27),
        (b"GET / HTTP/1.1\r\nHost: h\r\n", -1),
        (b"GET / HTTP/1.1\r\nHost: h\r\n\r", -1),
        (b"", -1),
    ],
    ids=repr,
)
def test_find_head_end(buffer: bytes, end: int) -> None:
    assert find_head_end(buffer) == end
    assert find_head_end(bytearray(buffer)) == end


def test_find_head_end_resumes_from_start_across_arrivals() -> None:
    first = b"GET / HTTP/1.1\r\nHost: h\r\n"
    assert find_head_end(first) == -1
    whole = first + b"\r\n"
    assert find_head_end(whole, start=len(first)) == len(whole)


def test_find_head_end_result_is_what_parse_head_accepts() -> None:
    buffer = b"GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\n"
    end = find_head_end(buffer)
    assert parse_head(buffer[:end]).target == "/a"
    assert buffer[end:] == b"GET /b HTTP/1.1\r\n"


# -- ChunkedDecoder ------------------------------------------------------------------------


def feed_all(data: bytes, pieces: list[int] | None = None, **kwargs: int) -> tuple[bytes, ChunkedDecoder]:
    """Feed ``data`` in pieces of the given sizes (the rest at the end; None: one shot)."""
    decoder = ChunkedDecoder(**kwargs)
    out = b""
    position = 0
    for size in pieces or []:
        out += decoder.feed(data[position : position + size])
        position += size
    out += decoder.feed(data[position:])
    return out, decoder


def byte_at_a_time(data: bytes, **kwargs: int) -> tuple[bytes, ChunkedDecoder]:
    return feed_all(data, [1] * len(data), **kwargs)


VALID_BODIES = [
    (b"0\r\n\r\n", b""),
    (b"3\r\nabc\r\n0\r\n\r\n", b"abc"),
    (b"3\r\nabc\r\n5\r\n12345\r\n0\r\n\r\n", b"abc12345"),
    (b"A\r\n0123456789\r\n0\r\n\r\n", b"0123456789"),
    (b"a\r\n0123456789\r\n0\r\n\r\n", b"0123456789"),
    (b"0003\r\nabc\r\n0\r\n\r\n", b"abc"),
    (b"3;name=value\r\nabc\r\n0;last\r\n\r\n", b"abc"),
    (b'3 ; quoted="a;b"\r\nabc\r\n0\r\n\r\n', b"abc"),
    (b"3\r\nabc\r\n0\r\nX-Trailer: 1\r\nX-Other: two\r\n\r\n", b"abc"),
    (b"3\nabc\n0\n\n", b"abc"),
    (b"4\r\n\r\n\r\n\r\n0\r\n\r\n", b"\r\n\r\n"),
    (b"1\r\n\x00\r\n0\r\n\r\n", b"\x00"),
]


@pytest.mark.parametrize(("data", "body"), VALID_BODIES, ids=repr)
def test_valid_chunked_body_one_shot_and_byte_at_a_time(data: bytes, body: bytes) -> None:
    for out, decoder in (feed_all(data), byte_at_a_time(data)):
        assert out == body
        assert decoder.done
        assert decoder.unused == b""
        assert decoder.received == len(body)


def test_unused_holds_the_pipelined_rest() -> None:
    out, decoder = feed_all(b"3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n")
    assert (out, decoder.done, decoder.unused) == (b"abc", True, b"GET / HTTP/1.1\r\n")


def test_bytes_fed_after_the_end_are_added_to_unused() -> None:
    decoder = ChunkedDecoder()
    assert decoder.feed(b"0\r\n\r\nGE") == b""
    assert decoder.feed(b"T /") == b""
    assert decoder.unused == b"GET /"


def test_incomplete_body_is_not_done() -> None:
    decoder = ChunkedDecoder()
    assert decoder.feed(b"5\r\nab") == b"ab"
    assert not decoder.done
    assert decoder.feed(b"cde\r\n") == b"cde"
    assert not decoder.done
    assert decoder.feed(b"0\r\n") == b""
    assert not decoder.done, "the trailer section's blank line is still missing"
    assert decoder.feed(b"\r\n") == b""
    assert decoder.done


@pytest.mark.parametrize("size", [b"", b"g", b"0x5", b"-1", b"+1", b"1.0", b"\xe9", b"1" * 17, b" ", b";ext"], ids=repr)
def test_bad_chunk_size_is_400(size: bytes) -> None:
    with pytest.raises(ProtocolError, match="invalid chunk size") as info:
        ChunkedDecoder().feed(size + b"\r\nabc\r\n0\r\n\r\n")
    assert info.value.status == 400


def test_sixteen_hex_digits_is_the_largest_size() -> None:
    decoder = ChunkedDecoder()
    assert decoder.feed(b"000000000000000A\r\n0123456789\r\n0\r\n\r\n") == b"0123456789"
    assert decoder.done


@pytest.mark.parametrize("after", [b"X\r\n0\r\n\r\n", b"abc\r\n", b"\r0\r\n\r\n"], ids=repr)
def test_chunk_data_not_followed_by_crlf_is_400(after: bytes) -> None:
    data = b"3\r\nabc" + after
    for feed in (feed_all, byte_at_a_time):
        with pytest.raises(ProtocolError) as info:
            feed(data)
        assert info.value.status == 400


def test_stray_cr_in_a_size_line_is_400() -> None:
    with pytest.raises(ProtocolError, match="stray CR in the chunked encoding"):
        ChunkedDecoder().feed(b"3\r\r\nabc\r\n0\r\n\r\n")


def test_malformed_trailer_is_400() -> None:
    with pytest.raises(ProtocolError, match="malformed trailer field") as info:
        ChunkedDecoder().feed(b"0\r\nno colon here\r\n\r\n")
    assert info.value.status == 400


def test_body_over_max_body_is_413() -> None:
    with pytest.raises(ProtocolError, match="over the limit of 5 bytes") as info:
        ChunkedDecoder(max_body=5).feed(b"3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n")
    assert info.value.status == 413


def test_body_over_max_body_is_413_when_fed_byte_at_a_time() -> None:
    with pytest.raises(ProtocolError) as info:
        byte_at_a_time(b"3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n", max_body=5)
    assert info.value.status == 413


def test_body_of_exactly_max_body_is_accepted() -> None:
    out, decoder = feed_all(b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", max_body=5)
    assert (out, decoder.done) == (b"abcde", True)


def test_announced_size_alone_does_not_trip_max_body_before_data_arrives() -> None:
    decoder = ChunkedDecoder(max_body=5)
    assert decoder.feed(b"ffffff\r\nab") == b"ab"
    with pytest.raises(ProtocolError) as info:
        decoder.feed(b"cdef")
    assert info.value.status == 413


def test_size_line_without_end_is_400_once_over_the_line_limit() -> None:
    decoder = ChunkedDecoder()
    decoder.feed(b"1" * 4096)
    with pytest.raises(ProtocolError, match="chunk size line too long"):
        decoder.feed(b"1")


@pytest.mark.parametrize(
    "data",
    [
        b"3;" + b"x" * 5000 + b"\r\nabc\r\n0\r\n\r\n",
        b"3\r\nabc\r\n0\r\nX-Trailer: " + b"y" * 5000 + b"\r\n\r\n",
    ],
    ids=["long-extension", "long-trailer"],
)
def test_overlong_line_is_400_however_the_body_is_split(data: bytes) -> None:
    """The 4096-byte line limit must not depend on how the bytes arrived."""
    with pytest.raises(ProtocolError, match="too long") as split:
        byte_at_a_time(data)
    assert split.value.status == 400
    with pytest.raises(ProtocolError, match="too long") as whole:
        feed_all(data)
    assert whole.value.status == 400
