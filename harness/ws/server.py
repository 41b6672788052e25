"""The WebSocket application: the opening handshake, routing to ``NAME_wsh.py``, the handler.

It runs on the same HTTP/1.1 transport as the HTTP servers (:mod:`harness.http.server`), so
WS and WSS get its connection limit, TLS handling and request-head limits. A connection to
``ws[s]://host:port/dir/NAME`` runs ``main(ws, request)`` from ``dir/NAME_wsh.py``; an unknown
path is refused at the handshake with 404 and a broken handler file with 500, before the
connection upgrades.

A handler may choose a subprotocol the client offers: define ``SUBPROTOCOLS = ["chat", ...]``
(the first one the client offers wins; a list or tuple of names) or
``select_subprotocol(request, offered)``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from websockets.exceptions import ConnectionClosed

from ..config import WSSettings
from ..http.parser import RequestHead
from ..http.request import Request
from ..http.response import plain_text_error
from ..net.sockets import RecvTimeout
from ..site.context import ServerContext, reset_current_request, set_current_request
from ..site.docroot import DocRoot, PathRefused
from ..site.loader import HandlerCache, HandlerLoadError
from .connection import WebSocket
from .frames import truncate_close_reason
from .handshake import (
    HandshakeRefused,
    check_upgrade,
    negotiate_extensions,
    offered_subprotocols,
    switching_protocols,
)

if TYPE_CHECKING:
    from ..http.server import Channel

__all__ = ["WSApp"]


def _choose_subprotocol(namespace: dict[str, Any], request: Request, offered: list[str]) -> str | None:
    chooser = namespace.get("select_subprotocol")
    if callable(chooser):
        try:
            choice = chooser(request, offered)
        except Exception as exc:  # noqa: BLE001 - a handler fault: the handshake fails with 500
            raise HandlerLoadError(f"select_subprotocol raised {type(exc).__name__}: {exc}") from None
        if choice is not None and choice not in offered:
            raise HandlerLoadError(f"select_subprotocol chose {choice!r}, which the client did not offer")
        return None if choice is None else str(choice)
    supported = namespace.get("SUBPROTOCOLS")
    if supported is None:
        return None
    # A bare string would match its substrings ("ch" in "chat"): only a collection of names will do.
    if not isinstance(supported, (list, tuple, set, frozenset)) or not all(isinstance(n, str) for n in supported):
        raise HandlerLoadError(
            f"SUBPROTOCOLS must be a list of subprotocol names (str), not {type(supported).__name__} {supported!r:.80}"
        )
    for name in offered:
        if name in supported:
            return name
    return None


class WSApp:
    """Turns upgrade requests into WebSocket connections running handler files."""

    def __init__(
        self,
        context: ServerContext,
        docroot: DocRoot,
        handlers: HandlerCache,
        settings: WSSettings,
        logger: logging.Logger,
        access_log: bool = False,
    ) -> None:
        self.context = context
        self.docroot = docroot
        self.handlers = handlers
        self.settings = settings
        self.logger = logger
        self.access_log = access_log

    def serve(self, channel: Channel, head: RequestHead, request: Request) -> None:
        """Answer the handshake on ``channel``; if it upgrades, run the handler to its end."""
        resource = request.url_parts.path
        try:
            key = check_upgrade(request)
            target = self.docroot.resolve_ws(resource)
            namespace = self.handlers.load(target.fs_path, "main(ws, request)", target.stat)
            subprotocol = _choose_subprotocol(namespace, request, offered_subprotocols(request))
            extensions_header, extensions = negotiate_extensions(request, self.settings.compression)
        except HandshakeRefused as refused:
            channel.send(plain_text_error(refused.status, refused.message, refused.headers))
            return
        except PathRefused as refused:
            if refused.suspicious:
                self.logger.warning("refused WebSocket %s from %s: %s", head.target, request.client_address, refused)
            channel.send(plain_text_error(refused.status, refused.message))
            return
        except HandlerLoadError as error:
            self.logger.error("WebSocket %s: %s\n%s", head.target, error.message, error.details.rstrip())
            channel.send(plain_text_error(500, str(error)))
            return
        channel.send(switching_protocols(key, subprotocol, extensions=extensions_header))
        # The transport's receive timeout for this socket, so its settings stay in one place.
        recv_timeout = getattr(channel, "_recv_timeout", None)
        ws = WebSocket(
            channel.sock,
            channel.buffer,
            path=head.target,
            headers=head.headers,
            subprotocol=subprotocol,
            max_size=self.settings.max_message_bytes,
            close_timeout=self.settings.close_timeout,
            logger=self.logger,
            recv_timeout=recv_timeout if isinstance(recv_timeout, RecvTimeout) else None,
            extensions=extensions,
        )
        channel.upgraded = ws
        if self.access_log:
            self.logger.info("%s - WebSocket %s opened", request.client_address, head.target)
        self._run(namespace["main"], ws, request, resource)

    def _run(self, main: Any, ws: WebSocket, request: Request, resource: str) -> None:
        token = set_current_request(request)
        try:
            main(ws, request)
        except ConnectionClosed as closed:
            self.logger.debug("WebSocket %s: the connection closed under the handler: %s", resource, closed)
        except Exception as exc:
            self.logger.exception("WebSocket handler %s raised %s", resource, type(exc).__name__)
            ws.close(1011, truncate_close_reason(f"handler raised {type(exc).__name__}: {exc}"))
        except SystemExit as exc:
            self.logger.error("WebSocket handler %s called sys.exit(%r); the server goes on", resource, exc.code)
            ws.close(1011, "handler called sys.exit()")
        finally:
            reset_current_request(token)
            ws.close()
