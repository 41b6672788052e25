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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..config import Config
from ..http.lazy import lazy_property
from ..stash import Stash
from ..stash.backend import StashBackend

if TYPE_CHECKING:
    from ..http.request import Request
    from ..wpt.serverconfig import WptServerConfig

__all__ = ["RequestServer", "ServerContext", "current_request"]

_current_request: contextvars.ContextVar[Request] = contextvars.ContextVar("harness_current_request")


def current_request() -> Request:
    """The request this thread is handling; :class:`LookupError` outside a handler."""
    try:
        return _current_request.get()
    except LookupError:
        raise LookupError("current_request() is only available while a handler runs") from None


def set_current_request(request: Request) -> contextvars.Token[Request]:
    """Mark ``request`` as the one being handled (returns the token to reset with)."""
    return _current_request.set(request)


def reset_current_request(token: contextvars.Token[Request]) -> None:
    """Undo :func:`set_current_request`."""
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
        from ..wpt.serverconfig import WptServerConfig

        return WptServerConfig.for_context(self._context)

    @property
    def scheme(self) -> str:
        """``http``, ``https``, ``ws`` or ``wss``: which server took this request."""
        return self._context.scheme

    def url(self, scheme: str, path: str = "/") -> str:
        """The URL of ``path`` on another server of the run, e.g. ``url("wss", "/chat")``."""
        return self._context.url(scheme, path)
