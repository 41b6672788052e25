"""HTTP/1.1 and HTTPS: the parser, the request and response handlers see, the transport.

``parser`` (sans-I/O request heads and chunked bodies), ``request`` (the wptserve-compatible
:class:`Request`), ``response`` (the :class:`Response` a handler fills, and its raw writer),
``framing`` (sans-I/O: a response to bytes, the keep-alive decision), ``returns`` (what a
handler's return value means), ``datastructures``, ``lazy``, ``upgrade`` (the interfaces
another protocol takes a connection over with) and ``server`` (the socket transport, which
serves any :class:`~harness.http.server.Application` or
:class:`~harness.http.upgrade.Upgrader`). The applications themselves are the site's.

It may import ``config``, ``net`` and (for types) ``stash``; never ``ws``, ``site`` or ``run``.
The names below are the ones handlers use:

>>> from harness.http import Request
>>> Request("GET", "/a.py?x=1", "HTTP/1.1", [(b"Host", b"example.test")], b"", scheme="http").GET[b"x"]
b'1'
"""

from .datastructures import Cookies, CookieValue, MultiDict, RequestHeaders
from .request import HTTPException, Request, UploadedFile
from .response import ClientDisconnected, Response, ResponseHeaders, ResponseWriter

__all__ = [
    "ClientDisconnected",
    "CookieValue",
    "Cookies",
    "HTTPException",
    "MultiDict",
    "Request",
    "RequestHeaders",
    "Response",
    "ResponseHeaders",
    "ResponseWriter",
    "UploadedFile",
]
