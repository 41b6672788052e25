"""What a handler can reach besides its request: its server, the run's stash, the config.

``request.server`` is a :class:`RequestServer`; the request being handled is also available
through :func:`current_request` (a context variable), so helper modules shared by several
handlers need not thread it through every call.

>>> from harness import current_request
>>> def stash_for_this_request():
...     return current_request().server.stash
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ..config import Config
from ..http.lazy import lazy_property
from ..http.request import Request
from ..stash import Stash
from ..stash.backend import StashBackend
from ..wpt.serverconfig import WptServerConfig

__all__ = ["RequestServer", "ServerContext", "current_request", "handling"]

_current_request: contextvars.ContextVar[Request] = contextvars.ContextVar("harness_current_request")


def current_request() -> Request:
    """The request this thread is handling; :class:`LookupError` outside a handler."""
    try:
        return _current_request.get()
    except LookupError:
        raise LookupError("current_request() is only available while a handler runs") from None


@contextmanager
def handling(request: Request) -> Iterator[Request]:
    """Make ``request`` the :func:`current_request` for the duration of the block.

    >>> from harness.http.request import Request
    >>> request = Request("GET", "/a.py", "HTTP/1.1", [], b"", scheme="http")
    >>> with handling(request):
    ...     current_request() is request
    True
    """
    token = _current_request.set(request)
    try:
        yield request
    finally:
        _current_request.reset(token)


@dataclass
class ServerContext:
    """One server process: its scheme, the run's config and URLs, the stash transport."""

    config: Config
    scheme: str
    urls: dict[str, str]
    stash_backend: StashBackend | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def url(self, scheme: str, path: str = "/") -> str:
        """The URL of ``path`` on the ``scheme`` server of this run."""
        try:
            base = self.urls[scheme]
        except KeyError:
            raise ValueError(f"unknown scheme {scheme!r}; expected one of {', '.join(self.urls)}") from None
        return base + (path if path.startswith("/") else "/" + path)

    def attach(self, request: Request) -> None:
        """Give ``request`` its ``request.server`` (a :class:`RequestServer`), built on first use."""
        request.attach_server(self._request_server)

    def _request_server(self, request: Request) -> RequestServer:
        return RequestServer(self, request.url_parts.path)


class RequestServer:
    """``request.server``: the stash bound to the request's path, the config, the URLs."""

    def __init__(self, context: ServerContext, path: str) -> None:
        self._context = context
        self._path = path

    @lazy_property
    def stash(self) -> Stash:
        """The run's stash, with this request's URL path as its default path."""
        if self._context.stash_backend is None:
            return Stash(self._path)  # from HARNESS_STASH_CONFIG
        return Stash(self._path, backend=self._context.stash_backend)

    @property
    def config(self) -> WptServerConfig:
        """The run's configuration in wptserve's shape (``config["ports"]["https"][0]``,
        ``config["domains"][""]["www"]``, ``config["browser_host"]``); other attributes are the
        harness's own :class:`~harness.config.Config` (``config.http.max_body_bytes``)."""
        return WptServerConfig.for_context(self._context)

    @property
    def scheme(self) -> str:
        """``http``, ``https``, ``ws`` or ``wss``: which server took this request."""
        return self._context.scheme

    def url(self, scheme: str, path: str = "/") -> str:
        """The URL of ``path`` on another server of the run, e.g. ``url("wss", "/chat")``."""
        return self._context.url(scheme, path)
