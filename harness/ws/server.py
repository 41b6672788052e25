"""The WebSocket transport, plain and TLS, on :mod:`websockets.sync`.

A connection to ``ws[s]://host:port/dir/NAME`` runs ``main(ws, request)`` from
``dir/NAME_wsh.py`` under the document root. ``ws`` is the :mod:`websockets` sync
``ServerConnection`` itself (``recv``, ``send``, iteration, ``close``, close codes), so
everything its documentation shows works; ``request`` has the same surface as an HTTP
request, with ``request.server.stash`` bound to the resource path.

The handshake is where paths are checked and handler files loaded: an unknown path gets a
404 and a broken handler a 500, before the connection upgrades.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode
from websockets.http11 import Request as WSRequest
from websockets.http11 import Response as WSResponse
from websockets.sync.server import Server, ServerConnection, serve

from ..acceptor import Acceptor
from ..config import WSSettings
from ..docroot import DocRoot, PathRefused
from ..handlers import HandlerCache, HandlerLoadError
from ..http.request import Request
from ..server_context import ServerContext, reset_current_request, set_current_request

__all__ = ["WSServer"]

_SERVER_HEADER = "stash-harness"
_REASON_LIMIT = 120  # close reasons must fit in a control frame (123 bytes)


def _close_reason(text: str) -> str:
    encoded = text.encode("utf-8")[:_REASON_LIMIT]
    return encoded.decode("utf-8", "ignore")


class WSServer:
    """Serves ``*_wsh.py`` handlers on a listening socket (TLS when ``ssl_context`` is set)."""

    def __init__(
        self,
        listener: socket.socket,
        context: ServerContext,
        docroot: DocRoot,
        handlers: HandlerCache,
        settings: WSSettings,
        ssl_context: ssl.SSLContext | None,
        logger: logging.Logger,
        access_log: bool = False,
    ) -> None:
        self.context = context
        self.docroot = docroot
        self.handlers = handlers
        self.settings = settings
        self.logger = logger
        self.access_log = access_log
        self._mains: dict[int, tuple[Callable[..., Any], str]] = {}
        self._mains_lock = threading.Lock()
        self.port = listener.getsockname()[1]
        self._ws_server: Server = serve(
            self._run_handler,
            sock=listener,
            ssl=ssl_context,
            process_request=self._check_request,
            server_header=_SERVER_HEADER,
            open_timeout=settings.open_timeout,
            ping_interval=settings.ping_interval,
            close_timeout=settings.close_timeout,
            max_size=settings.max_message_bytes,
            logger=logger.getChild("websockets"),
        )
        self.acceptor = Acceptor(
            self._ws_server.socket,
            self._ws_server.handler,
            max_connections=settings.max_connections,
            reject=self._reject if ssl_context is None else _close_only,
            name=context.scheme,
            logger=logger,
        )

    def serve_forever(self) -> None:
        """Serve until :meth:`stop`."""
        self.acceptor.serve_forever()

    def stop(self) -> None:
        """Stop accepting new connections (safe from a signal handler)."""
        self.acceptor.stop()

    def drain(self, timeout: float) -> bool:
        """Close open connections with 1001 (going away) and wait for handlers to end."""
        with self._ws_server.lock:
            connections = list(self._ws_server.all_connections)
        for connection in connections:
            threading.Thread(target=_going_away, args=(connection,), daemon=True).start()
        return self.acceptor.wait_idle(timeout)

    def _reject(self, sock: socket.socket) -> None:
        body = f"the server already has {self.settings.max_connections} connections open\n".encode()
        try:
            sock.settimeout(0.5)
            sock.sendall(
                b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
                b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
            )
        except OSError:
            pass

    # -- handshake ------------------------------------------------------------------------

    def _check_request(self, connection: ServerConnection, request: WSRequest) -> WSResponse | None:
        version = request.headers.get("Sec-WebSocket-Version")
        if version is not None and version.strip() != "13":
            # RFC 6455 4.2.2: 426 naming the version this server speaks.
            response = self._respond(
                connection, 426, f"unsupported Sec-WebSocket-Version {version!r}; this server speaks 13"
            )
            response.headers["Sec-WebSocket-Version"] = "13"
            return response
        resource = urlsplit(request.path).path
        try:
            target = self.docroot.resolve_ws(resource)
            main = self.handlers.load_main(target.fs_path, "main(ws, request)")
        except PathRefused as refused:
            if refused.suspicious:
                self.logger.warning(
                    "refused WebSocket %s from %s: %s", request.path, connection.remote_address, refused
                )
            return self._respond(connection, refused.status, refused.message)
        except HandlerLoadError as exc:
            self.logger.error("WebSocket %s: %s\n%s", request.path, exc.message, exc.details.rstrip())
            return self._respond(connection, 500, str(exc))
        with self._mains_lock:
            self._mains[id(connection)] = (main, resource)
        return None

    @staticmethod
    def _respond(connection: ServerConnection, status: int, text: str) -> WSResponse:
        response = connection.respond(status, text.rstrip("\n") + "\n")
        response.headers["Server"] = _SERVER_HEADER
        return response

    # -- the connection -------------------------------------------------------------------

    def _handshake_request(self, connection: ServerConnection) -> Request:
        ws_request = connection.request
        assert ws_request is not None
        headers = _raw_headers(ws_request.headers)
        address = connection.remote_address
        return Request(
            "GET",
            ws_request.path,
            "HTTP/1.1",
            headers,
            b"",
            scheme=self.context.scheme,
            server_host=self.context.config.host,
            server_port=self.port,
            client_address=(address[0], address[1]) if isinstance(address, tuple) else None,
            context=self.context,
        )

    def _run_handler(self, connection: ServerConnection) -> None:
        with self._mains_lock:
            main, resource = self._mains.pop(id(connection))
        request = self._handshake_request(connection)
        if self.access_log:
            self.logger.info("%s - WebSocket %s opened", request.client_address, request.request_path)
        token = set_current_request(request)
        try:
            main(connection, request)
        except ConnectionClosed as exc:
            self.logger.debug("WebSocket %s: the connection closed under the handler: %s", resource, exc)
        except Exception as exc:
            self.logger.exception("WebSocket handler %s raised %s", resource, type(exc).__name__)
            connection.close(CloseCode.INTERNAL_ERROR, _close_reason(f"handler raised {type(exc).__name__}: {exc}"))
        except SystemExit as exc:
            self.logger.error("WebSocket handler %s called sys.exit(%r); the server goes on", resource, exc.code)
            connection.close(CloseCode.INTERNAL_ERROR, "handler called sys.exit()")
        finally:
            reset_current_request(token)


def _raw_headers(headers: Headers) -> list[tuple[bytes, bytes]]:
    return [
        (name.encode("latin-1", "replace"), value.encode("utf-8", "surrogateescape"))
        for name, value in headers.raw_items()
    ]


def _going_away(connection: ServerConnection) -> None:
    try:
        connection.close(CloseCode.GOING_AWAY, "the server is shutting down")
    except Exception:  # noqa: BLE001 - best effort during shutdown
        pass


def _close_only(sock: socket.socket) -> None:
    """Over capacity on a TLS port: no session to answer through, the close says it."""
