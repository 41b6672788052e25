"""HTTP and HTTPS: the wptserve-compatible request and response, the parser, the server."""

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
