"""``request.ws_stream``: messages in and out of a pywebsocket-style handler, and frame builders.

It behaves as pywebsocket3's ``Stream`` does: ``receive_message()`` returns ``str`` for text,
``bytes`` for binary and ``None`` once the client's close frame came (after the handler's
``web_socket_passive_closing_handshake`` chose the reply); ``send_message(message, end=True,
binary=False)`` sends a message or a piece of one; ``close_connection(code, reason)`` starts
the closing handshake and waits for the reply. Protocol errors are raised to the handler as
pywebsocket's exceptions, which the server turns into close codes if the handler lets them
through.

Frames are built unmasked (server to client) by :func:`create_text_frame`,
:func:`create_binary_frame`, :func:`create_close_frame`, ...: a handler can write one with
``request.connection.write`` to send exactly those bytes, a broken frame included.

>>> create_close_frame(create_closing_handshake_body(1000, "bye"))
b'\\x88\\x05\\x03\\xe8bye'
"""

from __future__ import annotations

import struct
import zlib
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import common
from ._stream_exceptions import (
    BadOperationException,
    ConnectionTerminatedException,
    InvalidFrameException,
    InvalidUTF8Exception,
    MessageTooBigException,
    UnsupportedFrameException,
)

__all__ = [
    "BadOperationException",
    "ConnectionTerminatedException",
    "InvalidFrameException",
    "InvalidUTF8Exception",
    "Stream",
    "UnsupportedFrameException",
    "create_binary_frame",
    "create_close_frame",
    "create_closing_handshake_body",
    "create_header",
    "create_length_header",
    "create_ping_frame",
    "create_pong_frame",
    "create_text_frame",
]

if TYPE_CHECKING:
    from .extensions import PerMessageDeflateExtensionProcessor

_MAX_CONTROL_PAYLOAD = 125
PassiveClosing = Callable[[Any], Any]


def create_length_header(length: int, mask: bool) -> bytes:
    """The second byte of a frame header and the extended length, for ``length`` bytes."""
    if length < 0:
        raise ValueError("length must be a non-negative integer")
    mask_bit = 0x80 if mask else 0
    if length <= 125:
        return bytes((mask_bit | length,))
    if length < 1 << 16:
        return bytes((mask_bit | 126,)) + struct.pack("!H", length)
    if length < 1 << 63:
        return bytes((mask_bit | 127,)) + struct.pack("!Q", length)
    raise ValueError("payload is too big for one frame")


def create_header(opcode: int, payload_length: int, fin: int, rsv1: int, rsv2: int, rsv3: int, mask: bool) -> bytes:
    """A frame header; ``ValueError`` for an opcode over 0xF or flags other than 0 and 1."""
    if not 0 <= opcode <= 0xF:
        raise ValueError("opcode out of range")
    if (fin | rsv1 | rsv2 | rsv3) & ~1:
        raise ValueError("FIN and reserved bits must be 0 or 1")
    first = (fin << 7) | (rsv1 << 6) | (rsv2 << 5) | (rsv3 << 4) | opcode
    return bytes((first,)) + create_length_header(payload_length, mask)


def _mask(key: bytes, data: bytes) -> bytes:
    if not data:
        return data
    size = len(data)
    stream = (key * (size // 4 + 1))[:size]
    return (int.from_bytes(data, "big") ^ int.from_bytes(stream, "big")).to_bytes(size, "big")


def _frame(opcode: int, payload: bytes, fin: int = 1, mask: bool = False) -> bytes:
    header = create_header(opcode, len(payload), fin, 0, 0, 0, mask)
    if not mask:
        return header + payload
    import os

    key = os.urandom(4)
    return header + key + _mask(key, payload)


def create_binary_frame(
    message: bytes, opcode: int = common.OPCODE_BINARY, fin: int = 1, mask: bool = False, frame_filters: Any = ()
) -> bytes:
    """A frame carrying ``message`` as given, with no extension or reserved bit."""
    return _frame(opcode, bytes(message), fin, mask)


def create_text_frame(
    message: str | bytes, opcode: int = common.OPCODE_TEXT, fin: int = 1, mask: bool = False, frame_filters: Any = ()
) -> bytes:
    """A frame carrying ``message`` encoded as UTF-8 (bytes are sent as given)."""
    payload = message.encode("utf-8") if isinstance(message, str) else bytes(message)
    return _frame(opcode, payload, fin, mask)


def _control_frame(opcode: int, body: bytes, mask: bool) -> bytes:
    if len(body) > _MAX_CONTROL_PAYLOAD:
        raise BadOperationException("Payload data size of control frames must be 125 bytes or less")
    return _frame(opcode, body, 1, mask)


def create_ping_frame(body: bytes, mask: bool = False, frame_filters: Any = ()) -> bytes:
    """A ping frame."""
    return _control_frame(common.OPCODE_PING, body, mask)


def create_pong_frame(body: bytes, mask: bool = False, frame_filters: Any = ()) -> bytes:
    """A pong frame."""
    return _control_frame(common.OPCODE_PONG, body, mask)


def create_close_frame(body: bytes, mask: bool = False, frame_filters: Any = ()) -> bytes:
    """A close frame with ``body`` (see :func:`create_closing_handshake_body`)."""
    return _control_frame(common.OPCODE_CLOSE, body, mask)


def create_closing_handshake_body(code: int | None, reason: str | bytes) -> bytes:
    """The payload of a close frame: empty for ``code=None``, else the code and the reason.

    :class:`BadOperationException` for a code outside 1000-4999 or one that is never sent
    (1005, 1006, 1015).
    """
    if code is None:
        return b""
    if not common.STATUS_NORMAL_CLOSURE <= code <= common.STATUS_USER_PRIVATE_MAX:
        raise BadOperationException("Status code is out of range")
    if code in (common.STATUS_NO_STATUS_RECEIVED, common.STATUS_ABNORMAL_CLOSURE, common.STATUS_TLS_HANDSHAKE):
        raise BadOperationException("Status code is reserved pseudo code")
    encoded = reason.encode("utf-8") if isinstance(reason, str) else bytes(reason)
    return struct.pack("!H", code) + encoded


def _default_passive_closing(request: Any) -> tuple[int, str]:
    return common.STATUS_NORMAL_CLOSURE, ""


class Stream:
    """Reads and writes frames for one connection through ``request.connection``.

    ``passive_closing(request)`` returns the ``(code, reason)`` of the reply to the client's
    close frame (the handler's ``web_socket_passive_closing_handshake``).
    ``max_message_bytes`` bounds one received message.
    """

    def __init__(
        self,
        request: Any,
        passive_closing: PassiveClosing | None = None,
        max_message_bytes: int | None = None,
        close_timeout: float | None = None,
        deflate: PerMessageDeflateExtensionProcessor | None = None,
    ) -> None:
        self._request = request
        self._deflate = deflate
        self._compressed = False  # the message being received came with RSV1 (permessage-deflate)
        self._compressing = False  # the message being sent in pieces is compressed
        self._passive_closing = passive_closing or _default_passive_closing
        self._max_message_bytes = max_message_bytes
        self._close_timeout = close_timeout
        request.client_terminated = False
        request.server_terminated = False
        self._fragments: list[bytes] = []
        self._fragment_opcode: int | None = None
        self._fragment_size = 0
        self._original_opcode: int | None = None
        self._sending_opcode: int | None = None  # of a message sent in pieces, until its end
        self._ping_queue: deque[bytes] = deque()

    # -- reading -----------------------------------------------------------------------

    def receive_bytes(self, length: int) -> bytes:
        """Exactly ``length`` bytes from the connection; ConnectionTerminatedException at its end."""
        chunks = []
        while length > 0:
            try:
                data = self._request.connection.read(length)
            except TimeoutError:
                raise ConnectionTerminatedException(f"Receiving {length} byte failed: timed out") from None
            except OSError as exc:
                raise ConnectionTerminatedException(f"Receiving {length} byte failed: {exc}") from None
            if not data:
                raise ConnectionTerminatedException(f"Receiving {length} byte failed. Peer closed connection")
            chunks.append(data)
            length -= len(data)
        return b"".join(chunks)

    def _receive_frame(self) -> tuple[int, bytes, int, int]:
        """``(opcode, payload, fin, rsv)`` of the next frame from the client."""
        first, second = self.receive_bytes(2)
        fin, rsv, opcode = first >> 7, (first >> 4) & 0x7, first & 0xF
        if not second & 0x80:
            raise InvalidFrameException("Mask bit on the received frame did'nt match masking configuration")
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", self.receive_bytes(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", self.receive_bytes(8))
            if length >> 63:
                raise InvalidFrameException("Extended payload length >= 2^63")
        if common.is_control_opcode(opcode) and length > _MAX_CONTROL_PAYLOAD:
            raise InvalidFrameException("Payload data size of control frames must be 125 bytes or less")
        limit = self._max_message_bytes
        if limit is not None and self._fragment_size + length > limit:
            raise MessageTooBigException(f"message over the limit of {limit} bytes")
        key = self.receive_bytes(4)
        return opcode, _mask(key, self.receive_bytes(length)), fin, rsv

    def receive_message(self) -> str | bytes | None:
        """The next message: ``str`` (text), ``bytes`` (binary), or ``None`` once the client closed.

        Pings are answered and pongs matched on the way. Raises
        :class:`BadOperationException` after ``None`` was returned once,
        :class:`InvalidFrameException`, :class:`UnsupportedFrameException`,
        :class:`InvalidUTF8Exception` or :class:`ConnectionTerminatedException`.
        """
        request = self._request
        if request.client_terminated:
            raise BadOperationException("Requested receive_message after receiving a closing handshake")
        while True:
            opcode, payload, fin, rsv = self._receive_frame()
            if rsv == 0b100 and self._deflate is not None and not common.is_control_opcode(opcode):
                self._compressed, rsv = True, 0  # this message is deflated
            if rsv:
                raise UnsupportedFrameException(f"Unsupported flag is set (rsv = {rsv:03b})")
            if common.is_control_opcode(opcode):
                if not fin:
                    raise InvalidFrameException("Control frames must not be fragmented")
                self._original_opcode = opcode
                if opcode == common.OPCODE_CLOSE:
                    self._process_close_message(payload)
                    return None
                if opcode == common.OPCODE_PING:
                    self._process_ping_message(payload)
                elif opcode == common.OPCODE_PONG:
                    self._process_pong_message(payload)
                else:
                    raise UnsupportedFrameException(f"Opcode {opcode} is not supported")
                continue
            message = self._assemble(opcode, payload, fin)
            if message is None:
                continue
            if self._compressed:
                message = self._inflate(message)
            opcode = self._original_opcode or 0
            if opcode == common.OPCODE_TEXT:
                try:
                    return message.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise InvalidUTF8Exception(exc) from None
            if opcode == common.OPCODE_BINARY:
                return message
            raise UnsupportedFrameException(f"Opcode {opcode} is not supported")

    def _assemble(self, opcode: int, payload: bytes, fin: int) -> bytes | None:
        if opcode == common.OPCODE_CONTINUATION:
            if self._fragment_opcode is None:
                raise InvalidFrameException("Received a continuation frame but fragmentation not started")
            self._fragments.append(payload)
            self._fragment_size += len(payload)
            if not fin:
                return None
            message = b"".join(self._fragments)
            self._original_opcode = self._fragment_opcode
            self._fragments, self._fragment_opcode, self._fragment_size = [], None, 0
            return message
        if self._fragment_opcode is not None:
            raise InvalidFrameException("New message started without terminating existing fragmentation")
        if not fin:
            self._fragment_opcode, self._fragments, self._fragment_size = opcode, [payload], len(payload)
            return None
        self._original_opcode = opcode
        return payload

    def _inflate(self, message: bytes) -> bytes:
        assert self._deflate is not None
        self._compressed = False
        try:
            return self._deflate.decompress(message, self._max_message_bytes)
        except OverflowError as exc:
            raise MessageTooBigException(str(exc)) from None
        except zlib.error as exc:
            raise InvalidFrameException(f"the deflated message is corrupt: {exc}") from None

    def _process_close_message(self, payload: bytes) -> None:
        request = self._request
        request.client_terminated = True
        if not payload:
            request.ws_close_code = common.STATUS_NO_STATUS_RECEIVED
        elif len(payload) == 1:
            raise InvalidFrameException("If a close frame has status code, the length of status code must be 2 octet")
        else:
            (request.ws_close_code,) = struct.unpack("!H", payload[:2])
            request.ws_close_reason = payload[2:].decode("utf-8", "replace")
        if request.server_terminated:
            return  # the reply to our own close frame
        code, reason = self._passive_closing(request)
        if code is None and reason:
            reason = ""  # a reason needs a code
        self._send_closing_handshake(code, "" if reason is None else reason)

    def _process_ping_message(self, payload: bytes) -> None:
        handler = getattr(self._request, "on_ping_handler", None)
        if handler:
            handler(self._request, payload)
            return
        self._write(create_pong_frame(payload))

    def _process_pong_message(self, payload: bytes) -> None:
        # A pong answers its ping; earlier pings it skipped are forgotten. An unsolicited one changes nothing.
        if payload in self._ping_queue:
            while self._ping_queue.popleft() != payload:
                pass
        handler = getattr(self._request, "on_pong_handler", None)
        if handler:
            handler(self._request, payload)

    def get_last_received_opcode(self) -> int | None:
        """The opcode of the message (or control frame) the last ``receive_message`` read."""
        return self._original_opcode

    # -- writing -----------------------------------------------------------------------

    def _write(self, data: bytes) -> None:
        self._request.connection.write(data)

    def send_message(self, message: str | bytes, end: bool = True, binary: bool = False) -> None:
        """Send ``message`` (text unless ``binary``), or a piece of it when ``end`` is false.

        A text message may be ``str`` or bytes (sent as given, even if not UTF-8).
        :class:`BadOperationException` after a close frame was sent, for ``str`` with
        ``binary=True``, or when the pieces of one message change type.
        """
        if self._request.server_terminated:
            raise BadOperationException("Requested send_message after sending out a closing handshake")
        if binary and isinstance(message, str):
            raise BadOperationException("Message for binary frame must not be instance of Unicode")
        kind = common.OPCODE_BINARY if binary else common.OPCODE_TEXT
        if self._sending_opcode is not None:
            if self._sending_opcode != kind:
                raise BadOperationException("Message types are different in frames for the same message")
            opcode = common.OPCODE_CONTINUATION
        else:
            opcode = kind
        self._sending_opcode = None if end else kind
        payload = message.encode("utf-8") if isinstance(message, str) else bytes(message)
        deflate = self._deflate
        if deflate is not None and (deflate.compress_outgoing or self._compressing):
            first = opcode != common.OPCODE_CONTINUATION
            self._compressing = not end
            # RSV1 marks a compressed message, on its first frame only.
            compressed = deflate.compress(payload, end)
            self._write(create_header(opcode, len(compressed), int(end), int(first), 0, 0, False) + compressed)
            return
        self._write(_frame(opcode, payload, int(end)))

    def send_ping(self, body: str | bytes = b"", binary: bool = False) -> None:
        """Send a ping; the client's pong is matched in a later ``receive_message``."""
        payload = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        self._write(create_ping_frame(payload))
        self._ping_queue.append(payload)

    def _send_closing_handshake(self, code: int | None, reason: str | bytes) -> None:
        frame = create_close_frame(create_closing_handshake_body(code, reason))
        self._request.server_terminated = True
        self._write(frame)

    def close_connection(
        self, code: int | None = common.STATUS_NORMAL_CLOSURE, reason: str | bytes = "", wait_response: bool = True
    ) -> None:
        """Send a close frame and, unless the code is 1001 or 1002, wait for the client's.

        Does nothing once a close frame was sent. ``code=None`` sends an empty close frame.
        The wait lasts the server's ``ws.close_timeout`` at most.
        """
        request = self._request
        if request.server_terminated:
            return
        if code is None:
            if reason:
                raise BadOperationException("close reason must not be specified if code is None")
            reason = ""
        elif not isinstance(reason, (str, bytes)):
            raise BadOperationException("close reason must be an instance of bytes or unicode")
        self._send_closing_handshake(code, reason)
        if code in (common.STATUS_GOING_AWAY, common.STATUS_PROTOCOL_ERROR) or not wait_response:
            return
        set_timeout = getattr(request.connection, "set_read_timeout", None)
        if set_timeout is not None:
            set_timeout(self._close_timeout)
        try:
            message = self.receive_message()
        finally:
            if set_timeout is not None:
                set_timeout(None)
        if message is not None:
            raise ConnectionTerminatedException("Didn't receive valid ack for closing handshake")
