"""The ``ws`` object WebSocket handlers receive: websockets' sync API, one thread per connection.

It has the surface of :class:`websockets.sync.server.ServerConnection` (``recv``, ``send``,
iteration, ``close``, ``ping``, ``pong``, ``close_code``, ``request``, ...) and raises the
same exceptions (:class:`~websockets.exceptions.ConnectionClosedOK`,
:class:`~websockets.exceptions.ConnectionClosedError`), so handlers written for websockets
run unchanged. Frames are read in the handler's own thread when it calls ``recv``, with no
reader thread and no queue between them: that is what makes it fast.

>>> def main(ws, request):
...     for message in ws:          # str for text, bytes for binary
...         ws.send(message)        # echo it back
"""

from __future__ import annotations

import codecs
import logging
import os
import selectors
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any

from websockets.datastructures import Headers
from websockets.exceptions import (
    ConnectionClosed,
    ConnectionClosedError,
    ConnectionClosedOK,
    PayloadTooBig,
    ProtocolError,
)
from websockets.extensions import Extension
from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.frames import Close, Opcode
from websockets.frames import Frame as WSFrame
from websockets.http11 import Request as WSRequest
from websockets.protocol import State

from ..net.sockets import RecvTimeout, shut
from .frames import (
    MAX_CLOSE_REASON_BYTES,
    MAX_CONTROL_PAYLOAD,
    OP_BINARY,
    OP_CLOSE,
    OP_CONTINUATION,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    Frame,
    WSProtocolError,
    close_code_is_valid,
    encode_close,
    encode_frame,
    parse_close,
    parse_frame,
)

__all__ = ["ConcurrencyError", "InvalidFrameArgument", "WebSocket"]

try:
    from websockets.exceptions import ConcurrencyError
except ImportError:  # websockets < 14

    class ConcurrencyError(RuntimeError):  # type: ignore[no-redef]
        """Two threads called recv at once."""


class InvalidFrameArgument(ProtocolError, ValueError):
    """``close``, ``ping`` or ``pong`` was given what no valid frame can carry; nothing was sent.

    A :class:`websockets.exceptions.ProtocolError` (what websockets raises for an invalid
    close code) and a :class:`ValueError`.
    """


_RECV_SIZE = 65536
_NO_STATUS = 1005
_ABNORMAL = 1006
_OK_CODES = (1000, 1001, _NO_STATUS)
_DONTWAIT = getattr(socket, "MSG_DONTWAIT", 0)
# How long shutdown waits for a send under way before it cuts the connection off.
_GOING_AWAY_LOCK_WAIT = 0.05


class WebSocket:
    """A server-side WebSocket connection, driven by the thread that calls :meth:`recv`."""

    def __init__(
        self,
        sock: socket.socket,
        buffer: bytearray,
        *,
        path: str,
        headers: list[tuple[bytes, bytes]],
        subprotocol: str | None,
        max_size: int | None,
        close_timeout: float,
        logger: logging.Logger,
        recv_timeout: RecvTimeout | None = None,
        extensions: Sequence[Extension] = (),
    ) -> None:
        """``recv_timeout`` is the transport's for this socket, if it has one (else a new one).

        ``extensions``: what the handshake negotiated (at most permessage-deflate).
        """
        self.socket = sock
        self.id = uuid.uuid4()
        self.logger = logger
        self.subprotocol = subprotocol
        self.max_size = max_size
        self.close_timeout = close_timeout
        self.latency = 0.0
        self._path = path
        self._raw_headers = headers
        self._buffer = buffer
        self._recv_timeout = recv_timeout if recv_timeout is not None else RecvTimeout(sock)
        self._send_lock = threading.Lock()  # one frame at a time on the wire
        self._message_lock = threading.Lock()  # one data message at a time (fragments stay together)
        self._recv_lock = threading.Lock()
        self._closed = threading.Event()
        self._close_sent: Close | None = None
        self._close_rcvd: Close | None = None
        self._rcvd_then_sent: bool | None = None  # once both close frames are known: which came first
        self._close_exc: ConnectionClosed | None = None
        self._fragment_opcode: int | None = None  # of the fragmented message under way
        self._fragments: list[Any] = []  # its pieces so far: str for text, bytes for binary (recv only)
        self._fragment_size = 0
        self._text_decoder: codecs.IncrementalDecoder | None = None  # checks a fragmented text message
        self._drained = False  # the client's end of the TCP connection was read (or given up on)
        self._deflate = next((e for e in extensions if isinstance(e, PerMessageDeflate)), None)
        self._pings: dict[bytes, tuple[threading.Event, float, bool]] = {}
        try:
            self.remote_address: Any = sock.getpeername()
            self.local_address: Any = sock.getsockname()
        except OSError:
            self.remote_address = self.local_address = None

    def __repr__(self) -> str:
        return f"<WebSocket {self._path} {self.state.name}>"

    # -- what websockets' ServerConnection exposes ---------------------------------------

    @property
    def request(self) -> WSRequest:
        """The opening handshake request (``path``, ``headers``), as websockets gives it."""
        headers = Headers([(n.decode("latin-1"), v.decode("latin-1")) for n, v in self._raw_headers])
        return WSRequest(self._path, headers)

    @property
    def state(self) -> State:
        if self._closed.is_set():
            return State.CLOSED
        if self._close_sent is not None or self._close_rcvd is not None:
            return State.CLOSING
        return State.OPEN

    @property
    def close_code(self) -> int | None:
        """The code of the close frame received; 1006 if none came; ``None`` while open."""
        if not self._closed.is_set():
            return None
        return self._close_rcvd.code if self._close_rcvd is not None else _ABNORMAL

    @property
    def close_reason(self) -> str | None:
        """The reason of the close frame received; ``""`` if none came; ``None`` while open."""
        if not self._closed.is_set():
            return None
        return self._close_rcvd.reason if self._close_rcvd is not None else ""

    def __enter__(self) -> WebSocket:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close(1011 if exc_type is not None and not issubclass(exc_type, ConnectionClosed) else 1000)

    def __iter__(self) -> Iterator[str | bytes]:
        """Each message until the connection closes (normally: ends; abnormally: raises)."""
        try:
            while True:
                yield self.recv()
        except ConnectionClosedOK:
            return

    # -- receiving ------------------------------------------------------------------------

    def recv(self, timeout: float | None = None, decode: bool | None = None) -> Any:
        """The next message: ``str`` for text, ``bytes`` for binary.

        ``timeout`` (seconds) raises :class:`TimeoutError` when nothing arrives in time;
        ``decode`` forces ``str`` (True) or ``bytes`` (False). Raises ConnectionClosedOK or
        ConnectionClosedError once the connection is closed.
        """
        if not self._recv_lock.acquire(blocking=False):
            if self._close_sent is not None:  # another thread is closing: its outcome is ours
                self._closed.wait(self.close_timeout)
                raise self._closing_exception()
            raise ConcurrencyError("cannot call recv while another thread is already running recv or recv_streaming")
        try:
            deadline = None if timeout is None else time.monotonic() + timeout
            while True:
                frame = self._read_frame(deadline)
                message = self._assemble(frame)
                if message is not None:
                    return self._decoded(message[0], message[1], decode)
        finally:
            self._recv_lock.release()

    def recv_streaming(self, decode: bool | None = None) -> Iterator[Any]:
        """The next message, fragment by fragment as frames arrive: ``str`` for text, ``bytes`` for binary.

        Nothing is buffered: each frame's payload is yielded as it comes. Text is decoded
        incrementally, so a character split across frames arrives whole (in the later piece).
        """
        if not self._recv_lock.acquire(blocking=False):
            raise ConcurrencyError("cannot call recv_streaming while another thread is already running recv")
        try:
            binary_decoder: codecs.IncrementalDecoder | None = None
            if self._fragments:  # the start of this message, read by a recv that then timed out
                opcode, start, self._fragments = self._fragment_opcode, self._fragments, []
                if opcode == OP_TEXT:  # str pieces, checked; the decoder keeps any split character
                    text = "".join(start)
                    yield text.encode("utf-8") if decode is False else text
                elif decode:
                    binary_decoder = codecs.getincrementaldecoder("utf-8")()
                    yield binary_decoder.decode(b"".join(start))
                else:
                    yield b"".join(start)
            while True:
                frame = self._read_frame(None)
                if frame.opcode not in (OP_TEXT, OP_BINARY, OP_CONTINUATION):
                    self._control(frame)
                    continue
                opcode = self._message_opcode(frame)
                if opcode == OP_TEXT:
                    text = self._check_text(frame)
                    yield frame.payload if decode is False else text
                elif decode:  # binary data the caller asked to decode: an error is its own
                    if binary_decoder is None:
                        binary_decoder = codecs.getincrementaldecoder("utf-8")()
                    yield binary_decoder.decode(frame.payload, frame.fin)
                else:
                    yield frame.payload
                if frame.fin:
                    return
        finally:
            self._recv_lock.release()

    def _check_text(self, frame: Frame) -> str:
        """The text a frame of a text message adds, checked as UTF-8 across the message's frames.

        A character split between frames is fine (it comes whole with the later frame);
        invalid bytes fail the connection with 1007 as soon as their frame arrives.
        """
        decoder = self._text_decoder
        if decoder is None:
            if frame.fin:  # a whole message in one frame: no state to keep
                try:
                    return frame.payload.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise self._fail(1007, f"invalid UTF-8 in a text message: {exc.reason}") from None
            decoder = self._text_decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            text = decoder.decode(frame.payload, frame.fin)
        except UnicodeDecodeError as exc:
            raise self._fail(1007, f"invalid UTF-8 in a text message: {exc.reason}") from None
        if frame.fin:
            self._text_decoder = None
        return text

    def _read_frame(self, deadline: float | None) -> Frame:
        while True:
            try:
                frame = parse_frame(self._buffer, self.max_size, self._deflate is not None)
            except WSProtocolError as error:
                raise self._fail(error.code, error.reason) from None
            if frame is not None:
                return frame if self._deflate is None else self._inflate(frame)
            if self._close_exc is not None:
                raise self._close_exc
            timeout = None
            if deadline is not None:
                timeout = deadline - time.monotonic()
                if timeout <= 0:
                    raise TimeoutError("timed out while waiting for a message")
            self._recv_timeout.set(timeout)
            try:
                data = self.socket.recv(_RECV_SIZE)
            except (TimeoutError, BlockingIOError):
                raise TimeoutError("timed out while waiting for a message") from None
            except OSError:
                data = b""
            if not data:
                raise self._lost()
            self._buffer += data

    def _inflate(self, frame: Frame) -> Frame:
        """A data frame of a compressed message, decompressed (RFC 7692), within ``max_size``."""
        assert self._deflate is not None
        if frame.opcode in (OP_PING, OP_PONG, OP_CLOSE):
            return frame
        # At least 1: zlib reads a limit of 0 as none at all.
        limit = None if self.max_size is None else max(1, self.max_size - self._fragment_size)
        try:
            wire = WSFrame(Opcode(frame.opcode), frame.payload, frame.fin, rsv1=frame.rsv1)
            plain = self._deflate.decode(wire, max_size=limit)
        except PayloadTooBig:
            raise self._fail(1009, f"message over the limit of {self.max_size} bytes once decompressed") from None
        except ProtocolError as exc:
            raise self._fail(1002, f"permessage-deflate: {exc}") from None
        return Frame(frame.fin, frame.opcode, bytes(plain.data))

    def _message_opcode(self, frame: Frame) -> int:
        """The type (text or binary) of the message a data frame belongs to.

        Checks that fragments come in order and stay within ``max_size`` together.
        """
        if frame.opcode != OP_CONTINUATION:
            if self._fragment_opcode is not None:
                raise self._fail(1002, "a new message started before the fragmented one ended")
            if not frame.fin:
                self._fragment_opcode, self._fragment_size = frame.opcode, len(frame.payload)
            return frame.opcode
        opcode = self._fragment_opcode
        if opcode is None:
            raise self._fail(1002, "a continuation frame without a message to continue")
        self._fragment_size += len(frame.payload)
        if self.max_size is not None and self._fragment_size > self.max_size:
            raise self._fail(1009, f"message over the limit of {self.max_size} bytes")
        if frame.fin:
            self._fragment_opcode, self._fragment_size = None, 0
        return opcode

    def _assemble(self, frame: Frame) -> tuple[int, Any] | None:
        """A complete message from data frames (``None`` until its last frame came)."""
        if frame.opcode not in (OP_TEXT, OP_BINARY, OP_CONTINUATION):
            self._control(frame)
            return None
        opcode = self._message_opcode(frame)
        piece: Any = self._check_text(frame) if opcode == OP_TEXT else frame.payload
        if not frame.fin:
            self._fragments.append(piece)
            return None
        if not self._fragments:
            return opcode, piece
        self._fragments.append(piece)
        message = "".join(self._fragments) if opcode == OP_TEXT else b"".join(self._fragments)
        self._fragments = []
        return opcode, message

    @staticmethod
    def _decoded(opcode: int, message: Any, decode: bool | None) -> Any:
        """A message as the caller asked: text arrives as str (checked), binary as bytes."""
        if opcode == OP_TEXT:
            return message.encode("utf-8") if decode is False else message
        return message.decode("utf-8") if decode else message

    def _control(self, frame: Frame) -> None:
        if frame.opcode == OP_PING:
            try:
                self._write(encode_frame(OP_PONG, frame.payload))
            except ConnectionClosed:
                pass
        elif frame.opcode == OP_PONG:
            # A pong answers its ping and every earlier one; one that answers nothing is ignored.
            if frame.payload in self._pings:
                for data in list(self._pings):
                    event, sent_at, _ack_on_close = self._pings.pop(data)
                    event.set()
                    if data == frame.payload:
                        self.latency = time.monotonic() - sent_at
                        break
        elif frame.opcode == OP_CLOSE:
            try:
                code, reason = parse_close(frame.payload)
            except WSProtocolError as error:
                raise self._fail(error.code, error.reason) from None
            with self._send_lock:
                self._rcvd_then_sent = self._close_sent is None
                self._close_rcvd = Close(code if code is not None else _NO_STATUS, reason)
                if self._close_sent is None and not self._closed.is_set():
                    self._send_close(code, reason)
            raise self._finish()

    # -- sending --------------------------------------------------------------------------

    def send(self, message: Any, text: bool | None = None) -> None:
        """Send a message: ``str`` as text, bytes-like as binary, an iterable as fragments.

        ``text`` forces the frame type. Raises ConnectionClosed once the connection is closing.
        """
        if isinstance(message, str):
            with self._message_lock:
                self._write_data(OP_BINARY if text is False else OP_TEXT, message.encode("utf-8"))
        elif isinstance(message, (bytes, bytearray, memoryview)):
            with self._message_lock:
                self._write_data(OP_TEXT if text else OP_BINARY, bytes(message))
        elif isinstance(message, Mapping):
            raise TypeError("data is a dict-like object")
        elif isinstance(message, Iterable):
            self._send_fragments(message, text)
        else:
            raise TypeError(f"data must be str, bytes-like or iterable, not {type(message).__name__}")

    def _send_fragments(self, chunks: Iterable[Any], text: bool | None) -> None:
        with self._message_lock:  # no other data frame may come between the fragments
            try:
                self._send_fragments_locked(chunks, text)
            except ConnectionClosed:
                raise
            except Exception:
                # The message is left open on the wire: nothing else can follow it.
                self._fail(1011, "the message being sent failed part-way", client_fault=False)
                raise

    def _send_fragments_locked(self, chunks: Iterable[Any], text: bool | None) -> None:
        opcode: int | None = None
        kind: type | None = None
        for chunk in chunks:
            chunk_kind = str if isinstance(chunk, str) else bytes
            if kind is None:
                kind = chunk_kind
                opcode = OP_TEXT if (chunk_kind is str and text is not False) or text else OP_BINARY
                first = True
            elif chunk_kind is not kind:
                raise TypeError("all fragments of a message must be str, or all bytes-like")
            else:
                first = False
            payload = chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)
            self._write_data(opcode if first else OP_CONTINUATION, payload, fin=False)  # type: ignore[arg-type]
        if kind is not None:
            self._write_data(OP_CONTINUATION, b"", fin=True)

    def ping(self, data: str | bytes | None = None, ack_on_close: bool = False) -> threading.Event:
        """Send a ping; the returned event is set when its pong arrives (during a recv).

        With ``ack_on_close`` the event is also set if the connection closes first.
        """
        if data is None:
            payload = os.urandom(4)
            while payload in self._pings:
                payload = os.urandom(4)
        else:
            payload = _control_payload("ping", data)
            if payload in self._pings:
                raise ConcurrencyError("already waiting for a pong with the same data")
        event = threading.Event()
        self._pings[payload] = (event, time.monotonic(), ack_on_close)
        self._write(encode_frame(OP_PING, payload))
        return event

    def pong(self, data: str | bytes = b"") -> None:
        """Send an unsolicited pong."""
        self._write(encode_frame(OP_PONG, _control_payload("pong", data)))

    def send_raw(self, data: bytes) -> None:
        """Write ``data`` to the socket exactly as given, between whole frames of other sends.

        For tests that must send what no valid sender would: an invalid frame, a bad close
        code, a frame cut across writes. The connection's state does not change (a close frame
        sent this way is not known to be sent). Raises ConnectionClosed once closing.

        >>> def main(ws, request):
        ...     ws.send_raw(b"\\x89\\x00")  # a ping with no payload, built by hand
        """
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"send_raw takes bytes, not {type(data).__name__}")
        self._write(bytes(data))

    def _write_data(self, opcode: int, payload: bytes, fin: bool = True) -> None:
        """A data frame, compressed if permessage-deflate is on (in wire order: one context)."""
        deflate = self._deflate
        if deflate is None:
            self._write(encode_frame(opcode, payload, fin))
            return
        with self._send_lock:
            if self._close_sent is not None or self._closed.is_set():
                raise self._closing_exception()
            wire = deflate.encode(WSFrame(Opcode(opcode), payload, fin))
            self._sendall(encode_frame(opcode, bytes(wire.data), fin, wire.rsv1))

    def _write(self, data: bytes) -> None:
        with self._send_lock:
            if self._close_sent is not None or self._closed.is_set():
                raise self._closing_exception()
            self._sendall(data)

    def _sendall(self, data: bytes) -> None:
        self._recv_timeout.before_send()
        try:
            self.socket.sendall(data)
        except OSError:
            raise self._lost() from None

    # -- closing --------------------------------------------------------------------------

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the connection: send a close frame and wait (``close_timeout``) for the reply.

        :class:`InvalidFrameArgument` for a code a close frame may not carry (such as 1005
        or 1006) or a reason over 123 bytes of UTF-8; nothing is sent then.
        """
        _check_close(code, reason)
        if self._closed.is_set():
            self._drain(time.monotonic() + self.close_timeout)
            return
        with self._send_lock:
            if self._close_sent is None and not self._closed.is_set():
                self._send_close(code, reason)
        if self._recv_lock.acquire(blocking=False):
            try:
                deadline = time.monotonic() + self.close_timeout
                while not self._closed.is_set():
                    frame = self._read_frame(deadline)
                    if frame.opcode == OP_CLOSE:
                        self._control(frame)
            except (ConnectionClosed, TimeoutError):
                pass
            finally:
                self._recv_lock.release()
            if not self._closed.is_set():  # no reply in time: cut the connection off
                self._drained = True
                shut(self.socket)
            self._finish()
            self._drain(deadline)
        elif not self._closed.wait(self.close_timeout):
            # Another thread is blocked in recv: it gets the reply; if none comes, cut it off.
            self._drained = True
            shut(self.socket)
            self._finish()

    def _drain(self, deadline: float) -> None:
        """After our end is closed: read and drop what the client still sends until its end.

        Bounded by ``deadline``; then the socket is shut (the transport closes it).
        """
        if self._drained or not self._recv_lock.acquire(blocking=False):
            return
        try:
            self._drained = True
            self._buffer.clear()
            while (timeout := deadline - time.monotonic()) > 0:
                self._recv_timeout.set(timeout)
                try:
                    if not self.socket.recv(_RECV_SIZE):
                        return
                except (TimeoutError, BlockingIOError, OSError, ValueError):
                    break
            shut(self.socket)
        finally:
            self._recv_lock.release()

    def _send_close(self, code: int | None, reason: str) -> None:
        self._close_sent = Close(code if code is not None else _NO_STATUS, reason)
        try:
            self._sendall(encode_close(code, reason))
        except ConnectionClosed:
            pass

    def _fail(self, code: int, reason: str, client_fault: bool = True) -> ConnectionClosed:
        """Fail the connection (RFC 6455 7.1.7): the close frame, then the TCP connection, at once.

        Logged once, at info, naming what the client did wrong (1002, 1007, 1009): it is not
        a handler failure. A failure of our own (``client_fault`` false) is logged at debug.
        """
        with self._send_lock:
            first = self._close_sent is None and not self._closed.is_set()
            if first:
                self._send_close(code, reason)
        if first and client_fault:
            self.logger.info(
                "WebSocket %s: the client broke the protocol, closing with %d: %s", self._path, code, reason
            )
        elif first:
            self.logger.debug("WebSocket %s: closing with %d: %s", self._path, code, reason)
        return self._finish()

    def _lost(self) -> ConnectionClosed:
        """The TCP connection ended under us, with or without a close handshake."""
        self._drained = True  # the client's end was read: nothing left to wait for
        return self._finish()

    def _outcome(self, in_progress: bool = False) -> ConnectionClosed:
        """The exception telling how the connection closed (or, ``in_progress``, is closing).

        websockets insists that ``rcvd_then_sent`` is set exactly when both close frames are
        known; it is read from one snapshot of the two so that always holds.
        """
        rcvd, sent = self._close_rcvd, self._close_sent
        order = None if rcvd is None or sent is None else bool(self._rcvd_then_sent)
        clean = rcvd is not None and sent is not None and rcvd.code in _OK_CODES and sent.code in _OK_CODES
        kind = ConnectionClosedOK if clean or in_progress else ConnectionClosedError
        return kind(rcvd, sent, order)

    def _finish(self) -> ConnectionClosed:
        """The connection is over: shut the socket, and settle the exception every call raises."""
        if self._close_exc is None:
            self._close_exc = self._outcome()
        if not self._closed.is_set():
            # Half-closed: the client reads the close frame, then the end of the stream, at
            # once; what it still sends is read and dropped by close() (a close with unread
            # bytes would send a reset, which can destroy the close frame). Not closed: the
            # descriptor's number could be reused under another thread. The transport closes it.
            try:
                socket.socket.shutdown(self.socket, socket.SHUT_WR)
            except OSError:
                pass
            self._closed.set()
            for event, _sent_at, ack_on_close in self._pings.values():
                if ack_on_close:
                    event.set()
        return self._close_exc

    def going_away(self) -> None:
        """Server shutdown: send a 1001 close frame; the handler's next recv gets the reply.

        The shutdown calls this for each connection in turn, so it never waits on the client:
        when the frame cannot go out at once (a send is stuck on a client that reads nothing,
        or the socket buffer is full), the connection is shut instead, and the handler's next
        call raises ConnectionClosedError.
        """
        if self._closed.is_set():
            return
        if not self._send_lock.acquire(timeout=_GOING_AWAY_LOCK_WAIT):
            shut(self.socket)  # the send under way fails, and so ends the handler's wait
            return
        try:
            if self._close_sent is not None or self._closed.is_set():
                return
            self._close_sent = Close(1001, "the server is shutting down")
            if not self._send_at_once(encode_close(1001, self._close_sent.reason)):
                shut(self.socket)
        finally:
            self._send_lock.release()

    def _send_at_once(self, data: bytes) -> bool:
        """Send a few bytes only if the socket takes them all without blocking; whether it did."""
        try:
            with selectors.DefaultSelector() as selector:
                selector.register(self.socket, selectors.EVENT_WRITE)
                if not selector.select(0):
                    return False
            if isinstance(self.socket, ssl.SSLSocket):
                # No flags under TLS; one small record into a writable socket does not block.
                self.socket.sendall(data)
                return True
            return self.socket.send(data, _DONTWAIT) == len(data)
        except (OSError, ValueError):
            return False

    def _closing_exception(self) -> ConnectionClosed:
        if self._close_exc is not None:
            return self._close_exc
        return self._outcome(in_progress=True)


def _check_close(code: int, reason: str) -> None:
    """Refuse, before anything is sent, a close frame that would break the protocol."""
    if not isinstance(code, int) or isinstance(code, bool):
        raise TypeError(f"the close code must be an int, not {type(code).__name__}")
    if not close_code_is_valid(code):
        raise InvalidFrameArgument(
            f"invalid close code {code}: use 1000-1003, 1007-1014 or 3000-4999 (1005 and 1006 are never sent)"
        )
    if not isinstance(reason, str):
        raise TypeError(f"the close reason must be a str, not {type(reason).__name__}")
    try:
        size = len(reason.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise InvalidFrameArgument(f"the close reason is not encodable as UTF-8: {exc.reason}") from None
    if size > MAX_CLOSE_REASON_BYTES:
        raise InvalidFrameArgument(
            f"the close reason is {size} bytes of UTF-8, over the limit of {MAX_CLOSE_REASON_BYTES}"
        )


def _control_payload(kind: str, data: Any) -> bytes:
    """The payload of a ping or pong; :class:`InvalidFrameArgument` if it does not fit one."""
    if isinstance(data, str):
        payload = data.encode("utf-8")
    elif isinstance(data, (bytes, bytearray, memoryview)):
        payload = bytes(data)
    else:
        raise TypeError(f"{kind} data must be str or bytes-like, not {type(data).__name__}")
    if len(payload) > MAX_CONTROL_PAYLOAD:
        raise InvalidFrameArgument(
            f"{kind} data is {len(payload)} bytes, over the limit of {MAX_CONTROL_PAYLOAD} for a control frame"
        )
    return payload
