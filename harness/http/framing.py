"""Response framing, sans I/O: a filled :class:`Response` and the request's facts in, bytes out.

One place decides what goes on the wire for a response a handler filled in: the head (status
line, the handler's headers, ``Server``/``Date``/``Content-Length`` unless the handler set
them, ``Transfer-Encoding``, ``Connection``), how the body is delimited, whether it is sent
at all (``HEAD``; 1xx, 204 and 304 have none) and whether the connection stays open. The
transport (:mod:`harness.http.server`) writes what it returns and nothing else.

>>> response = Response()
>>> response.headers.update([("Server", "demo"), ("Date", "today")])   # else added
>>> framing = frame_response(response, method="GET", version="HTTP/1.1", keep_alive=True, body_length=2)
>>> framing.whole(b"hi")
b'HTTP/1.1 200 OK\\r\\nServer: demo\\r\\nDate: today\\r\\nContent-Length: 2\\r\\n\\r\\nhi'
>>> stream = frame_response(response, method="GET", version="HTTP/1.1", keep_alive=True, body_length=None)
>>> stream.body, stream.chunk(b"hi"), stream.end()
('chunked', b'2\\r\\nhi\\r\\n', b'0\\r\\n\\r\\n')
"""

from __future__ import annotations

from typing import Literal

from .response import SERVER_HEADER, Response, http_date, status_line

__all__ = ["BodyFraming", "Framing", "frame_response", "response_head"]

BodyFraming = Literal["empty", "length", "chunked", "close"]
"""How the body is delimited: none at all (1xx, 204, 304), ``Content-Length``, chunked, or the
connection's end (a stream of unknown length to an HTTP/1.0 client)."""

_LAST_CHUNK = b"0\r\n\r\n"


class Framing:
    """The wire form of one response: its head, and how to send its body."""

    __slots__ = ("body", "head", "keep_alive", "send_body")

    def __init__(self, head: bytes, body: BodyFraming, send_body: bool, keep_alive: bool) -> None:
        self.head = head
        """The status line and headers, up to and including the empty line."""
        self.body: BodyFraming = body
        self.send_body = send_body
        """``False`` for a ``HEAD`` request (unless the handler asked otherwise) and a bodiless status."""
        self.keep_alive = keep_alive
        """Whether the connection may carry another request after this response."""

    def whole(self, body: bytes) -> bytes:
        """The whole response, for a body in memory (``empty`` or ``length`` framing)."""
        return self.head + body if self.send_body else self.head

    def chunk(self, piece: bytes) -> bytes:
        """One piece of a streamed body, as it goes on the wire."""
        return b"%x\r\n%s\r\n" % (len(piece), piece) if self.body == "chunked" else piece

    def end(self) -> bytes:
        """What ends a streamed body (the last chunk; nothing for the other framings)."""
        return _LAST_CHUNK if self.body == "chunked" else b""

    def __repr__(self) -> str:
        return f"<Framing {self.body} send_body={self.send_body} keep_alive={self.keep_alive}>"


def response_head(
    response: Response,
    content_length: int | None,
    *,
    chunked: bool = False,
    close: bool = False,
    announce_keep_alive: bool = False,
) -> bytes:
    """The head of ``response``: its status line and headers, then the ones framing needs.

    ``Server`` and ``Date`` (unless the handler set them, or turned
    ``add_required_headers`` off), ``Content-Length: content_length`` (when not None and the
    handler set none), ``Transfer-Encoding: chunked``, and ``Connection: close`` or
    ``Connection: keep-alive`` unless the handler set a ``Connection`` header (``close`` too
    needs ``add_required_headers``).
    """
    headers = response.headers
    lines = [status_line(response.version, *response.status), *headers.wire_lines()]
    has_connection = b"connection" in headers
    if announce_keep_alive and not has_connection:
        lines.append(b"Connection: keep-alive\r\n")
    if response.add_required_headers:
        if b"server" not in headers:
            lines.append(b"Server: " + SERVER_HEADER + b"\r\n")
        if b"date" not in headers:
            lines.append(b"Date: " + http_date() + b"\r\n")
        if content_length is not None and b"content-length" not in headers:
            lines.append(b"Content-Length: %d\r\n" % content_length)
    if chunked:
        lines.append(b"Transfer-Encoding: chunked\r\n")
    if close and not has_connection and response.add_required_headers:
        lines.append(b"Connection: close\r\n")
    lines.append(b"\r\n")
    return b"".join(lines)


def frame_response(
    response: Response, *, method: str, version: str, keep_alive: bool, body_length: int | None
) -> Framing:
    """How to send ``response`` to a ``method`` request that came in HTTP ``version``.

    ``keep_alive`` is whether the request and the handler allow another request on the
    connection; ``body_length`` is the body's size when it is in memory, ``None`` for a
    stream. A stream goes out with the handler's ``Content-Length``, else chunked (HTTP/1.1),
    else until the connection closes (HTTP/1.0). With ``add_required_headers`` off, only
    the handler's headers go out and, without its ``Content-Length``, the close ends the body.
    """
    code = response.status[0]
    send_body = method != "HEAD" or response.send_body_for_head_request
    required = response.add_required_headers
    if not required and b"content-length" not in response.headers:
        keep_alive = False  # as in wptserve: nothing is added, the connection's end ends the body
    # An HTTP/1.0 client keeps the connection only when told so.
    announce = keep_alive and version == "HTTP/1.0"
    if code < 200 or code in (204, 304):
        head = response_head(response, None, close=not keep_alive, announce_keep_alive=announce)
        return Framing(head, "empty", False, keep_alive)
    if body_length is not None:
        head = response_head(response, body_length, close=not keep_alive, announce_keep_alive=announce)
        return Framing(head, "length", send_body, keep_alive)
    if b"content-length" in response.headers:
        body: BodyFraming = "length"
    elif version == "HTTP/1.1" and required:
        body = "chunked"
    else:
        body, keep_alive, announce = "close", False, False
    head = response_head(response, None, chunked=body == "chunked", close=not keep_alive, announce_keep_alive=announce)
    return Framing(head, body, send_body, keep_alive)
