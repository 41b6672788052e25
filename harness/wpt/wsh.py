"""pywebsocket-style WebSocket handlers, as web-platform-tests write them.

A ``NAME_wsh.py`` that defines ``web_socket_transfer_data(request)`` (rather than our
``main(ws, request)``) runs as pywebsocket3 runs it:

1. ``web_socket_do_extra_handshake(request)`` sees the handshake (``request.headers_in``,
   ``ws_resource``, ``ws_origin``, ``ws_requested_protocols``) and may pick a subprotocol
   (``request.ws_protocol = ...``), add headers to the 101 (``request.extra_headers``), turn
   permessage-deflate off (``request.ws_extension_processors = []``), or refuse: any
   exception answers 403, :class:`AbortedByUserException` drops the connection with no
   response at all.
2. ``web_socket_transfer_data(request)`` exchanges messages through ``request.ws_stream``
   (or ``msgutil``); when it returns, the server closes with 1000 if the handler did not.
   Stream exceptions it lets through become close codes (1002, 1003, 1007, 1011); any other
   exception closes with 1011 and is logged.
3. ``web_socket_passive_closing_handshake(request)`` returns the ``(code, reason)`` replying
   to the client's close frame (default: 1000).

``request.connection.write(data)`` puts bytes on the socket as given, so a handler can send
a malformed frame or its own handshake response. The handler file's module body runs once per
version of the file in each server process, as pywebsocket sources it once: module-level
state is shared by the connections of that process.

>>> def web_socket_do_extra_handshake(request):
...     if "echo" in (request.ws_requested_protocols or []):
...         request.ws_protocol = "echo"
>>> def web_socket_transfer_data(request):
...     while (message := request.ws_stream.receive_message()) is not None:
...         request.ws_stream.send_message(message, binary=isinstance(message, bytes))
"""

from __future__ import annotations

import http.client
import io
import logging
import re
import selectors
import socket
import ssl
import threading
from collections.abc import Callable
from typing import Any, Literal

from ..http.request import Request
from ..http.response import plain_text_error
from ..http.upgrade import Handover, UpgradeChannel
from ..net.sockets import RecvTimeout, shut
from .pywebsocket import common
from .pywebsocket._stream_exceptions import (
    BadOperationException,
    ConnectionTerminatedException,
    InvalidFrameException,
    InvalidUTF8Exception,
    MessageTooBigException,
    UnsupportedFrameException,
)
from .pywebsocket.extensions import PerMessageDeflateExtensionProcessor, get_extension_processor
from .pywebsocket.handshake import AbortedByUserException, HandshakeException
from .pywebsocket.handshake.hybi import compute_accept
from .pywebsocket.stream import Stream, create_close_frame, create_closing_handshake_body

__all__ = ["ENTRY_POINTS", "WSHConnection", "WSHRequest", "is_wsh_handler", "serve_wsh"]

TRANSFER_DATA = "web_socket_transfer_data"
EXTRA_HANDSHAKE = "web_socket_do_extra_handshake"
PASSIVE_CLOSING = "web_socket_passive_closing_handshake"
# What a WebSocket handler file must define: ours, or pywebsocket's.
ENTRY_POINTS = ("main", TRANSFER_DATA)

_RECV_SIZE = 65536
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
# How long shutdown waits for a send under way before it cuts the connection off.
_GOING_AWAY_LOCK_WAIT = 0.05


def is_wsh_handler(namespace: dict[str, Any]) -> bool:
    """Whether a loaded handler file is pywebsocket-style (defines ``web_socket_transfer_data``)."""
    return callable(namespace.get(TRANSFER_DATA))


class WSHConnection:
    """``request.connection``: the raw socket, for handlers that write bytes as they are.

    ``write(data)`` sends bytes as given (a ``str`` is a :class:`TypeError`, as in
    pywebsocket3); ``read(length)`` returns ``length`` bytes, fewer only at the end.
    """

    def __init__(self, handover: Handover) -> None:
        self._sock = sock = handover.sock
        self._buffer = handover.leftover  # bytes the client sent past the handshake's head
        self._recv_timeout: RecvTimeout = handover.recv_timeout
        self._recv_timeout.set(None)
        self._send_lock = threading.Lock()
        try:
            self.remote_addr: Any = sock.getpeername()
            self.local_addr: Any = sock.getsockname()
        except OSError:
            self.remote_addr = self.local_addr = None

    def write(self, data: bytes) -> None:
        """Send ``data`` (bytes) to the client exactly as given."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"connection.write takes bytes, not {type(data).__name__}")
        with self._send_lock:
            self._recv_timeout.before_send()
            try:
                self._sock.sendall(data)
            except OSError as exc:
                raise ConnectionTerminatedException(f"Failed to send to {self.remote_addr!r}: {exc}") from None

    def read(self, length: int) -> bytes:
        """``length`` bytes from the client (fewer only if it closed first), as a file's ``read``."""
        while len(self._buffer) < length:
            try:
                received = self._sock.recv(_RECV_SIZE)  # what is there, so a frame takes one syscall
            except BlockingIOError:  # SO_RCVTIMEO expired
                raise TimeoutError("timed out while reading from the client") from None
            if not received:
                break
            self._buffer += received
        data = bytes(self._buffer[:length])
        del self._buffer[:length]
        return data

    def set_read_timeout(self, seconds: float | None) -> None:
        """Bound the next reads to ``seconds`` (``None``: wait as long as it takes)."""
        self._recv_timeout.set(seconds)

    def write_nowait(self, data: bytes) -> bool:
        """Send a few bytes only if that cannot block; whether they went out."""
        if not self._send_lock.acquire(timeout=_GOING_AWAY_LOCK_WAIT):
            return False
        try:
            with selectors.DefaultSelector() as selector:
                selector.register(self._sock, selectors.EVENT_WRITE)
                if not selector.select(0):
                    return False
            if isinstance(self._sock, ssl.SSLSocket):
                self._sock.sendall(data)  # one small record into a writable socket does not block
                return True
            return self._sock.send(data, getattr(socket, "MSG_DONTWAIT", 0)) == len(data)
        except (OSError, ValueError):
            return False
        finally:
            self._send_lock.release()

    def shut(self) -> None:
        """Shut the socket down under whoever is blocked on it."""
        shut(self._sock)


def _headers_in(raw_headers: list[tuple[bytes, bytes]]) -> http.client.HTTPMessage:
    raw = b"".join(name + b": " + value + b"\r\n" for name, value in raw_headers) + b"\r\n"
    return http.client.parse_headers(io.BytesIO(raw))


class WSHRequest:
    """The ``request`` pywebsocket-style handlers get.

    pywebsocket's attributes (``headers_in``, ``uri``, ``unparsed_uri``, ``ws_resource``,
    ``ws_origin``, ``ws_version``, ``ws_protocol``, ``ws_requested_protocols``,
    ``ws_extensions``, ``extra_headers``, ``ws_stream``, ``ws_close_code``,
    ``ws_close_reason``, ``connection``, ``client_terminated``, ``server_terminated``,
    ``is_https()``), and the rest of our request's surface (``GET``, ``cookies``,
    ``server.stash``, ...) through attribute fallback.
    """

    ws_stream: Stream

    def __init__(
        self,
        request: Request,
        target: str,
        raw_headers: list[tuple[bytes, bytes]],
        connection: WSHConnection,
        secure: bool,
    ) -> None:
        self._request = request
        self._secure = secure
        self.connection = connection
        self.headers_in = _headers_in(raw_headers)
        self.uri = self.unparsed_uri = self.ws_resource = target
        self.method = "GET"
        self.protocol = "HTTP/1.1"
        self.ws_version = common.VERSION_HYBI_LATEST
        self.ws_origin = self.headers_in.get(common.ORIGIN_HEADER)
        self.ws_protocol: str | None = None
        self.ws_requested_protocols: list[str] | None = None
        self.ws_requested_extensions: list[Any] | None = None
        self.ws_extensions: list[Any] | None = None
        self.ws_extension_processors: list[Any] = []  # permessage-deflate offers, for the handler to drop
        self.ws_deflate = False
        self.extra_headers: list[tuple[str, str]] = []
        self.ws_close_code: int | None = None
        self.ws_close_reason: str | None = None
        self.client_terminated = False
        self.server_terminated = False

    def is_https(self) -> bool:
        """Whether the connection came over TLS (wss)."""
        return self._secure

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._request, name)

    def parse_requested_protocols(self) -> None:
        """Fill ``ws_requested_protocols`` from ``Sec-WebSocket-Protocol``; 400 if malformed."""
        value = self.headers_in.get(common.SEC_WEBSOCKET_PROTOCOL_HEADER)
        if value is None:
            return
        tokens = [item.strip(" \t") for item in value.split(",")]
        if any(token and not _TOKEN.match(token) for token in tokens) or not any(tokens):
            raise HandshakeException(f"invalid {common.SEC_WEBSOCKET_PROTOCOL_HEADER} header {value!r}", 400)
        self.ws_requested_protocols = [token for token in tokens if token]

    def parse_requested_extensions(self) -> None:
        """Fill ``ws_requested_extensions`` and ``ws_extension_processors`` (400 if malformed)."""
        value = self.headers_in.get(common.SEC_WEBSOCKET_EXTENSIONS_HEADER)
        if not value:
            return
        try:
            self.ws_requested_extensions = common.parse_extensions(value)
        except common.ExtensionParsingException as exc:
            raise HandshakeException(f"Failed to parse sec-websocket-extensions header: {exc}", 400) from None
        processors = (get_extension_processor(offer) for offer in self.ws_requested_extensions)
        self.ws_extension_processors = [processor for processor in processors if processor is not None]

    def accept_extensions(self) -> PerMessageDeflateExtensionProcessor | None:
        """Settle ``ws_extensions`` after the handler's say; the accepted permessage-deflate, if any."""
        processors = [p for p in self.ws_extension_processors if p is not None and p.is_active()]
        for index, processor in enumerate(processors):
            if not isinstance(processor, PerMessageDeflateExtensionProcessor):
                raise HandshakeException(f"unknown extension processor {processor!r} in ws_extension_processors", 500)
            response = processor.get_extension_response()
            if response is not None:
                for later in processors[index + 1 :]:
                    later.set_active(False)
                self.ws_extensions = [response]
                self.ws_deflate = True
                return processor
        return None

    def check_chosen_protocol(self) -> None:
        """The handler's ``ws_protocol`` choice must answer the client's offer (400 otherwise)."""
        if self.ws_requested_protocols is not None:
            if self.ws_protocol is None:
                raise HandshakeException(
                    "web_socket_do_extra_handshake must choose one subprotocol from "
                    "ws_requested_protocols and set it to ws_protocol",
                    400,
                )
            if not isinstance(self.ws_protocol, str) or not _TOKEN.match(self.ws_protocol):
                raise HandshakeException(f"invalid subprotocol name {self.ws_protocol!r}", 400)
        elif self.ws_protocol is not None:
            raise HandshakeException("ws_protocol must be None when the client didn't request any subprotocol", 400)

    def switching_protocols(self, key: str) -> bytes:
        """The 101 response, in pywebsocket's form, with the handler's ``extra_headers``."""
        lines = [
            "HTTP/1.1 101 Switching Protocols",
            f"{common.UPGRADE_HEADER}: {common.WEBSOCKET_UPGRADE_TYPE}",
            f"{common.CONNECTION_HEADER}: {common.UPGRADE_CONNECTION_TYPE}",
            f"{common.SEC_WEBSOCKET_ACCEPT_HEADER}: {compute_accept(key.encode('ascii')).decode('ascii')}",
        ]
        if self.ws_protocol is not None:
            lines.append(f"{common.SEC_WEBSOCKET_PROTOCOL_HEADER}: {self.ws_protocol}")
        if self.ws_extensions:
            lines.append(f"{common.SEC_WEBSOCKET_EXTENSIONS_HEADER}: {common.format_extensions(self.ws_extensions)}")
        for name, value in self.extra_headers:
            line = f"{name}: {value}"
            if any(char in line for char in "\r\n\0"):
                raise HandshakeException(f"extra_headers entry {line[:60]!r} contains CR, LF or NUL", 500)
            lines.append(line)
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


class _Upgraded:
    """The connection as the transport's shutdown sees it (an :class:`~harness.http.upgrade.Upgraded`)."""

    def __init__(self, handover: Handover) -> None:
        self.connection = WSHConnection(handover)
        self.request: WSHRequest | None = None  # set once the 101 went out

    def going_away(self) -> None:
        """Server shutdown: send a 1001 close frame if that cannot block, else cut the connection."""
        request = self.request
        if request is None:
            self.connection.shut()  # still in the handshake
            return
        if request.server_terminated:
            return
        request.server_terminated = True
        body = create_closing_handshake_body(common.STATUS_GOING_AWAY, "the server is shutting down")
        if not self.connection.write_nowait(create_close_frame(body)):
            self.connection.shut()


# Stream exceptions a handler lets through, and the close code each gets (pywebsocket's mapping).
_CLOSE_CODES: tuple[tuple[type[Exception], int], ...] = (
    (MessageTooBigException, common.STATUS_MESSAGE_TOO_BIG),
    (BadOperationException, common.STATUS_INTERNAL_ENDPOINT_ERROR),
    (InvalidFrameException, common.STATUS_PROTOCOL_ERROR),
    (UnsupportedFrameException, common.STATUS_UNSUPPORTED_DATA),
    (InvalidUTF8Exception, common.STATUS_INVALID_FRAME_PAYLOAD_DATA),
)


def _passive_closing(namespace: dict[str, Any]) -> Callable[[Any], Any] | None:
    handler = namespace.get(PASSIVE_CLOSING)
    return handler if callable(handler) else None


def serve_wsh(
    channel: UpgradeChannel,
    request: Request,
    key: str,
    namespace: dict[str, Any],
    *,
    secure: bool,
    max_message_bytes: int | None,
    close_timeout: float,
    logger: logging.Logger,
) -> None:
    """Run a pywebsocket-style handler on ``channel``: the handshake, then the transfer.

    The connection is taken over at once: the handler's extra handshake may already write to
    it (``request.connection.write``), and refusals go out on it too.
    """
    upgraded = channel.hand_over(_Upgraded)
    wsh_request = WSHRequest(request, request.request_path, request.header_list, upgraded.connection, secure)
    accepted = _handshake(wsh_request, key, namespace, logger)
    if accepted is None:
        return
    wsh_request.ws_stream = Stream(
        wsh_request, _passive_closing(namespace), max_message_bytes, close_timeout, accepted or None
    )
    upgraded.request = wsh_request
    _transfer(wsh_request, namespace[TRANSFER_DATA], logger)


def _handshake(
    request: WSHRequest, key: str, namespace: dict[str, Any], log: logging.Logger
) -> PerMessageDeflateExtensionProcessor | Literal[False] | None:
    """The opening handshake: ``None`` if refused, else the accepted permessage-deflate or ``False``."""
    resource = request.ws_resource
    try:
        request.parse_requested_protocols()
        request.parse_requested_extensions()
        extra = namespace.get(EXTRA_HANDSHAKE)
        if not callable(extra):
            raise HandshakeException(f"the handler file defines no {EXTRA_HANDSHAKE}(request) function", 500)
        try:
            extra(request)
        except AbortedByUserException:
            raise
        except Exception as exc:  # noqa: BLE001 - pywebsocket refuses the handshake with 403
            log.info("WebSocket %s: %s raised %s: %s", resource, EXTRA_HANDSHAKE, type(exc).__name__, exc)
            raise HandshakeException(f"{EXTRA_HANDSHAKE} raised {type(exc).__name__}: {exc}", 403) from None
        deflate = request.accept_extensions()
        request.check_chosen_protocol()
        response = request.switching_protocols(key)
    except AbortedByUserException as exc:
        log.info("WebSocket %s: the handler aborted the handshake: %s", resource, exc)
        return None
    except HandshakeException as exc:
        refusal = plain_text_error(exc.status or 400, str(exc))
        try:
            request.connection.write(refusal)
        except ConnectionTerminatedException:
            pass
        return None
    try:
        request.connection.write(response)
    except ConnectionTerminatedException:
        return None
    return deflate or False


def _transfer(request: WSHRequest, transfer_data: Callable[[Any], Any], log: logging.Logger) -> None:
    resource = request.ws_resource
    stream = request.ws_stream
    try:
        try:
            transfer_data(request)
            if not request.server_terminated:
                stream.close_connection()
        except AbortedByUserException as exc:
            log.debug("WebSocket %s: the handler aborted the connection: %s", resource, exc)
        except ConnectionTerminatedException as exc:
            if isinstance(exc, InvalidFrameException):
                raise
            log.debug("WebSocket %s: %s", resource, exc)
    except tuple(cls for cls, _code in _CLOSE_CODES) as exc:
        code = next(code for cls, code in _CLOSE_CODES if isinstance(exc, cls))
        log.debug("WebSocket %s: closing with %d: %s", resource, code, exc)
        _close_quietly(stream, code, "")
    except Exception as exc:
        log.exception("WebSocket handler %s raised %s", resource, type(exc).__name__)
        _close_quietly(
            stream, common.STATUS_INTERNAL_ENDPOINT_ERROR, _truncate(f"handler raised {type(exc).__name__}: {exc}")
        )
    except SystemExit as exc:
        log.error("WebSocket handler %s called sys.exit(%r); the server goes on", resource, exc.code)
        _close_quietly(stream, common.STATUS_INTERNAL_ENDPOINT_ERROR, "handler called sys.exit()")


def _close_quietly(stream: Stream, code: int, reason: str) -> None:
    """Close with ``code`` and wait (bounded) for the reply; whatever goes wrong now is moot."""
    try:
        stream.close_connection(code, reason)
    except Exception:  # noqa: BLE001 - the connection is ending either way
        pass


def _truncate(reason: str, limit: int = 123) -> str:
    encoded = reason.encode("utf-8")[:limit]
    return encoded.decode("utf-8", "ignore")
