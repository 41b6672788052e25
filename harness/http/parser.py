"""HTTP/1.1 request parsing without I/O: bytes in, a :class:`RequestHead` or an error out.

The transport collects a request head (everything up to the blank line) and hands it to
:func:`parse_head`; it reads the body as :attr:`RequestHead.framing` says, feeding a
:class:`ChunkedDecoder` for chunked bodies. Anything malformed raises :class:`ProtocolError`
carrying the status code and a message for the client.

>>> head = parse_head(b"GET /a.py?id=1 HTTP/1.1\\r\\nHost: localhost\\r\\n\\r\\n")
>>> head.method, head.target, head.keep_alive, head.framing
('GET', '/a.py?id=1', True, ('length', 0))
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from http import HTTPStatus

__all__ = ["ChunkedDecoder", "ProtocolError", "RequestHead", "find_head_end", "parse_head", "status_reason"]

# RFC 9110 token characters, for methods and header names.
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
# A field value: visible ASCII, obs-text, spaces and tabs; never CR, LF, NUL or other controls.
_FIELD_VALUE = re.compile(rb"[\t\x20-\x7e\x80-\xff]*\Z")
# A request target: visible ASCII and obs-text, no spaces or controls.
_TARGET = re.compile(rb"[\x21-\x7e\x80-\xff]+\Z")
_VERSION = re.compile(rb"HTTP/(\d)\.(\d)\Z")
_DIGITS = re.compile(rb"[0-9]+\Z")
# RFC 3986 host (reg-name or bracketed IP literal) and an optional port; nothing that would
# change the path once pasted in front of it ("/", "?", "#", "@").
_AUTHORITY = rb"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(:[0-9]{0,5})?"
_HOST = re.compile(_AUTHORITY + rb"\Z")
_ABSOLUTE = re.compile(rb"(?i)(https?|wss?)://" + _AUTHORITY + rb"([/?][^#]*)?\Z")
_HEAD_END = re.compile(rb"\n\r?\n")
_MAX_CONTENT_LENGTH_DIGITS = 18

_REASONS = {
    400: "Bad Request",
    404: "Not Found",
    408: "Request Timeout",
    413: "Content Too Large",
    417: "Expectation Failed",
    414: "URI Too Long",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    505: "HTTP Version Not Supported",
}


def status_reason(status: int) -> str:
    """The standard reason phrase for ``status`` ("Unknown" for unregistered codes).

    Not cached: the response's status-line cache calls it once per code.
    """
    reason = _REASONS.get(status)
    if reason is None:
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Unknown"
    return reason


class ProtocolError(Exception):
    """A request the server rejects: the status to answer with and why.

    After a protocol error the connection is closed: its framing can no longer be trusted.
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(status, message)
        self.status = status
        self.message = message

    def __str__(self) -> str:
        return f"{self.status} {status_reason(self.status)}: {self.message}"


@dataclass(frozen=True)
class RequestHead:
    """A parsed request line and header block.

    ``framing`` is ``("length", n)`` or ``("chunked", 0)``; ``target`` is the raw request
    target decoded as latin-1 (so each byte is one character, percent-escapes untouched).
    """

    method: str
    target: str
    version: str
    headers: list[tuple[bytes, bytes]]
    keep_alive: bool
    framing: tuple[str, int]
    expect_continue: bool


def find_head_end(buffer: bytes | bytearray, start: int = 0) -> int:
    """The index just past the blank line ending a request head in ``buffer``, or -1.

    ``start`` lets a transport resume the search where the previous one stopped.
    """
    match = _HEAD_END.search(buffer, max(0, start - 2))
    return -1 if match is None else match.end()


def _split_lines(data: bytes) -> list[bytes]:
    if not data.endswith(b"\n\n") and not data.endswith(b"\r\n\r\n") and not data.endswith(b"\n\r\n"):
        raise ProtocolError(400, "the request head is not terminated by an empty line")
    lines = data.split(b"\n")
    # Drop the two empty items the terminating blank line leaves.
    lines = lines[:-2]
    for index, line in enumerate(lines):
        if line.endswith(b"\r"):
            lines[index] = line[:-1]
    return lines


def parse_head(data: bytes, max_headers: int = 100) -> RequestHead:
    """Parse a complete request head (request line, headers, blank line).

    Raises :class:`ProtocolError` with 400 (malformed), 431 (too many headers), 501
    (unsupported transfer coding) or 505 (HTTP version).
    """
    if b"\x00" in data:
        raise ProtocolError(400, "NUL byte in the request head")
    lines = _split_lines(data)
    if not lines:
        raise ProtocolError(400, "empty request")
    method, target, version = _parse_request_line(lines[0])
    if len(lines) - 1 > max_headers:
        raise ProtocolError(431, f"more than {max_headers} header fields")
    headers = [_parse_header_line(line) for line in lines[1:]]
    return _interpret(method, target, version, headers)


def _parse_request_line(line: bytes) -> tuple[str, str, str]:
    parts = line.split(b" ")
    if len(parts) != 3:
        shown = line[:80].decode("latin-1")
        raise ProtocolError(400, f"malformed request line {shown!r}: expected 'METHOD target HTTP/1.1'")
    method, target, version = parts
    if not _TOKEN.match(method):
        raise ProtocolError(400, f"invalid method {method[:40].decode('latin-1')!r}")
    if not _TARGET.match(target) or b"#" in target:
        raise ProtocolError(400, "invalid characters in the request target")
    if not target.startswith(b"/") and target != b"*" and not _ABSOLUTE.match(target):
        raise ProtocolError(400, f"invalid request target {target[:60].decode('latin-1')!r}")
    match = _VERSION.match(version)
    if match is None:
        raise ProtocolError(400, f"invalid HTTP version {version[:20].decode('latin-1')!r}")
    if match.group(1) != b"1":
        raise ProtocolError(
            505, f"HTTP/{match.group(1).decode()}.{match.group(2).decode()} is not supported; use HTTP/1.1"
        )
    return method.decode("ascii"), target.decode("latin-1"), version.decode("ascii")


def _parse_header_line(line: bytes) -> tuple[bytes, bytes]:
    if line[:1] in (b" ", b"\t"):
        raise ProtocolError(400, "obsolete line folding in header fields is not accepted")
    name, colon, value = line.partition(b":")
    if not colon:
        raise ProtocolError(400, f"header line without a colon: {line[:60].decode('latin-1')!r}")
    if not _TOKEN.match(name):
        raise ProtocolError(400, f"invalid header name {name[:60].decode('latin-1')!r}")
    value = value.strip(b" \t")
    if not _FIELD_VALUE.match(value):
        raise ProtocolError(400, f"invalid characters in the value of header {name.decode('ascii')!r}")
    return name, value


def _interpret(method: str, target: str, version: str, headers: list[tuple[bytes, bytes]]) -> RequestHead:
    content_lengths: list[bytes] = []
    transfer_codings: list[bytes] = []
    connection_tokens: set[bytes] = set()
    hosts = 0
    expect_continue = False
    for name, value in headers:
        lower = name.lower()
        if lower == b"content-length":
            content_lengths.extend(part.strip() for part in value.split(b","))
        elif lower == b"transfer-encoding":
            # List syntax allows empty elements ("chunked,"), not an empty list.
            codings = [part.strip().lower() for part in value.split(b",") if part.strip()]
            if not codings:
                raise ProtocolError(400, "empty Transfer-Encoding header")
            transfer_codings.extend(codings)
        elif lower == b"connection":
            connection_tokens.update(part.strip().lower() for part in value.split(b","))
        elif lower == b"host":
            hosts += 1
            if not _HOST.match(value):
                raise ProtocolError(400, f"invalid Host header {value[:60].decode('latin-1')!r}")
        elif lower == b"expect":
            if value.lower() != b"100-continue":
                raise ProtocolError(417, f"unsupported Expect value {value[:40].decode('latin-1')!r}")
            expect_continue = True
    http11 = version != "HTTP/1.0"  # RFC 9112: HTTP/1.2+ is handled as 1.1
    if http11 and hosts != 1:
        raise ProtocolError(
            400, "an HTTP/1.1 request needs exactly one Host header" + (f", got {hosts}" if hosts else "")
        )
    if hosts > 1:
        raise ProtocolError(400, f"more than one Host header ({hosts})")
    keep_alive = (b"close" not in connection_tokens) if http11 else (b"keep-alive" in connection_tokens)
    framing = _framing(content_lengths, transfer_codings, http11)
    return RequestHead(method, target, version, headers, keep_alive, framing, expect_continue and http11)


def _framing(content_lengths: list[bytes], transfer_codings: list[bytes], http11: bool) -> tuple[str, int]:
    if transfer_codings:
        if content_lengths:
            raise ProtocolError(400, "both Content-Length and Transfer-Encoding are present")
        if not http11:
            raise ProtocolError(400, "Transfer-Encoding is not allowed in an HTTP/1.0 request")
        if transfer_codings.count(b"chunked") > 1:
            raise ProtocolError(400, "chunked is applied more than once in Transfer-Encoding")
        if transfer_codings != [b"chunked"]:
            codings = ", ".join(coding.decode("latin-1") for coding in transfer_codings)
            raise ProtocolError(501, f"unsupported Transfer-Encoding {codings!r}; only 'chunked' is accepted")
        return ("chunked", 0)
    if not content_lengths:
        return ("length", 0)
    first = content_lengths[0]
    if any(value != first for value in content_lengths):
        raise ProtocolError(400, "conflicting Content-Length values")
    if not _DIGITS.match(first) or len(first) > _MAX_CONTENT_LENGTH_DIGITS:
        raise ProtocolError(400, f"invalid Content-Length {first[:30].decode('latin-1')!r}")
    return ("length", int(first))


class ChunkedDecoder:
    """Incremental decoder of a chunked request body.

    :meth:`feed` takes whatever bytes arrived and returns the body bytes decoded from them;
    :attr:`done` turns true after the last chunk and trailers, and :attr:`unused` holds the
    bytes after the body (the next pipelined request).

    >>> decoder = ChunkedDecoder()
    >>> decoder.feed(b"3\\r\\nabc\\r\\n0\\r\\n\\r\\nGET")
    b'abc'
    >>> decoder.done, decoder.unused
    (True, b'GET')
    """

    _MAX_LINE = 4096
    _MAX_TRAILER = 16384

    def __init__(self, max_body: int | None = None) -> None:
        self.max_body = max_body
        self.received = 0
        self.done = False
        self.unused = b""
        self._buffer = bytearray()
        self._state = "size"  # size -> data -> data_end -> size ... -> trailer
        self._remaining = 0
        self._trailer_bytes = 0

    def feed(self, data: bytes) -> bytes:
        """Decode what ``data`` completes; raises :class:`ProtocolError` on bad framing."""
        if self.done:
            self.unused += data
            return b""
        self._buffer += data
        out = bytearray()
        while not self.done:
            if self._state == "size":
                line = self._take_line()
                if line is None:
                    break
                self._remaining = self._parse_size(line)
                self._state = "data" if self._remaining else "trailer"
            elif self._state == "data":
                if not self._buffer:
                    break
                piece = bytes(self._buffer[: self._remaining])
                del self._buffer[: len(piece)]
                self._remaining -= len(piece)
                self.received += len(piece)
                if self.max_body is not None and self.received > self.max_body:
                    raise ProtocolError(413, f"the chunked body is over the limit of {self.max_body} bytes")
                out += piece
                if not self._remaining:
                    self._state = "data_end"
            elif self._state == "data_end":
                line = self._take_line()
                if line is None:
                    break
                if line:
                    raise ProtocolError(400, "chunk data is not followed by CRLF")
                self._state = "size"
            else:  # trailer section: lines until an empty one
                line = self._take_line()
                if line is None:
                    break
                if not line:
                    self.done = True
                    self.unused = bytes(self._buffer)
                    self._buffer.clear()
                elif b":" not in line:
                    raise ProtocolError(400, "malformed trailer field in a chunked body")
                else:
                    self._trailer_bytes += len(line)
                    if self._trailer_bytes > self._MAX_TRAILER:
                        raise ProtocolError(431, f"chunked trailer fields over {self._MAX_TRAILER} bytes")
        return bytes(out)

    def _take_line(self) -> bytes | None:
        end = self._buffer.find(b"\n")
        if end < 0:
            if len(self._buffer) > self._MAX_LINE:
                raise ProtocolError(400, "chunk size line too long")
            return None
        if end > self._MAX_LINE:
            raise ProtocolError(400, "chunk size or trailer line too long")
        line = bytes(self._buffer[:end])
        del self._buffer[: end + 1]
        if line.endswith(b"\r"):
            line = line[:-1]
        if b"\r" in line:
            raise ProtocolError(400, "stray CR in the chunked encoding")
        return line

    @staticmethod
    def _parse_size(line: bytes) -> int:
        size_text = line.split(b";", 1)[0].strip(b" \t")
        if not size_text or len(size_text) > 16 or not all(c in b"0123456789abcdefABCDEF" for c in size_text):
            raise ProtocolError(400, f"invalid chunk size {size_text[:20].decode('latin-1')!r}")
        return int(size_text, 16)
