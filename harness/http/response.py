"""The response a handler fills in, and the raw writer for full control.

A handler sets ``response.status``, ``response.headers`` and ``response.content`` (or returns
them); the transport turns that into bytes once the handler returns. A handler that needs
exact control of the wire uses ``response.writer`` instead, and then nothing else is sent
for it.

>>> response = Response()
>>> response.status = (404, b"Gone")
>>> response.headers.set("X-Count", 3)
>>> response.status, response.headers.get("x-count")
((404, b'Gone'), [b'3'])
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta, timezone
from email.utils import formatdate
from http.cookies import Morsel
from typing import Any, Protocol

from .datastructures import header_key
from .parser import status_reason

__all__ = [
    "ClientDisconnected",
    "Response",
    "ResponseHeaders",
    "ResponseWriter",
    "SERVER_HEADER",
    "check_content",
    "encode_header_part",
]

SERVER_HEADER = b"stash-harness"
"""The ``Server`` header's value, unless a handler sets its own."""


class ClientDisconnected(ConnectionError):
    """The client went away while the response was being written."""


def encode_header_part(part: str | bytes | int, what: str) -> bytes:
    """A header name or value as bytes; rejects CR, LF and NUL (no header splitting).

    Any other byte is kept, as wptserve sends it: a name with a colon or a space, an empty
    name or value, non-ASCII bytes.
    """
    if isinstance(part, bytes):
        data = part
    elif isinstance(part, str):
        try:
            data = part.encode("latin-1")
        except UnicodeEncodeError:
            raise ValueError(f"header {what} {part!r} has characters outside latin-1; encode it first") from None
    elif isinstance(part, int) and not isinstance(part, bool):
        return str(part).encode("ascii")
    else:
        raise TypeError(f"header {what} must be str, bytes or int, not {type(part).__name__}")
    # Anything that stays on one line goes out as written (a test may want an odd header);
    # only what would end the line, or the head, is refused.
    if b"\r" in data or b"\n" in data or b"\x00" in data:
        raise ValueError(f"header {what} {data[:60]!r} contains CR, LF or NUL, which would split the response")
    return data


def check_content(content: Any, what: str = "response.content") -> Any:
    """``content`` as the transport sends it, or :class:`TypeError` naming ``what``.

    The one rule for bodies, whether a handler set ``response.content`` or returned them:
    str and bytes as they are, other bytes-like objects as bytes, a file object (anything
    with ``read``) or an iterable of str and bytes (not a dict) streamed.
    """
    if isinstance(content, (bytes, str)):
        return content
    if isinstance(content, (bytearray, memoryview)):
        return bytes(content)
    if hasattr(content, "read") or (isinstance(content, Iterable) and not isinstance(content, dict)):
        return content
    raise TypeError(
        f"{what} is {type(content).__name__}; it must be str, bytes, a file object or an iterable of str or bytes"
    )


def plain_text_error(status: int, message: str, headers: Iterable[tuple[str, str]] = ()) -> bytes:
    """A whole plain-text error response that ends the connection (protocol errors, refusals)."""
    body = (message.rstrip("\n") + "\n").encode("utf-8", "replace")
    lines = [
        status_line("HTTP/1.1", status, None),
        b"Content-Type: text/plain; charset=utf-8\r\n",
        b"Content-Length: %d\r\n" % len(body),
        b"Server: " + SERVER_HEADER + b"\r\n",
        *(b"%s: %s\r\n" % (encode_header_part(n, "name"), encode_header_part(v, "value")) for n, v in headers),
        b"Connection: close\r\n\r\n",
        body,
    ]
    return b"".join(lines)


class ResponseHeaders:
    """Response headers, in order, case-insensitive; values are stored as bytes.

    ``set`` replaces, ``append`` adds; ``get`` and ``[]`` return the list of values, as in
    wptserve. Values may be ``str``, ``bytes`` or ``int``; CR/LF raise :class:`ValueError`.
    """

    __slots__ = ("_data",)

    def __init__(self, items: Iterable[tuple[str | bytes, str | bytes | int]] = ()) -> None:
        self._data: dict[bytes, tuple[bytes, list[bytes]]] = {}
        self.update(items)

    def set(self, name: str | bytes, value: str | bytes | int) -> None:
        """Replace every value of ``name`` with ``value``."""
        encoded = encode_header_part(name, "name")
        self._data[encoded.lower()] = (encoded, [encode_header_part(value, "value")])

    __setitem__ = set

    def append(self, name: str | bytes, value: str | bytes | int) -> None:
        """Add a value for ``name`` after the existing ones."""
        encoded = encode_header_part(name, "name")
        entry = self._data.get(encoded.lower())
        if entry is None:
            self._data[encoded.lower()] = (encoded, [encode_header_part(value, "value")])
        else:
            entry[1].append(encode_header_part(value, "value"))

    def update(self, items: Iterable[tuple[str | bytes, str | bytes | int]] | dict[Any, Any]) -> None:
        """Append each ``(name, value)`` pair (a dict's items too)."""
        pairs = items.items() if isinstance(items, dict) else items
        for pair in pairs:
            try:
                name, value = pair
            except (TypeError, ValueError):
                raise TypeError(f"headers must be (name, value) pairs, got {pair!r}") from None
            self.append(name, value)

    def get(self, name: str | bytes, default: Any = None) -> Any:
        """The list of values for ``name``; ``default`` (or ``[]`` when ``None``) if absent."""
        entry = self._data.get(header_key(name))
        if entry is None:
            return [] if default is None else default
        return list(entry[1])

    def first(self, name: str | bytes, default: bytes | None = None) -> bytes | None:
        """The first value of ``name``, or ``default``."""
        entry = self._data.get(header_key(name))
        return entry[1][0] if entry else default

    def __getitem__(self, name: str | bytes) -> list[bytes]:
        entry = self._data.get(header_key(name))
        if entry is None:
            raise KeyError(name)
        return list(entry[1])

    def __delitem__(self, name: str | bytes) -> None:
        del self._data[header_key(name)]

    def pop(self, name: str | bytes, default: Any = None) -> Any:
        """Remove ``name``; return its values or ``default``."""
        entry = self._data.pop(header_key(name), None)
        return default if entry is None else entry[1]

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, (str, bytes)):
            return False
        return header_key(name) in self._data

    def __iter__(self) -> Iterator[tuple[bytes, bytes]]:
        for name, values in self._data.values():
            for value in values:
                yield name, value

    def __len__(self) -> int:
        return len(self._data)

    def items(self) -> list[tuple[bytes, bytes]]:
        """Every ``(name, value)`` pair, in order."""
        return list(self)

    def wire_lines(self) -> list[bytes]:
        """Every header as its ``Name: value\\r\\n`` line, in order."""
        return [b"%s: %s\r\n" % (name, value) for name, values in self._data.values() for value in values]

    def clear(self) -> None:
        """Remove every header."""
        self._data.clear()

    def __repr__(self) -> str:
        return f"ResponseHeaders({self.items()!r})"


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def cookie_date(moment: datetime) -> str:
    """A cookie's Expires as wptserve writes it: ``07 dec 2026 13:08:35 GMT`` (UTC)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return f"{moment:%d} {_MONTHS[moment.month - 1]} {moment:%Y %H:%M:%S} GMT"


_date_cache: tuple[int, bytes] = (0, b"")


def http_date() -> bytes:
    """The current time as an HTTP date, cached for the second."""
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, formatdate(now, usegmt=True).encode("ascii"))
    return _date_cache[1]


# The only cache of standard status lines (status_reason itself caches nothing): bounded,
# as versions come from the server and codes are 100-999.
_status_lines: dict[tuple[str, int], bytes] = {}


def status_line(version: str, code: int, message: str | bytes | None) -> bytes:
    """``HTTP/1.1 404 Not Found\\r\\n`` (the standard reason when ``message`` is None)."""
    if message is None:
        line = _status_lines.get((version, code))
        if line is None:
            line = _status_lines[(version, code)] = b"%s %d %s\r\n" % (
                version.encode("ascii"),
                code,
                status_reason(code).encode("latin-1"),
            )
        return line
    return b"%s %d %s\r\n" % (version.encode("ascii"), code, encode_header_part(message, "reason phrase"))


def _check_status(code: object) -> int:
    if isinstance(code, int) and not isinstance(code, bool):
        number = code
    else:
        try:
            number = int(code)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            raise ValueError(f"response status must be an int, got {code!r}") from None
    if not 100 <= number <= 999:
        raise ValueError(f"response status {number} is out of range (100-999)")
    return number


class Sink(Protocol):
    """Where a writer's bytes go: the connection."""

    def send(self, data: bytes) -> None: ...


class Response:
    """What a handler answers; the transport serialises it after ``main`` returns.

    ``status`` takes an int or ``(int, message)``; ``content`` takes str, bytes, a file
    object or an iterable of str/bytes (streamed).
    """

    def __init__(self, sink: Sink | None = None, version: str = "HTTP/1.1", is_head: bool = False) -> None:
        self._status: tuple[int, str | bytes | None] = (200, None)
        self.headers = ResponseHeaders()
        self.content: Any = b""
        self.encoding = "utf-8"
        self.add_required_headers = True
        self.send_body_for_head_request = False
        self.close_connection = False
        self.explicit_flush = False  # wptserve's flag; writes here are never buffered
        self.request: Any = None  # the request this answers (set by the application)
        self._sink = sink
        self._version = version
        self._is_head = is_head
        self._writer: ResponseWriter | None = None

    @property
    def status(self) -> tuple[int, str | bytes | None]:
        """``(code, message or None)``."""
        return self._status

    @status.setter
    def status(self, value: int | tuple[int, str | bytes] | Any) -> None:
        if isinstance(value, tuple):
            if len(value) != 2:
                raise ValueError(f"response status must be an int or (int, message), got {value!r}")
            code, message = value
            if message is not None and not isinstance(message, (str, bytes)):
                message = str(message)
            if message is not None:
                encode_header_part(message, "reason phrase")
            self._status = (_check_status(code), message)
        else:
            self._status = (_check_status(value), None)

    @property
    def version(self) -> str:
        """The HTTP version of the status line (``HTTP/1.1``)."""
        return self._version

    @property
    def writer(self) -> ResponseWriter:
        """Raw control of the wire; once used, the transport sends nothing else."""
        if self._writer is None:
            if self._sink is None:
                raise RuntimeError("this response is not attached to a connection")
            self._writer = ResponseWriter(self, self._sink, self._version)
        return self._writer

    @property
    def writer_used(self) -> bool:
        """Whether the handler wrote anything through :attr:`writer`."""
        return self._writer is not None and self._writer.content_written

    def encode(self, data: str | bytes) -> bytes:
        """``str`` in :attr:`encoding`; bytes unchanged."""
        if isinstance(data, bytes):
            return data
        if isinstance(data, str):
            return data.encode(self.encoding)
        raise TypeError(f"response content must be str or bytes, not {type(data).__name__}")

    def iter_content(self) -> Iterator[bytes]:
        """The body as chunks of bytes."""
        content = self.content
        if isinstance(content, (bytes, str)):
            yield self.encode(content)
            return
        if hasattr(content, "read"):
            try:
                while chunk := content.read(65536):
                    yield self.encode(chunk)
            finally:
                close = getattr(content, "close", None)
                if close is not None:
                    close()
            return
        for item in content:
            if callable(item):
                item = item()
            if item:
                yield self.encode(item)

    def set_cookie(
        self,
        name: str | bytes,
        value: str | bytes | None,
        path: str = "/",
        domain: str | None = None,
        max_age: int | timedelta | None = None,
        expires: datetime | timedelta | str | None = None,
        samesite: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        comment: str | None = None,
    ) -> None:
        """Append a ``Set-Cookie`` header (``value=None`` deletes the cookie)."""
        text_name = name.decode("latin-1") if isinstance(name, bytes) else name
        if value is None:
            value, max_age, expires = "", 0, timedelta(days=-1)
        text_value = value.decode("latin-1") if isinstance(value, bytes) else value
        morsel: Morsel[str] = Morsel()
        try:
            morsel.set(text_name, text_value, text_value)
        except Exception as exc:  # noqa: BLE001 - http.cookies raises CookieError and others
            raise ValueError(f"invalid cookie name {text_name!r}: {exc}") from None
        if isinstance(expires, timedelta):
            expires = datetime.now(timezone.utc) + expires
        if isinstance(expires, datetime):
            expires = cookie_date(expires)
        if isinstance(max_age, timedelta):
            max_age = int(max_age.total_seconds())
        for attribute, setting in (
            ("path", path),
            ("domain", domain),
            ("max-age", max_age),
            ("expires", expires),
            ("samesite", samesite),
            ("secure", secure),
            ("httponly", httponly),
            ("comment", comment),
        ):
            if setting is not None and setting is not False:
                morsel[attribute] = setting
        self.headers.append("Set-Cookie", morsel.OutputString())

    def delete_cookie(self, name: str | bytes, path: str = "/", domain: str | None = None) -> None:
        """Ask the client to drop cookie ``name``."""
        self.set_cookie(name, None, path=path, domain=domain)

    def unset_cookie(self, name: str | bytes) -> None:
        """Remove a ``Set-Cookie`` this response was going to send for ``name``."""
        prefix = (name if isinstance(name, bytes) else name.encode("latin-1")) + b"="
        kept = [value for value in self.headers.get("Set-Cookie") if not value.startswith(prefix)]
        self.headers.pop("Set-Cookie")
        for value in kept:
            self.headers.append("Set-Cookie", value)

    def write_status_headers(self) -> None:
        """Send the status line and :attr:`headers` now, through :attr:`writer` (wptserve's method).

        The body then goes out with ``writer.write_content`` or :meth:`write_content`.
        """
        writer = self.writer
        writer.write_status(*self._status)
        for name, value in self.headers:
            writer.write_header(name, value)
        writer.end_headers()

    def write_content(self) -> None:
        """Send :attr:`content` through :attr:`writer` (after :meth:`write_status_headers`)."""
        if self._is_head and not self.send_body_for_head_request:
            return
        for chunk in self.iter_content():
            self.writer.write_content(chunk)

    def write(self) -> None:
        """Send the whole response now, through :attr:`writer`."""
        self.write_status_headers()
        self.write_content()

    def set_error(self, code: int, message: object = None) -> None:
        """Answer ``code`` with wptserve's JSON error body ``{"error": {"code", "message"}}``."""
        self.status = code
        text = "" if message is None else str(message)
        self.content = json.dumps({"error": {"code": code, "message": text}})
        self.headers.clear()
        self.headers.set("Content-Type", "application/json")


class ResponseWriter:
    """Write the status, headers and body yourself (wptserve's ``response.writer``).

    >>> def main(request, response):
    ...     response.writer.write_status(200)
    ...     response.writer.write_header("Content-Type", "text/plain")
    ...     response.writer.end_headers()
    ...     response.writer.write_content(b"raw")
    """

    def __init__(self, response: Response, sink: Sink, version: str) -> None:
        self._response = response
        self._sink = sink
        self._version = version
        self._head: list[bytes] = []
        self._status_written = False
        self._headers_ended = False
        self._header_names: set[bytes] = set()
        self.content_written = False

    @property
    def has_content_length(self) -> bool:
        """Whether a Content-Length header went out (else the connection closes after)."""
        return b"content-length" in self._header_names

    def _send(self, data: bytes) -> None:
        self.content_written = True
        if self._head:
            # Raw writes after a status line or headers go out after them, in one write.
            data, self._head = b"".join(self._head) + data, []
        self._sink.send(data)

    def write_status(self, code: int = 200, message: str | bytes | None = None) -> None:
        """Start the response with a status line."""
        self.content_written = True
        self._head.append(status_line(self._version, _check_status(code), message))
        self._status_written = True

    def write_header(self, name: str | bytes, value: str | bytes | int) -> bool:
        """Add one header line (the status line first, if not written yet)."""
        if not self._status_written:
            self.write_status(self._response.status[0], self._response.status[1])
        encoded = encode_header_part(name, "name")
        self._head.append(b"%s: %s\r\n" % (encoded, encode_header_part(value, "value")))
        self._header_names.add(encoded.lower())
        return True

    def end_headers(self) -> bool:
        """Finish the head and send it (``True``; :class:`ClientDisconnected` if the client is gone).

        Unless ``response.add_required_headers`` is off, Server and Date are added when not
        written, and a Content-Length when ``response.content`` is a non-empty str or bytes.
        """
        if not self._status_written:
            self.write_status(self._response.status[0], self._response.status[1])
        if self._response.add_required_headers:
            if b"server" not in self._header_names:
                self.write_header("Server", SERVER_HEADER)
            if b"date" not in self._header_names:
                self.write_header("Date", http_date())
            content = self._response.content
            if isinstance(content, (str, bytes)) and content and b"content-length" not in self._header_names:
                self.write_header("Content-Length", len(self._response.encode(content)))
        self._head.append(b"\r\n")
        self._headers_ended = True
        head, self._head = b"".join(self._head), []
        self._send(head)
        return True

    def _send_checked(self, data: bytes) -> bool:
        try:
            self._send(data)
        except (ClientDisconnected, OSError):
            return False
        return True

    def write_content(self, data: str | bytes | Any) -> bool:
        """Send body data, finishing the head first (with a Content-Length for this data,
        unless ``response.add_required_headers`` is off)."""
        if data is None:
            raise ValueError("response content cannot be None")
        if isinstance(data, str):
            data = self._response.encode(data)  # once: its length and what is sent
        if not self._headers_ended:
            if (
                isinstance(data, bytes)
                and self._response.add_required_headers
                and b"content-length" not in self._header_names
            ):
                self.write_header("Content-Length", len(data))
            self.end_headers()
        return self.write_raw_content(data)

    def write_raw_content(self, data: str | bytes | Any) -> bool:
        """Send body data as is (a file object is streamed); ``None`` is a :class:`ValueError`."""
        if data is None:
            raise ValueError("data cannot be None")
        if isinstance(data, (str, bytes)):
            self._send(self._response.encode(data))
            return True
        while chunk := data.read(65536):
            self._send(self._response.encode(chunk))
        close: Callable[[], None] | None = getattr(data, "close", None)
        if close is not None:
            close()
        return True

    def write(self, data: str | bytes) -> bool:
        """Send raw bytes; ``False`` if the client is gone (wptserve's contract).

        Anything but str or bytes (``None`` included) is a :class:`ValueError`, as in wptserve.
        """
        if not isinstance(data, (str, bytes)):
            raise ValueError(f"data {data!r} should be text or binary, but is {type(data).__name__}")
        return self._send_checked(self._response.encode(data))

    def encode(self, data: str | bytes) -> bytes:
        """``str`` in the response's encoding; bytes unchanged."""
        return self._response.encode(data)

    def flush(self) -> None:
        """Writes are unbuffered; present for compatibility."""

    def finish(self) -> bool:
        """After the handler: send a head it began but never ended; whether the head was complete.

        wptserve writes each header as it comes, so an unfinished head reaches the client as
        written; the transport then closes the connection.
        """
        if self._head:
            head, self._head = b"".join(self._head), []
            self._sink.send(head)
        return self._headers_ended
