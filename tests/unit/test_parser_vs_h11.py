"""Differential fuzzing of the request parser against h11 (a test-only oracle).

Requests both parsers accept must parse to the same method, target, version, headers, body
framing and ``Expect: 100-continue``. Where only one of them accepts, the difference must be
one of the deliberate ones listed below (``WE_REFUSE``, ``why_we_refuse``, ``why_we_accept``),
each with its reason; anything else fails.
"""

from __future__ import annotations

import h11
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from harness.http.parser import ProtocolError, RequestHead, parse_head

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Requests h11 accepts and we refuse: what our error says, and why we refuse.
WE_REFUSE: dict[str, str] = {
    "Transfer-Encoding is not allowed in an HTTP/1.0 request": (
        "RFC 9112 6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing"
    ),
    "both Content-Length and Transfer-Encoding are present": (
        "RFC 9112 6.1 lets a server reject it; refusing closes the door on request smuggling"
    ),
    "obsolete line folding": "RFC 9112 5.2: a server may reject obs-fold with 400 (h11 unfolds it)",
    "invalid characters in the request target": (
        "a fragment (#) or a control never belongs in a request target (RFC 9112 3.2); h11 takes any bytes"
    ),
    "invalid request target": (
        "only origin-form, absolute-form (http, https, ws, wss) and * name something this server serves"
    ),
    "invalid Host header": "Host must be uri-host[:port] (RFC 9110 7.2): request URLs are built from it",
    "unsupported Expect value": "RFC 9110 10.1.1: 417 for an expectation the server cannot meet",
    "invalid characters in the value of header": "RFC 9110 5.5: no controls in field values (h11 0.16 allows them)",
    "invalid Content-Length": "over 18 digits: larger than any body the server could take",
    "empty Transfer-Encoding header": "RFC 9112 6.1: Transfer-Encoding is a non-empty list",
    "is not supported; use HTTP/1.1": "HTTP/2+ on an HTTP/1.1 request line: 505, as RFC 9110 15.6.6 suggests",
}


def request_line(data: bytes) -> bytes:
    return data.split(b"\n", 1)[0].rstrip(b"\r")


def why_we_refuse(data: bytes, error: ProtocolError) -> str | None:
    """The reason we refuse a request h11 accepts, when it is a deliberate difference."""
    for pattern, reason in WE_REFUSE.items():
        if pattern in error.message:
            return reason
    version = request_line(data).rpartition(b" ")[2]
    if "needs exactly one Host header" in error.message and version not in (b"HTTP/1.1", b"HTTP/1.0"):
        return "HTTP/1.2+ is handled as HTTP/1.1 (RFC 9110 2.5), so it needs a Host as 1.1 does; h11 asks only 1.1"
    return None


def why_we_accept(data: bytes, error: h11.RemoteProtocolError) -> str | None:
    """The reason we accept a request h11 refuses, when it is a deliberate difference."""
    target = request_line(data).split(b" ")[1:2]
    if "illegal request line" in str(error) and target and any(byte >= 0x80 for byte in target[0]):
        return (
            "raw non-ASCII bytes in a path (obs-text): legacy clients and wpt tests send them, wptserve "
            "serves them; the target is kept byte for byte (as latin-1)"
        )
    return None


def ours(data: bytes) -> RequestHead | ProtocolError:
    try:
        return parse_head(data, max_headers=1000)
    except ProtocolError as error:
        return error


def theirs(data: bytes) -> tuple[h11.Request, bool] | h11.RemoteProtocolError:
    """h11's request and whether it waits for 100-continue, or its refusal."""
    connection = h11.Connection(h11.SERVER)
    connection.receive_data(data)
    try:
        event = connection.next_event()
    except h11.RemoteProtocolError as error:
        return error
    assert isinstance(event, h11.Request), f"h11 needs more than a whole head: {event!r}"
    return event, connection.client_is_waiting_for_100_continue


def h11_framing(request: h11.Request) -> tuple[str, int]:
    """The body framing h11 applies to a request it accepted (RFC 9112 6.3)."""
    names = {name for name, _ in request.headers}
    if b"transfer-encoding" in names:
        return ("chunked", 0)
    for name, value in request.headers:
        if name == b"content-length":
            return ("length", int(value))
    return ("length", 0)


def compare(data: bytes) -> None:
    mine, h11_outcome = ours(data), theirs(data)
    if isinstance(mine, RequestHead) and not isinstance(h11_outcome, h11.RemoteProtocolError):
        request, waits = h11_outcome
        assert mine.method.encode("ascii") == request.method
        assert mine.target.encode("latin-1") == request.target
        assert mine.version == "HTTP/" + request.http_version.decode("ascii")
        # h11 folds a Content-Length list ("5, 5") into one value; the framing compares it.
        raw = [(name, value) for name, value in request.headers.raw_items() if name.lower() != b"content-length"]
        assert [(n, v) for n, v in mine.headers if n.lower() != b"content-length"] == raw
        assert mine.framing == h11_framing(request)
        assert mine.expect_continue == waits
    elif isinstance(mine, ProtocolError) and not isinstance(h11_outcome, h11.RemoteProtocolError):
        assert why_we_refuse(data, mine), f"we refuse what h11 accepts, for no listed reason: {mine} for {data!r}"
    elif isinstance(mine, RequestHead) and isinstance(h11_outcome, h11.RemoteProtocolError):
        reason = why_we_accept(data, h11_outcome)
        assert reason, f"we accept what h11 refuses ({h11_outcome}), for no listed reason: {data!r}"


TOKEN = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
methods = st.one_of(
    st.sampled_from([b"GET", b"POST", b"PUT", b"HEAD", b"OPTIONS"]),
    st.text(TOKEN, min_size=1, max_size=8).map(str.encode),
)
targets = st.one_of(
    st.sampled_from(
        [b"/", b"/a.py?id=1&x=%41", b"*", b"http://h/x", b"wss://h:1/?q", b"/caf\xe9", b"/a#b", b"ftp://h/"]
    ),
    st.text("/abc%?=&;:@!$'()*+,._~-", min_size=1, max_size=12).map(lambda t: b"/" + t.encode()),
)
versions = st.sampled_from([b"HTTP/1.1", b"HTTP/1.1", b"HTTP/1.1", b"HTTP/1.0", b"HTTP/1.2", b"HTTP/2.0"])
names = st.one_of(
    st.sampled_from([b"Host", b"host", b"Content-Length", b"Transfer-Encoding", b"Connection", b"Expect", b"X-A"]),
    st.text(TOKEN, min_size=1, max_size=10).map(str.encode),
)
values = st.one_of(
    st.sampled_from(
        [
            b"h",
            b"localhost:8000",
            b"[::1]:80",
            b"a b",
            b"0",
            b"5",
            b"5, 5",
            b"5, 6",
            b"+5",
            b"1" * 19,
            b"chunked",
            b"gzip, chunked",
            b"chunked, chunked",
            b"chunked,",
            b"",
            b"close",
            b"keep-alive",
            b"100-continue",
            b"100-Continue",
            b"200-ok",
            b"caf\xe9",
            b"a\x01b",
            b" padded \t",
        ]
    ),
    st.text("abcXYZ0189 ,;=-./:\t", max_size=12).map(str.encode),
)
header_lines = st.one_of(
    st.builds(lambda n, v: n + b": " + v, names, values),
    st.builds(lambda n, v: n + b":" + v, names, values),
    st.builds(lambda v: b" " + v, values),  # obs-fold
)


@st.composite
def requests(draw: st.DrawFn) -> bytes:
    headers = draw(st.lists(header_lines, max_size=5))
    if draw(st.integers(0, 3)):  # mostly one Host, as real clients send
        headers.append(b"Host: " + draw(st.sampled_from([b"h", b"localhost:8000", b"[::1]"])))
    lines = [b" ".join([draw(methods), draw(targets), draw(versions)]), *draw(st.permutations(headers))]
    end = draw(st.sampled_from([b"\r\n", b"\r\n", b"\n"]))
    return b"".join(line + end for line in lines) + end


@FUZZ
@given(requests())
@example(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
@example(b"POST /a.py?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\nExpect: 100-continue\r\n\r\n")
@example(b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n")
@example(b"GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n")
@example(b"GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n")
@example(b"GET /a#b HTTP/1.1\r\nHost: h\r\n\r\n")
@example(b"GET / HTTP/1.1\r\nHost: h\r\n X: folded\r\n\r\n")
def test_both_parsers_agree_or_the_difference_is_deliberate(data: bytes) -> None:
    compare(data)


def test_every_deliberate_difference_happens() -> None:
    """Each listed difference is real (h11 accepts, we refuse), so the list stays honest."""
    cases = {
        "Transfer-Encoding is not allowed": b"GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
        "both Content-Length and": b"GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",  # noqa: E501
        "obsolete line folding": b"GET / HTTP/1.1\r\nHost: h\r\n X: y\r\n\r\n",
        "invalid characters in the request target": b"GET /a#b HTTP/1.1\r\nHost: h\r\n\r\n",
        "invalid request target": b"GET ftp://h/ HTTP/1.1\r\nHost: h\r\n\r\n",
        "invalid Host header": b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
        "unsupported Expect value": b"GET / HTTP/1.1\r\nHost: h\r\nExpect: 200-ok\r\n\r\n",
        "invalid characters in the value": b"GET / HTTP/1.1\r\nHost: h\r\nX: a\x01b\r\n\r\n",
        "invalid Content-Length": b"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: " + b"1" * 19 + b"\r\n\r\n",
        "needs exactly one Host header": b"GET / HTTP/1.2\r\n\r\n",
    }
    for message, data in cases.items():
        mine = ours(data)
        assert isinstance(mine, ProtocolError) and message in mine.message, (data, mine)
        assert not isinstance(theirs(data), h11.RemoteProtocolError), data
        compare(data)
    # And the other way: h11 refuses, we accept.
    data = b"GET /caf\xe9 HTTP/1.1\r\nHost: h\r\n\r\n"
    h11_outcome = theirs(data)
    assert isinstance(h11_outcome, h11.RemoteProtocolError)
    assert isinstance(ours(data), RequestHead)
    assert why_we_accept(data, h11_outcome)
