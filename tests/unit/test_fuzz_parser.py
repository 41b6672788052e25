"""Property-based fuzzing of the HTTP request parser and the chunked body decoder."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from harness.http.parser import ChunkedDecoder, ProtocolError, RequestHead, parse_head

HEAD_STATUSES = {400, 417, 431, 501, 505}
BODY_STATUSES = {400, 413}

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def parse_outcome(data: bytes, max_headers: int = 100) -> RequestHead | ProtocolError:
    """parse_head's result, or the ProtocolError it raised; any other exception fails the test."""
    try:
        return parse_head(data, max_headers=max_headers)
    except ProtocolError as raised:
        error = raised
    assert error.status in HEAD_STATUSES, f"unexpected status {error.status}: {error.message}"
    assert isinstance(error.message, str)
    assert str(error).startswith(str(error.status))
    return error


# -- arbitrary bytes -----------------------------------------------------------------------


@FUZZ
@given(st.binary(max_size=512))
def test_parse_head_of_arbitrary_bytes_returns_a_head_or_a_protocol_error(data: bytes) -> None:
    assert isinstance(parse_outcome(data), (RequestHead, ProtocolError))


@FUZZ
@given(st.binary(max_size=256))
def test_parse_head_of_arbitrary_bytes_after_a_request_line(data: bytes) -> None:
    outcome = parse_outcome(b"GET / HTTP/1.1\r\nHost: h\r\n" + data + b"\r\n\r\n")
    if isinstance(outcome, RequestHead):
        assert (outcome.method, outcome.target, outcome.headers[0]) == ("GET", "/", (b"Host", b"h"))


# -- structured, near-valid requests -------------------------------------------------------

TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
JUNK = st.sampled_from([b" ", b"\t", b"\r", b"\x00", b"\x01", b"\x7f", b":", b"\xff", b"(", b",", b"\n"])

methods = st.one_of(
    st.sampled_from([b"GET", b"POST", b"PUT", b"HEAD", b"OPTIONS", b"DELETE"]),
    st.text(TOKEN_CHARS, min_size=1, max_size=8).map(str.encode),
    st.builds(lambda a, j: a + j, st.sampled_from([b"GET", b"G"]), JUNK),
    st.just(b""),
)
targets = st.one_of(
    st.sampled_from([b"/", b"/a.py?id=1", b"*", b"http://h/x", b"/%2e%2e/", b"/caf\xe9"]),
    st.binary(min_size=1, max_size=20).filter(lambda t: b" " not in t and b"\n" not in t),
    st.builds(lambda a, j: b"/" + a + j, st.binary(max_size=5), JUNK),
)
versions = st.sampled_from(
    [
        b"HTTP/1.1",
        b"HTTP/1.1",
        b"HTTP/1.0",
        b"HTTP/2.0",
        b"HTTP/0.9",
        b"HTTP/1.9",
        b"HTTP/1.10",
        b"http/1.1",
        b"HTTP/1",
        b"",
    ]
)
header_names = st.one_of(
    st.sampled_from(
        [b"Host", b"host", b"Content-Length", b"Transfer-Encoding", b"Connection", b"Expect", b"X-Custom", b"Cookie"]
    ),
    st.text(TOKEN_CHARS, min_size=1, max_size=10).map(str.encode),
    st.builds(lambda a, j: a + j, st.sampled_from([b"Host", b"X"]), JUNK),
    st.just(b""),
)
header_values = st.one_of(
    st.sampled_from(
        [
            b"h",
            b"0",
            b"5",
            b"5, 5",
            b"5, 6",
            b"-1",
            b"99999999999999999999",
            b"chunked",
            b"gzip, chunked",
            b"identity",
            b"close",
            b"keep-alive",
            b"100-continue",
            b"200-ok",
            b"",
            b"caf\xe9",
        ]
    ),
    st.binary(max_size=12).filter(lambda v: b"\n" not in v),
)
header_lines = st.one_of(
    st.builds(lambda n, v: n + b": " + v, header_names, header_values),
    st.builds(lambda v: b" " + v, header_values),  # obs-fold
    st.builds(lambda n, v: n + b" : " + v, header_names, header_values),
    st.binary(max_size=10).filter(lambda v: b"\n" not in v),
)


@st.composite
def near_valid_requests(draw: st.DrawFn) -> tuple[bytes, int]:
    request_line = b" ".join([draw(methods), draw(targets), draw(versions)])
    if draw(st.booleans()):
        request_line = request_line.replace(b" ", draw(st.sampled_from([b"  ", b"\t", b" "])), 1)
    lines = [request_line, *draw(st.lists(header_lines, max_size=8))]
    end = draw(st.sampled_from([b"\r\n", b"\n"]))
    data = b"".join(line + end for line in lines) + end
    return data, draw(st.integers(min_value=1, max_value=10))


@FUZZ
@given(near_valid_requests())
# Always-run edge cases (not bugs): an empty Transfer-Encoding beside a Content-Length, and
# repeated Content-Length values that agree.
@example((b"GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \r\nContent-Length: 5\r\n\r\n", 100))
@example((b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\nContent-Length: 5\r\n\r\n", 100))
def test_parse_head_of_near_valid_requests(request_and_limit: tuple[bytes, int]) -> None:
    data, max_headers = request_and_limit
    outcome = parse_outcome(data, max_headers=max_headers)
    if isinstance(outcome, ProtocolError):
        return
    # What a successful parse promises.
    request_line = data.split(b"\n", 1)[0].rstrip(b"\r")
    method, target, version = request_line.split(b" ")
    assert (outcome.method, outcome.target, outcome.version) == (
        method.decode("ascii"),
        target.decode("latin-1"),
        version.decode("ascii"),
    )
    assert outcome.version in ("HTTP/1.0", "HTTP/1.1") or outcome.version.startswith("HTTP/1.")
    assert len(outcome.headers) <= max_headers
    names = [name.lower() for name, _ in outcome.headers]
    assert names.count(b"host") <= 1
    if outcome.version == "HTTP/1.1":
        assert names.count(b"host") == 1
    for name, value in outcome.headers:
        assert b"\r" not in value and b"\n" not in value and b"\x00" not in value
        assert value == value.strip(b" \t")
        assert name and b" " not in name and b":" not in name
    kind, length = outcome.framing
    if kind == "chunked":
        assert length == 0
        assert outcome.version == "HTTP/1.1"
        assert b"content-length" not in names
    else:
        assert kind == "length"
        assert 0 <= length < 10**18
    if outcome.expect_continue:
        assert outcome.version == "HTTP/1.1"


@FUZZ
@given(near_valid_requests())
def test_parse_head_is_deterministic_and_ignores_line_ending_style(request_and_limit: tuple[bytes, int]) -> None:
    data, max_headers = request_and_limit
    first = parse_outcome(data, max_headers=max_headers)
    second = parse_outcome(data, max_headers=max_headers)
    if isinstance(first, ProtocolError):
        assert isinstance(second, ProtocolError)
        assert (first.status, first.message) == (second.status, second.message)
    else:
        assert first == second
    if b"\r" not in data:  # a bare-LF head means the same with CRLF line endings
        crlf = parse_outcome(data.replace(b"\n", b"\r\n"), max_headers=max_headers)
        if isinstance(first, ProtocolError):
            assert isinstance(crlf, ProtocolError)
            assert crlf.status == first.status
        else:
            assert crlf == first


# -- chunked bodies ------------------------------------------------------------------------


def decode(data: bytes, cuts: list[int], max_body: int | None) -> tuple[object, ...]:
    """Feed ``data`` split at ``cuts``: ("ok", body, done, unused) or ("error", status)."""
    decoder = ChunkedDecoder(max_body=max_body)
    out = bytearray()
    bounds = [0, *sorted(cut for cut in cuts if 0 < cut < len(data)), len(data)]
    error: ProtocolError | None = None
    try:
        for start, stop in itertools.pairwise(bounds):
            out += decoder.feed(data[start:stop])
    except ProtocolError as raised:
        error = raised
    if error is not None:
        assert error.status in BODY_STATUSES, f"unexpected status {error.status}: {error.message}"
        return ("error", error.status)
    assert decoder.received <= (max_body if max_body is not None else decoder.received)
    return ("ok", bytes(out), decoder.done, decoder.unused)


@st.composite
def chunked_bodies(draw: st.DrawFn) -> tuple[bytes, list[bytes], bytes]:
    """A valid chunked encoding: (encoded, chunks, pipelined rest)."""
    chunks = draw(st.lists(st.binary(min_size=1, max_size=40), max_size=6))
    eol = draw(st.sampled_from([b"\r\n", b"\n"]))
    parts = []
    for chunk in chunks:
        size = format(len(chunk), draw(st.sampled_from(["x", "X"]))).encode()
        size = b"0" * draw(st.integers(0, 16 - len(size))) + size
        extension = draw(st.sampled_from([b"", b";a", b";a=b", b' ; q="x;y"', b"\t"]))
        parts.append(size + extension + eol + chunk + eol)
    parts.append(b"0" * draw(st.integers(1, 4)) + draw(st.sampled_from([b"", b";last"])) + eol)
    trailer_lines = draw(st.lists(st.sampled_from([b"X-Trailer: 1", b"Digest: sha=abc", b"Empty:"]), max_size=3))
    parts.extend(line + eol for line in trailer_lines)
    parts.append(eol)
    rest = draw(st.sampled_from([b"", b"GET / HTTP/1.1\r\n", b"0\r\n\r\n", b"\r\n"]))
    return b"".join(parts), chunks, rest


cut_lists = st.lists(st.integers(min_value=0, max_value=700), max_size=12)


@FUZZ
@given(chunked_bodies(), cut_lists)
def test_valid_chunked_encodings_round_trip_however_split(
    body: tuple[bytes, list[bytes], bytes], cuts: list[int]
) -> None:
    encoded, chunks, rest = body
    expected = ("ok", b"".join(chunks), True, rest)
    assert decode(encoded + rest, [], None) == expected
    assert decode(encoded + rest, cuts, None) == expected
    assert decode(encoded + rest, list(range(len(encoded + rest))), None) == expected


@FUZZ
@given(chunked_bodies(), cut_lists, st.integers(min_value=0, max_value=120))
def test_max_body_is_enforced_exactly(body: tuple[bytes, list[bytes], bytes], cuts: list[int], limit: int) -> None:
    encoded, chunks, rest = body
    total = sum(len(chunk) for chunk in chunks)
    outcome = decode(encoded + rest, cuts, limit)
    assert outcome == (("error", 413) if total > limit else ("ok", b"".join(chunks), True, rest))


mutated_bodies = st.one_of(
    st.binary(max_size=300),
    st.builds(
        lambda body, position, junk: body[0][:position] + junk + body[0][position:],
        chunked_bodies(),
        st.integers(0, 300),
        st.binary(min_size=1, max_size=4),
    ),
    st.builds(lambda body, cut: body[0][:cut], chunked_bodies(), st.integers(0, 300)),
)


@FUZZ
@given(mutated_bodies, cut_lists, st.one_of(st.none(), st.integers(0, 100)))
# Found by reasoning, kept as seeds: a line longer than the 4096-byte limit was refused when it
# arrived in pieces but accepted when it arrived whole (chunk extension, then trailer field).
@example(b"3;" + b"x" * 5000 + b"\r\nabc\r\n0\r\n\r\n", [4500], None)
@example(b"3\r\nabc\r\n0\r\nX-T: " + b"y" * 5000 + b"\r\n\r\n", [4500], None)
def test_any_split_decodes_like_one_shot(data: bytes, cuts: list[int], max_body: int | None) -> None:
    assert decode(data, cuts, max_body) == decode(data, [], max_body)
