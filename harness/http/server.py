"""The HTTP/1.1 transport, plain and TLS: bytes in, :class:`Request`; :class:`Response`, bytes out.

One thread per connection (so a handler may block on the stash without stalling anyone),
keep-alive and pipelining, TCP_NODELAY and one write per small response (no Nagle stall),
limits on head size, header count and body size, a deadline for the head (slowloris), and a
per-request handler timeout.

It knows no application: a server either hands each request to an :class:`Application`
(``handle(request, response)``) and writes the response, or hands it to an
:class:`~harness.http.upgrade.Upgrader` that takes the connection over (the WS and WSS
servers: :class:`harness.site.ws_app.WSApp`).
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, Protocol, TypeVar

from ..config import HTTPSettings
from ..net.acceptor import Acceptor, current_slot
from ..net.interrupts import interrupt
from ..net.sockets import RecvTimeout, shut
from ..net.watchdog import Watchdog
from .framing import frame_response
from .parser import ChunkedDecoder, ProtocolError, RequestHead, find_head_end, parse_head
from .request import Request
from .response import ClientDisconnected, Response, check_content, plain_text_error
from .upgrade import Handover, Upgraded, Upgrader

__all__ = ["Application", "HTTPServer", "HandlerTimeout"]

_RECV_SIZE = 65536
_STREAM_CHUNK = 65536
_TLS_RECORD_HANDSHAKE = 0x16
# Empty lines (CR and LF bytes) skipped before one request line; RFC 9112 asks servers to
# ignore "at least one", a client that sends more than this is not sending a request.
_MAX_EMPTY_LINE_BYTES = 64


class _Closed(Exception):
    """The client closed the connection, or went quiet between requests: stop quietly."""


class HandlerTimeout(BaseException):
    """Raised inside a handler that ran past ``http.handler_timeout``.

    It derives from :class:`BaseException` so a handler's ``except Exception`` does not
    swallow it.
    """


class Application(Protocol):
    """What an HTTP server serves: it fills the response for each request."""

    def handle(self, request: Request, response: Response) -> None:
        """Fill ``response`` for ``request`` (the transport writes it once this returns)."""


U = TypeVar("U", bound=Upgraded)


class HTTPServer:
    """Serves an :class:`Application` (``app``) or an :class:`Upgrader` (``upgrader``) on a listening socket.

    ``scheme`` names the server in logs and request URLs; ``server_host`` is the host of a
    request URL when the request has no Host header. TLS when ``ssl_context`` is set.
    """

    def __init__(
        self,
        listener: socket.socket,
        settings: HTTPSettings,
        ssl_context: ssl.SSLContext | None,
        logger: logging.Logger,
        access_log: bool = False,
        *,
        scheme: str,
        server_host: str = "localhost",
        app: Application | None = None,
        upgrader: Upgrader | None = None,
        extra_listeners: Sequence[socket.socket] = (),
    ) -> None:
        if (app is None) == (upgrader is None):
            raise ValueError("a server serves either an application or an upgrader")
        self.app = app
        self.upgrader = upgrader
        self.scheme = scheme
        self.server_host = server_host
        self.settings = settings
        self.ssl_context = ssl_context
        self.logger = logger
        self.access_log = access_log
        self.host, self.port = listener.getsockname()[:2]
        self.watchdog = Watchdog()
        self._connections: set[_Connection] = set()
        self._connections_lock = threading.Lock()
        self.acceptor = Acceptor(
            listener,
            self.serve_connection,
            max_connections=settings.max_connections,
            reject=self._reject,
            name=scheme,
            logger=logger,
        )
        # More sockets served the same way (wpt's second HTTP and HTTPS port), each with
        # its own connection limit.
        self.extra_acceptors = [
            Acceptor(
                sock,
                self.serve_connection,
                max_connections=settings.max_connections,
                reject=self._reject,
                name=f"{scheme}-{sock.getsockname()[1]}",
                logger=logger,
            )
            for sock in extra_listeners
        ]

    def serve_forever(self) -> None:
        """Serve until :meth:`stop`."""
        for acceptor in self.extra_acceptors:
            threading.Thread(target=acceptor.serve_forever, name=f"accept-{acceptor.name}", daemon=True).start()
        self.acceptor.serve_forever()

    def stop(self) -> None:
        """Stop accepting new connections (safe from a signal handler)."""
        for acceptor in self.extra_acceptors:
            acceptor.stop()
        self.acceptor.stop()

    def drain(self, timeout: float) -> bool:
        """Close idle keep-alive connections and wait for requests in flight to finish."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            if connection.upgraded is not None:
                connection.upgraded.going_away()
            else:
                connection.close_if_idle()
        deadline = time.monotonic() + timeout
        idle = self.acceptor.wait_idle(timeout)
        for acceptor in self.extra_acceptors:
            idle = acceptor.wait_idle(max(0.0, deadline - time.monotonic())) and idle
        return idle

    def _reject(self, sock: socket.socket) -> None:
        if self.ssl_context is not None:
            return  # no TLS session to speak through; the close says enough
        try:
            sock.settimeout(0.5)
            sock.sendall(
                plain_text_error(503, f"the server already has {self.settings.max_connections} connections open")
            )
        except OSError:
            pass

    def serve_connection(self, sock: socket.socket, address: Any) -> None:
        """Serve one accepted connection until it ends (the acceptor calls this in its thread)."""
        connection = _Connection(self, sock, address)
        with self._connections_lock:
            self._connections.add(connection)
        try:
            connection.run()
        finally:
            with self._connections_lock:
                self._connections.discard(connection)


class _Connection:
    """One client connection, served request after request."""

    def __init__(self, server: HTTPServer, sock: socket.socket, address: Any) -> None:
        self.server = server
        self.settings = server.settings
        self.sock: socket.socket = sock
        self.address = tuple(address[:2]) if isinstance(address, tuple) else ("", 0)
        self.buffer = bytearray()
        self.requests = 0
        self.idle = True
        self.upgraded: Upgraded | None = None
        self._send_lock = threading.Lock()
        self._bytes_sent = 0
        self._timed_out = False
        # Which handler run a deadline callback may end: each request's run gets a new
        # generation; 0 while none runs. Never held across I/O, so a callback always gets it.
        self._state_lock = threading.Lock()
        self._generation = 0
        self._running = 0
        self._thread_ident = threading.get_ident()
        self._slot = current_slot()

    # -- life cycle -----------------------------------------------------------------------

    def run(self) -> None:
        try:
            if self.sock.family in (socket.AF_INET, socket.AF_INET6):
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.server.ssl_context is not None and not self._start_tls():
                return
            self._recv_timeout = RecvTimeout(self.sock)
            while self._serve_one():
                self.requests += 1
        except _Closed:
            pass
        except ProtocolError as exc:
            self._reply_error(exc.status, exc.message)
        except (ClientDisconnected, ConnectionError, TimeoutError, ssl.SSLError) as exc:
            self.server.logger.debug("%s: connection from %s ended: %s", self.server.scheme, self.address, exc)
        except HandlerTimeout:
            pass
        except OSError as exc:
            self.server.logger.debug("%s: connection from %s failed: %s", self.server.scheme, self.address, exc)
        finally:
            # After TLS starts, self.sock is the wrapping SSLSocket: the acceptor's close of the
            # raw socket would not reach it.
            self.sock.close()

    def close_if_idle(self) -> None:
        """Called at shutdown: end a connection that waits for its next request."""
        if self.idle:
            shut(self.sock)

    def _start_tls(self) -> bool:
        assert self.server.ssl_context is not None
        self.sock.settimeout(self.settings.header_timeout)
        try:
            first = self.sock.recv(1, socket.MSG_PEEK)
        except (OSError, TimeoutError):
            return False
        if not first:
            return False
        if first[0] != _TLS_RECORD_HANDSHAKE:
            self.server.logger.info("%s: plain text from %s on a TLS port", self.server.scheme, self.address)
            self._send_raw(
                plain_text_error(
                    400, "this port speaks TLS; the request was sent in plain text (use https:// or wss://)"
                )
            )
            return False
        tls = self.server.ssl_context.wrap_socket(self.sock, server_side=True, do_handshake_on_connect=False)
        # One deadline for the whole handshake: a client dripping bytes cannot stretch it.
        timer = self.server.watchdog.watch(self.settings.header_timeout, lambda: shut(tls))
        scheme = self.server.scheme
        try:
            tls.do_handshake()
        except (ssl.SSLError, OSError, TimeoutError) as exc:
            self.server.logger.debug("%s: TLS handshake with %s failed: %s", scheme, self.address, exc)
            tls.close()  # it owns the file descriptor now
            return False
        finally:
            in_time = timer.cancel()
        if not in_time:
            # The deadline passed and its callback shuts (or is about to shut) the socket: a
            # connection kept now would be cut in the middle of a request.
            self.server.logger.debug("%s: TLS handshake with %s finished past its deadline", scheme, self.address)
            tls.close()
            return False
        self.sock = tls
        return True

    # -- reading --------------------------------------------------------------------------

    def _recv(self, timeout: float) -> bytes:
        """Up to 64 KiB; :class:`TimeoutError` when nothing came within ``timeout``."""
        self._recv_timeout.set(timeout)
        try:
            return self.sock.recv(_RECV_SIZE)
        except BlockingIOError:  # SO_RCVTIMEO expired
            raise TimeoutError("timed out") from None

    def _read_head(self) -> bytes:
        """The next request head, empty lines before it skipped.

        Waiting for a request is bounded by the idle timeout (``keep_alive_timeout`` between
        requests, ``header_timeout`` for the first); empty lines do not extend it, and a
        connection that sent nothing else by then is closed quietly, like an idle one (a
        client may end a POST body with a stray CRLF). Once a request line has begun, the
        whole head must arrive within ``header_timeout`` (slowloris), or 408.
        """
        buffer = self.buffer
        settings = self.settings
        limit = settings.max_header_bytes
        idle_until: float | None = None  # set when the wait for a request begins
        head_until: float | None = None  # set when a request line has begun but not ended
        scanned = 0
        skipped = 0
        while True:
            if head_until is None and buffer and buffer[0] in (0x0D, 0x0A):
                skipped += _strip_empty_lines(buffer, _MAX_EMPTY_LINE_BYTES + 1 - skipped)
                if skipped > _MAX_EMPTY_LINE_BYTES:
                    raise ProtocolError(
                        400, f"more than {_MAX_EMPTY_LINE_BYTES} bytes of empty lines before the request line"
                    )
            if buffer:
                end = find_head_end(buffer, scanned)
                if end >= 0:
                    if end > limit:
                        raise ProtocolError(431, f"the request head is over the limit of {limit} bytes")
                    head = bytes(buffer[:end])
                    del buffer[:end]
                    return head
                if len(buffer) > limit:
                    raise ProtocolError(431, f"the request head is over the limit of {limit} bytes")
                scanned = len(buffer)
            now = time.monotonic()
            if buffer:
                if head_until is None:
                    head_until = now + settings.header_timeout
                timeout = head_until - now
                if timeout <= 0:
                    raise ProtocolError(408, f"the request head did not arrive within {settings.header_timeout:g} s")
            else:
                if idle_until is None:
                    idle_until = now + (settings.keep_alive_timeout if self.requests else settings.header_timeout)
                timeout = idle_until - now
                if timeout <= 0:
                    raise _Closed()  # idle, or only empty lines: nothing to answer
            try:
                data = self._recv(timeout)
            except TimeoutError:
                continue  # the deadline checks above decide
            if not data:
                raise _Closed()
            buffer += data

    def _read_exact(self, length: int) -> bytes:
        buffer = self.buffer
        while len(buffer) < length:
            try:
                data = self._recv(self.settings.header_timeout)
            except TimeoutError:
                raise ProtocolError(408, "the request body stopped arriving") from None
            if not data:
                raise _Closed()
            buffer += data
        body = bytes(buffer[:length])
        del buffer[:length]
        return body

    def _read_chunked(self) -> bytes:
        decoder = ChunkedDecoder(self.settings.max_body_bytes)
        body = bytearray(decoder.feed(bytes(self.buffer)))
        self.buffer.clear()
        while not decoder.done:
            try:
                data = self._recv(self.settings.header_timeout)
            except TimeoutError:
                raise ProtocolError(408, "the chunked request body stopped arriving") from None
            if not data:
                raise _Closed()
            body += decoder.feed(data)
        self.buffer += decoder.unused
        return bytes(body)

    def _read_body(self, head: RequestHead) -> bytes:
        kind, length = head.framing
        if kind == "chunked":
            if head.expect_continue:
                self._send_raw(b"HTTP/1.1 100 Continue\r\n\r\n")
            return self._read_chunked()
        if length > self.settings.max_body_bytes:
            raise ProtocolError(
                413, f"the request body is {length} bytes, over the limit of {self.settings.max_body_bytes}"
            )
        if length and head.expect_continue and len(self.buffer) < length:
            self._send_raw(b"HTTP/1.1 100 Continue\r\n\r\n")
        return self._read_exact(length) if length else b""

    # -- one request ----------------------------------------------------------------------

    def _serve_one(self) -> bool:
        """Serve one request; whether the connection stays open for another."""
        self.idle = True
        head_bytes = self._read_head()
        self.idle = False
        head = parse_head(head_bytes, self.settings.max_headers)
        body = self._read_body(head)
        server = self.server
        request = Request(
            head.method,
            head.target,
            head.version,
            head.headers,
            body,
            scheme=server.scheme,
            server_host=server.server_host,
            server_port=server.port,
            client_address=self.address,
        )
        if server.upgrader is not None:
            server.upgrader.upgrade(request, self)
            return False  # upgraded (and now ended) or refused: either way the connection is done
        assert server.app is not None
        is_head = head.method == "HEAD"
        response = Response(self, "HTTP/1.1", is_head)
        self._bytes_sent = 0
        timer = None
        if self.settings.handler_timeout is not None:
            timer = server.watchdog.watch(
                self.settings.handler_timeout, partial(self._handler_timed_out, self._handler_started())
            )
        try:
            server.app.handle(request, response)
            if self._deadline_passed():
                return False
            # The deadline covers sending the body too: a handler's generator may block.
            keep_alive = head.keep_alive and not response.close_connection
            keep_alive = self._send_response(head, response, keep_alive)
        finally:
            if timer is not None:
                timer.cancel()
                self._handler_finished()
        if self._deadline_passed():  # set by the watchdog thread meanwhile
            return False
        if server.access_log:
            server.logger.info(
                '%s - "%s %s %s" %d', self.address[0], head.method, head.target, head.version, response.status[0]
            )
        return keep_alive

    def _send_response(self, head: RequestHead, response: Response, keep_alive: bool) -> bool:
        if response.writer_used:
            # What the handler wrote is all that goes out (a head it left unfinished too).
            complete = response.writer.finish()
            return keep_alive and complete and response.writer.has_content_length

        try:
            # Checked before the head is built: a wrong type is a 500 naming it, not a 200
            # whose body breaks off.
            content = response.content = check_content(response.content)
            if isinstance(content, (list, tuple)):  # finite and in memory: send with a length
                content = b"".join(response.iter_content())
            elif isinstance(content, str):
                content = response.encode(content)
        except Exception as exc:  # noqa: BLE001 - whatever the handler put in content
            self.server.logger.error("%s %s: the response body cannot be sent: %s", head.method, head.target, exc)
            self.send(plain_text_error(500, f"the handler's response body cannot be sent: {type(exc).__name__}: {exc}"))
            return False
        in_memory = isinstance(content, bytes)
        framing = frame_response(
            response,
            method=head.method,
            version=head.version,
            keep_alive=keep_alive,
            body_length=len(content) if in_memory else None,
        )
        if framing.body == "empty" or in_memory:
            self.send(framing.whole(content if in_memory else b""))
            return framing.keep_alive
        self.send(framing.head)
        if not framing.send_body:  # HEAD: the stream is never read
            close = getattr(content, "close", None)
            if callable(close):
                close()
            return framing.keep_alive
        try:
            for piece in response.iter_content():
                self.send(framing.chunk(piece))
        except ClientDisconnected:
            raise
        except Exception as exc:  # noqa: BLE001 - a handler's generator may raise anything
            self.server.logger.error("%s %s: the response body failed mid-stream: %s", head.method, head.target, exc)
            return False
        end = framing.end()
        if end:
            self.send(end)
        return framing.keep_alive

    # -- writing --------------------------------------------------------------------------

    def send(self, data: bytes) -> None:
        """Write to the client (the response writer's sink); :class:`ClientDisconnected` if gone."""
        with self._send_lock:
            if self._timed_out:
                raise ClientDisconnected("the handler timed out; the connection was closed")
            self._recv_timeout.before_send()
            try:
                self.sock.sendall(data)
            except (OSError, ValueError) as exc:
                raise ClientDisconnected(f"the client went away: {exc}") from None
            self._bytes_sent += len(data)

    def hand_over(self, build: Callable[[Handover], U]) -> U:
        """Give the connection to an upgrade (:class:`~harness.http.upgrade.UpgradeChannel`)."""
        upgraded = build(Handover(self.sock, self.buffer, self._recv_timeout))
        self.upgraded = upgraded
        return upgraded

    def _send_raw(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except (OSError, ValueError):
            pass

    def _reply_error(self, status: int, message: str) -> None:
        self.server.logger.info("%s: %s: %d %s", self.server.scheme, self.address, status, message)
        self._send_raw(plain_text_error(status, message))

    def _deadline_passed(self) -> bool:
        """Whether the watchdog ended the current handler run (set from its thread)."""
        return self._timed_out

    def _handler_started(self) -> int:
        """Mark a handler run as begun; its generation, for its deadline callback."""
        with self._state_lock:
            self._generation += 1
            self._running = self._generation
            return self._generation

    def _handler_finished(self) -> None:
        """Mark the handler run as over: from now on its deadline callback does nothing.

        A callback that got the state lock first has already sent the interrupt, which is
        raised here, at the latest as the lock is released.
        """
        with self._state_lock:
            self._running = 0

    def _handler_timed_out(self, generation: int) -> None:
        """Watchdog callback for the handler run ``generation``: answer 504, close, interrupt.

        The watchdog may call it late (it runs due callbacks one after another), after that
        run finished and the next request on the connection began: then it does nothing.
        """
        limit = self.settings.handler_timeout
        # The handler thread holds the send lock only while a write is under way; a client
        # too slow to take it must not hold up the watchdog (and every other deadline).
        locked = self._send_lock.acquire(timeout=0.2)
        try:
            # Decided under the state lock, which the handler thread takes to finish a run:
            # the interrupt below reaches the run it was meant for, or nothing happens.
            with self._state_lock:
                if self._running != generation:
                    return
                self._timed_out = True
                if locked and self._bytes_sent == 0:
                    message = plain_text_error(
                        504, f"the handler did not finish within {limit:g} s (http.handler_timeout)"
                    )
                    try:
                        self.sock.setblocking(False)
                        self.sock.send(message)  # small: fits the socket buffer, or is dropped
                    except (OSError, ValueError):
                        pass
                shut(self.sock)
                # At the handler's next bytecode, or when its stash call (if any) returns;
                # either way before it can mark the run finished.
                interrupt(self._thread_ident, HandlerTimeout)
        finally:
            if locked:
                self._send_lock.release()
        self.server.logger.error(
            "%s: a handler for %s ran past http.handler_timeout (%g s); answered 504",
            self.server.scheme,
            self.address,
            limit,
        )
        if self._slot is not None:
            # The thread may stay stuck in C code; its connection no longer counts.
            self._slot.release()


def _strip_empty_lines(buffer: bytearray, at_most: int) -> int:
    """Remove up to ``at_most`` CR and LF bytes from the start of ``buffer``; how many went."""
    count = 0
    size = min(len(buffer), at_most)
    while count < size and buffer[count] in (0x0D, 0x0A):
        count += 1
    del buffer[:count]
    return count
