"""The WebSocket application: the opening handshake, routing to ``NAME_wsh.py``, the handler.

It runs on the same HTTP/1.1 transport as the HTTP servers (:mod:`harness.http.server`), as
its :class:`~harness.http.upgrade.Upgrader`, so WS and WSS get its connection limit, TLS
handling and request-head limits. A connection to
``ws[s]://host:port/dir/NAME`` runs ``main(ws, request)`` from ``dir/NAME_wsh.py``; an unknown
path is refused at the handshake with 404 and a broken handler file with 500, before the
connection upgrades.

A handler may choose a subprotocol the client offers: define ``SUBPROTOCOLS = ["chat", ...]``
(the first one the client offers wins; a list or tuple of names) or
``select_subprotocol(request, offered)``.

A handler file that defines pywebsocket's ``web_socket_transfer_data(request)`` instead of
``main`` runs as pywebsocket3 runs it (:mod:`harness.wpt.wsh`).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
from typing import Any

from websockets.exceptions import ConnectionClosed

from ..config import Config, HTTPSettings, WSSettings
from ..http.request import Request
from ..http.response import plain_text_error
from ..http.upgrade import Handover, UpgradeChannel
from ..wpt.wsh import ENTRY_POINTS, is_wsh_handler, serve_wsh
from ..ws.connection import WebSocket
from ..ws.frames import truncate_close_reason
from ..ws.handshake import (
    HandshakeRefused,
    check_upgrade,
    negotiate_extensions,
    offered_subprotocols,
    switching_protocols,
)
from .context import ServerContext, handling
from .docroot import DocRoot, PathRefused, Target
from .files import recently_modified, signature
from .loader import HandlerCache, HandlerLoadError

__all__ = ["WSApp", "transport_settings"]


def transport_settings(config: Config) -> HTTPSettings:
    """The HTTP transport's settings for a WS or WSS server of ``config``.

    The handshake is an HTTP request whose head has the HTTP limits, sent within
    ``ws.open_timeout``, with no body; handlers run as long as they like.
    """
    return dataclasses.replace(
        config.http,
        max_connections=config.ws.max_connections,
        header_timeout=config.ws.open_timeout,
        keep_alive_timeout=config.ws.open_timeout,
        handler_timeout=None,
        max_body_bytes=0,
    )


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


class _HandlerNamespaces:
    """WebSocket handler files: pywebsocket-style ones keep their namespace per version.

    Our ``main(ws, request)`` handlers run their module body per connection, as HTTP handlers
    do; pywebsocket-style ones run it once per version of the file (pywebsocket sources each
    handler once), so module-level state lives across the connections of one process.
    """

    def __init__(self, handlers: HandlerCache) -> None:
        self._handlers = handlers
        self._shared: dict[str, tuple[tuple[int, int, int], dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def load(self, target: Target) -> dict[str, Any]:
        """The namespace of the handler file ``target`` names (:class:`HandlerLoadError` if broken)."""
        st = target.stat if target.stat is not None else os.stat(target.fs_path)
        version = signature(st)
        cached = self._shared.get(target.fs_path)
        if cached is not None and cached[0] == version and not recently_modified(st):
            return cached[1]
        namespace = self._handlers.load(
            target.fs_path, "main(ws, request) or web_socket_transfer_data(request)", st, entry_points=ENTRY_POINTS
        )
        if is_wsh_handler(namespace):
            with self._lock:
                self._shared[target.fs_path] = (version, namespace)
        return namespace


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
        self.namespaces = _HandlerNamespaces(handlers)
        self.settings = settings
        self.logger = logger
        self.access_log = access_log

    def upgrade(self, request: Request, channel: UpgradeChannel) -> None:
        """Answer the handshake on ``channel``; if it upgrades, run the handler to its end."""
        self.context.attach(request)
        resource = request.url_parts.path
        request_target = request.request_path
        try:
            key = check_upgrade(request)
            target = self.docroot.resolve_ws(resource)
            namespace = self.namespaces.load(target)
            if is_wsh_handler(namespace):
                self._serve_wsh(request, channel, key, namespace)
                return
            subprotocol = _choose_subprotocol(namespace, request, offered_subprotocols(request))
            extensions_header, extensions = negotiate_extensions(request, self.settings.compression)
        except HandshakeRefused as refused:
            channel.send(plain_text_error(refused.status, refused.message, refused.headers))
            return
        except PathRefused as refused:
            if refused.suspicious:
                self.logger.warning("refused WebSocket %s from %s: %s", request_target, request.client_address, refused)
            channel.send(plain_text_error(refused.status, refused.message))
            return
        except HandlerLoadError as error:
            self.logger.error("WebSocket %s: %s\n%s", request_target, error.message, error.details.rstrip())
            channel.send(plain_text_error(500, str(error)))
            return
        channel.send(switching_protocols(key, subprotocol, extensions=extensions_header))

        def websocket(handover: Handover) -> WebSocket:
            return WebSocket(
                handover.sock,
                handover.leftover,
                path=request_target,
                headers=request.header_list,
                subprotocol=subprotocol,
                max_size=self.settings.max_message_bytes,
                close_timeout=self.settings.close_timeout,
                logger=self.logger,
                recv_timeout=handover.recv_timeout,
                extensions=extensions,
            )

        ws = channel.hand_over(websocket)
        if self.access_log:
            self.logger.info("%s - WebSocket %s opened", request.client_address, request_target)
        self._run(namespace["main"], ws, request, resource)

    def _serve_wsh(self, request: Request, channel: UpgradeChannel, key: str, namespace: dict[str, Any]) -> None:
        if self.access_log:
            self.logger.info(
                "%s - WebSocket %s (pywebsocket-style handler)", request.client_address, request.request_path
            )
        with handling(request):
            serve_wsh(
                channel,
                request,
                key,
                namespace,
                secure=self.context.scheme == "wss",
                max_message_bytes=self.settings.max_message_bytes,
                close_timeout=self.settings.close_timeout,
                logger=self.logger,
            )

    def _run(self, main: Any, ws: WebSocket, request: Request, resource: str) -> None:
        try:
            with handling(request):
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
            ws.close()
