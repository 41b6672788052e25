"""permessage-deflate (RFC 7692) as pywebsocket3 offers it, on by default for every handler.

A client offering ``permessage-deflate`` gets it, as from pywebsocket3: the first offer whose
parameters are all known (``server_max_window_bits``, ``server_no_context_takeover``,
``client_max_window_bits`` without a value) is accepted, and the reply echoes the server
parameters. A handler turns it off with ``request.ws_extension_processors = []`` in
``web_socket_do_extra_handshake`` (as wpt's ``echo_wsh.py`` does), or tunes the processor
found there (``set_client_no_context_takeover(True)``, ``disable_outgoing_compression()``).
"""

from __future__ import annotations

import zlib

from .common import ExtensionParameter

__all__ = ["PerMessageDeflateExtensionProcessor", "get_extension_processor"]

_SERVER_MAX_WINDOW_BITS = "server_max_window_bits"
_SERVER_NO_CONTEXT_TAKEOVER = "server_no_context_takeover"
_CLIENT_MAX_WINDOW_BITS = "client_max_window_bits"
_CLIENT_NO_CONTEXT_TAKEOVER = "client_no_context_takeover"
_FLUSH_TAIL = b"\x00\x00\xff\xff"


def _window_bits(value: str | None) -> int:
    bits = int(value) if value is not None and value.isdigit() else -1
    if value != str(bits) or not 8 <= bits <= 15:
        raise ValueError(f"invalid window bits {value!r}")
    return bits


class PerMessageDeflateExtensionProcessor:
    """One ``permessage-deflate`` offer: whether it is accepted, and the message codec once it is."""

    def __init__(self, request: ExtensionParameter) -> None:
        self._request = request
        self._active = True
        self._client_max_window_bits: int | None = None
        self._client_no_context_takeover = False
        self._bfinal = False
        self.compress_outgoing = True
        self._window_bits = zlib.MAX_WBITS
        self._no_context_takeover = False
        self._deflater: zlib._Compress | None = None
        self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)

    def name(self) -> str:
        """``"deflate"``, as pywebsocket3 names it."""
        return "deflate"

    def request(self) -> ExtensionParameter:
        """The client's offer."""
        return self._request

    def is_active(self) -> bool:
        """Whether this offer may still be accepted."""
        return self._active

    def set_active(self, active: bool) -> None:
        """Accept (``True``) or decline this offer."""
        self._active = active

    def check_consistency_with_other_processors(self, processors: list[object]) -> None:
        """Nothing to check: permessage-deflate is the only extension."""

    def set_client_max_window_bits(self, value: int | None) -> None:
        """Ask the client for this window size (the offer must allow it, or it is declined)."""
        self._client_max_window_bits = value

    def set_client_no_context_takeover(self, value: bool) -> None:
        """Ask the client to reset its compressor after each message."""
        self._client_no_context_takeover = value

    def set_bfinal(self, value: bool) -> None:
        """End each outgoing message with a final deflate block (and start the next afresh)."""
        self._bfinal = value

    def enable_outgoing_compression(self) -> None:
        """Compress what the handler sends (the default)."""
        self.compress_outgoing = True

    def disable_outgoing_compression(self) -> None:
        """Send the handler's messages uncompressed (received ones are still inflated)."""
        self.compress_outgoing = False

    def get_extension_response(self) -> ExtensionParameter | None:
        """The accepted extension for the 101, or ``None`` (and inactive) if declined."""
        if not self._active:
            return None
        response = self._response()
        if response is None:
            self._active = False
        return response

    def _response(self) -> ExtensionParameter | None:
        offer = self._request
        known = (_SERVER_MAX_WINDOW_BITS, _SERVER_NO_CONTEXT_TAKEOVER, _CLIENT_MAX_WINDOW_BITS)
        if any(name not in known for name in offer.get_parameter_names()):
            return None
        server_bits = None
        if offer.has_parameter(_SERVER_MAX_WINDOW_BITS):
            try:
                server_bits = _window_bits(offer.get_parameter_value(_SERVER_MAX_WINDOW_BITS))
            except ValueError:
                return None
        no_takeover = offer.has_parameter(_SERVER_NO_CONTEXT_TAKEOVER)
        if no_takeover and offer.get_parameter_value(_SERVER_NO_CONTEXT_TAKEOVER) is not None:
            return None
        client_bits_allowed = offer.has_parameter(_CLIENT_MAX_WINDOW_BITS)
        if client_bits_allowed and offer.get_parameter_value(_CLIENT_MAX_WINDOW_BITS) is not None:
            return None
        response = ExtensionParameter(offer.name())
        if server_bits is not None:
            response.add_parameter(_SERVER_MAX_WINDOW_BITS, str(server_bits))
            self._window_bits = max(server_bits, 9)  # zlib's raw deflate needs at least 9
        if no_takeover:
            response.add_parameter(_SERVER_NO_CONTEXT_TAKEOVER, None)
            self._no_context_takeover = True
        if self._client_max_window_bits is not None:
            if not client_bits_allowed:
                return None
            response.add_parameter(_CLIENT_MAX_WINDOW_BITS, str(self._client_max_window_bits))
        if self._client_no_context_takeover:
            response.add_parameter(_CLIENT_NO_CONTEXT_TAKEOVER, None)
        return response

    # -- the codec, once accepted ---------------------------------------------------------

    def compress(self, data: bytes, end: bool) -> bytes:
        """A piece of an outgoing message, deflated; the message's last piece when ``end``."""
        if self._deflater is None:
            self._deflater = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -self._window_bits)
        if self._bfinal:
            result = self._deflater.compress(data) + self._deflater.flush(zlib.Z_FINISH) + b"\x00"
            self._deflater = None
            return result
        result = self._deflater.compress(data) + self._deflater.flush(zlib.Z_SYNC_FLUSH)
        if end:
            result = result[: -len(_FLUSH_TAIL)]
            if self._no_context_takeover:
                self._deflater = None
        return result

    def decompress(self, message: bytes, limit: int | None) -> bytes:
        """A received compressed message, inflated; ``ValueError`` past ``limit`` bytes or if corrupt."""
        data = self._inflater.decompress(message + _FLUSH_TAIL, 0 if limit is None else limit + 1)
        if limit is not None and len(data) > limit:
            raise OverflowError(f"message over the limit of {limit} bytes once inflated")
        if self._inflater.unused_data:  # a final block ended the stream: the next message starts afresh
            self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        return data


def get_extension_processor(extension_request: ExtensionParameter) -> PerMessageDeflateExtensionProcessor | None:
    """The processor for an offered extension, or ``None`` for one we do not know (ignored)."""
    if extension_request.name() == "permessage-deflate":
        return PerMessageDeflateExtensionProcessor(extension_request)
    return None
