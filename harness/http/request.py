"""The request a handler receives, with wptserve's surface.

Everything is parsed on first use: a handler that never looks at ``request.POST`` never
pays for a multipart parse.

>>> from harness.http.request import Request
>>> request = Request("GET", "/a.py?id=1&id=2", "HTTP/1.1", [(b"Host", b"localhost:8000")], b"", scheme="http")
>>> request.GET.first(b"id"), request.GET.get_list("id"), request.url
(b'1', [b'1', b'2'], 'http://localhost:8000/a.py?id=1&id=2')
"""

from __future__ import annotations

import base64
import binascii
import email.policy
import http.client
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesParser
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import SplitResult, parse_qsl, urlsplit

from .datastructures import Cookies, CookieValue, MultiDict, RequestHeaders
from .lazy import lazy_property

if TYPE_CHECKING:
    from ..stash import Stash

__all__ = ["Authentication", "HTTPException", "Request", "ServerView", "UploadedFile"]


class HTTPException(Exception):
    """Raise from a handler to answer with ``code`` (and an optional message), as in wptserve.

    >>> def main(request, response):
    ...     if b"id" not in request.GET:
    ...         raise HTTPException(400, "id is required")
    """

    def __init__(self, code: int, message: str | None = None) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}" if self.message is None else f"{self.code}: {self.message}"


@dataclass
class UploadedFile:
    """A multipart field that carried a filename."""

    filename: str
    value: bytes
    type: str = "application/octet-stream"
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def file(self) -> io.BytesIO:
        """The content as a fresh file object."""
        return io.BytesIO(self.value)


@dataclass(frozen=True)
class Authentication:
    """HTTP Basic credentials (``None`` when absent or another scheme)."""

    username: bytes | None
    password: bytes | None


def _parse_query(query: str) -> MultiDict[bytes]:
    # latin-1 maps each percent-decoded byte to one character, so encoding back gives the exact bytes.
    pairs = parse_qsl(query, keep_blank_values=True, encoding="latin-1", errors="strict")
    return MultiDict((name.encode("latin-1"), value.encode("latin-1")) for name, value in pairs)


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _parse_multipart(content_type: bytes, body: bytes) -> MultiDict[Any]:
    # The HTTP policy decodes raw UTF-8 in part headers, as browsers send field and file names.
    head = b"Content-Type: " + content_type + b"\r\n\r\n"
    message = BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise HTTPException(400, "malformed multipart/form-data body")
    fields: MultiDict[Any] = MultiDict()
    parts = message.get_payload()
    assert isinstance(parts, list)
    for part in parts:
        if not isinstance(part, Message):
            continue
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        content = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        key = _text(name).encode("utf-8")
        if not filename:  # no filename, or an empty one: a plain field, as wptserve reads it
            fields.add(key, content)
        else:
            headers = {k: _text(v) for k, v in part.items()}
            fields.add(key, UploadedFile(_text(filename), content, part.get_content_type(), headers))
    return fields


class ServerView(Protocol):
    """``request.server``: what a handler reaches besides its request.

    The application that handles the request provides it (:meth:`Request.attach_server`);
    the harness's is :class:`harness.site.context.RequestServer`.
    """

    @property
    def stash(self) -> Stash:
        """The run's stash, with the request's URL path as its default path."""

    @property
    def config(self) -> Any:
        """The run's configuration, with the real ports (the harness's is wptserve-shaped)."""

    @property
    def scheme(self) -> str:
        """Which server took the request: ``http``, ``https``, ``ws`` or ``wss``."""

    def url(self, scheme: str, path: str = "/") -> str:
        """The URL of ``path`` on another server of the run."""


class Request:
    """One HTTP request (or a WebSocket handshake), as handlers see it.

    Attributes follow wptserve: ``method``, ``url``, ``url_parts``, ``GET``, ``POST``,
    ``body``, ``headers``, ``cookies``, ``auth``, ``client_address``, ``server``.
    Query and form values are ``bytes``; names may be given as ``str`` or ``bytes``.
    """

    url_base = "/"
    route_match = None

    def __init__(
        self,
        method: str,
        target: str,
        version: str,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        *,
        scheme: str,
        server_host: str = "localhost",
        server_port: int = 0,
        client_address: tuple[str, int] | None = None,
    ) -> None:
        self.method = method
        self.request_path = target
        self.protocol_version = version
        self.header_list = headers
        self.body = body
        self.scheme = scheme
        self.client_address = client_address
        self._server_host = server_host
        self._server_port = server_port
        self._server_view: Callable[[Request], ServerView] | None = None

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.url}>"

    @lazy_property
    def headers(self) -> RequestHeaders:
        """Case-insensitive request headers (values are bytes)."""
        return RequestHeaders(self.header_list)

    @lazy_property
    def raw_headers(self) -> http.client.HTTPMessage:
        """The headers as received, as an :class:`http.client.HTTPMessage` (wptserve's ``raw_headers``).

        Names keep their case and values are text (latin-1); ``get_all(name)`` gives repeats.
        """
        message = http.client.HTTPMessage()
        for name, value in self.header_list:
            message[name.decode("latin-1")] = value.decode("latin-1")
        return message

    @lazy_property
    def request_line(self) -> str:
        """The request line, e.g. ``GET /a.py?x=1 HTTP/1.1``."""
        return f"{self.method} {self.request_path} {self.protocol_version}"

    @lazy_property
    def url(self) -> str:
        """The full URL: scheme, the Host the client used, path and query."""
        target = self.request_path
        if "://" in target.split("?", 1)[0]:
            return target
        host = self.headers.get(b"host")
        authority = host.decode("latin-1") if host else f"{self._server_host}:{self._server_port}"
        return f"{self.scheme}://{authority}{target}"

    @property
    def server_port(self) -> int:
        """The port of the socket this request came in on (0 when not known)."""
        return self._server_port

    @lazy_property
    def url_parts(self) -> SplitResult:
        """:func:`urllib.parse.urlsplit` of :attr:`url`; ``path`` stays percent-encoded."""
        return urlsplit(self.url)

    def attach_server(self, view: Callable[[Request], ServerView]) -> None:
        """Give the request its :attr:`server`, built by ``view(request)`` on first use.

        The application handling the request calls this; a request not attached has no server.
        """
        self._server_view = view

    @property
    def doc_root(self) -> str | None:
        """The document root this request was served from."""
        return None if self._server_view is None else str(self.server.config.doc_root)

    @lazy_property
    def raw_input(self) -> io.BytesIO:
        """The body as a file object."""
        return io.BytesIO(self.body)

    @lazy_property
    def GET(self) -> MultiDict[bytes]:  # noqa: N802 - wptserve's name
        """Query parameters: names and values are the exact percent-decoded bytes."""
        return _parse_query(self.url_parts.query)

    @lazy_property
    def POST(self) -> MultiDict[Any]:  # noqa: N802 - wptserve's name
        """Form fields of a urlencoded or multipart body; file fields are :class:`UploadedFile`."""
        content_type = self.headers.get(b"content-type", b"")
        kind = content_type.split(b";", 1)[0].strip().lower()
        if kind == b"application/x-www-form-urlencoded":
            return _parse_query(self.body.decode("latin-1"))
        if kind == b"multipart/form-data":
            return _parse_multipart(content_type, self.body)
        return MultiDict()

    @lazy_property
    def cookies(self) -> Cookies:
        """Cookies from the ``Cookie`` headers; ``cookies[name].value`` is bytes."""
        cookies = Cookies()
        for header in self.headers.get_list(b"cookie", []):
            for pair in header.split(b";"):
                name, eq, value = pair.strip().partition(b"=")
                name = name.strip()
                if not eq or not name:
                    continue
                cookies.add(name, CookieValue(name.decode("latin-1"), value.strip()))
        return cookies

    @lazy_property
    def auth(self) -> Authentication:
        """HTTP Basic credentials from the ``Authorization`` header."""
        header = self.headers.get(b"authorization")
        if header:
            scheme, _, encoded = header.partition(b" ")
            if scheme.lower() == b"basic":
                try:
                    decoded = base64.b64decode(encoded.strip(), validate=True)
                except (binascii.Error, ValueError):
                    raise HTTPException(400, "malformed Basic credentials in the Authorization header") from None
                username, _, password = decoded.partition(b":")
                return Authentication(username, password)
        return Authentication(None, None)

    @lazy_property
    def server(self) -> ServerView:
        """``server.stash`` (bound to this request's path), ``server.config``, ``server.url()``."""
        if self._server_view is None:
            raise RuntimeError("this request is not attached to a running server")
        return self._server_view(self)
