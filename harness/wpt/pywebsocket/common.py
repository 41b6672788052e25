"""Constants pywebsocket handlers read: opcodes, close status codes, header names.

>>> STATUS_NORMAL_CLOSURE, OPCODE_TEXT     # common.STATUS_NORMAL_CLOSURE in a handler file
(1000, 1)
"""

from __future__ import annotations

VERSION_HYBI13 = 13
VERSION_HYBI_LATEST = VERSION_HYBI13

DEFAULT_WEB_SOCKET_PORT = 80
DEFAULT_WEB_SOCKET_SECURE_PORT = 443
WEB_SOCKET_SCHEME = "ws"
WEB_SOCKET_SECURE_SCHEME = "wss"

OPCODE_CONTINUATION = 0x0
OPCODE_TEXT = 0x1
OPCODE_BINARY = 0x2
OPCODE_CLOSE = 0x8
OPCODE_PING = 0x9
OPCODE_PONG = 0xA

WEBSOCKET_ACCEPT_UUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

UPGRADE_HEADER = "Upgrade"
WEBSOCKET_UPGRADE_TYPE = "websocket"
CONNECTION_HEADER = "Connection"
UPGRADE_CONNECTION_TYPE = "Upgrade"
HOST_HEADER = "Host"
ORIGIN_HEADER = "Origin"
SEC_WEBSOCKET_KEY_HEADER = "Sec-WebSocket-Key"
SEC_WEBSOCKET_ACCEPT_HEADER = "Sec-WebSocket-Accept"
SEC_WEBSOCKET_VERSION_HEADER = "Sec-WebSocket-Version"
SEC_WEBSOCKET_PROTOCOL_HEADER = "Sec-WebSocket-Protocol"
SEC_WEBSOCKET_EXTENSIONS_HEADER = "Sec-WebSocket-Extensions"
PERMESSAGE_DEFLATE_EXTENSION = "permessage-deflate"

STATUS_NORMAL_CLOSURE = 1000
STATUS_GOING_AWAY = 1001
STATUS_PROTOCOL_ERROR = 1002
STATUS_UNSUPPORTED_DATA = 1003
STATUS_NO_STATUS_RECEIVED = 1005
STATUS_ABNORMAL_CLOSURE = 1006
STATUS_INVALID_FRAME_PAYLOAD_DATA = 1007
STATUS_POLICY_VIOLATION = 1008
STATUS_MESSAGE_TOO_BIG = 1009
STATUS_MANDATORY_EXTENSION = 1010
STATUS_INTERNAL_ENDPOINT_ERROR = 1011
STATUS_TLS_HANDSHAKE = 1015
STATUS_USER_REGISTERED_BASE = 3000
STATUS_USER_REGISTERED_MAX = 3999
STATUS_USER_PRIVATE_BASE = 4000
STATUS_USER_PRIVATE_MAX = 4999
# Older spellings handlers still use.
STATUS_NORMAL = STATUS_NORMAL_CLOSURE
STATUS_UNSUPPORTED = STATUS_UNSUPPORTED_DATA
STATUS_CODE_NOT_AVAILABLE = STATUS_NO_STATUS_RECEIVED
STATUS_ABNORMAL_CLOSE = STATUS_ABNORMAL_CLOSURE
STATUS_INVALID_FRAME_PAYLOAD = STATUS_INVALID_FRAME_PAYLOAD_DATA
STATUS_MANDATORY_EXT = STATUS_MANDATORY_EXTENSION

HTTP_STATUS_BAD_REQUEST = 400
HTTP_STATUS_FORBIDDEN = 403
HTTP_STATUS_NOT_FOUND = 404


def is_control_opcode(opcode: int) -> bool:
    """Whether ``opcode`` is a control frame's (close, ping, pong and the reserved 0xB-0xF)."""
    return (opcode >> 3) == 1


class ExtensionParsingException(Exception):
    """A ``Sec-WebSocket-Extensions`` header that does not parse."""


class ExtensionParameter:
    """One extension of a ``Sec-WebSocket-Extensions`` header: its name and ``(name, value)`` parameters."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._parameters: list[tuple[str, str | None]] = []

    def name(self) -> str:
        """The extension's name (``permessage-deflate``)."""
        return self._name

    def add_parameter(self, name: str, value: str | None) -> None:
        """Add a parameter (``value`` ``None`` for one without a value)."""
        self._parameters.append((name, value))

    def get_parameters(self) -> list[tuple[str, str | None]]:
        """The parameters, in order."""
        return self._parameters

    def get_parameter_names(self) -> list[str]:
        """The parameters' names, in order."""
        return [name for name, _value in self._parameters]

    def has_parameter(self, name: str) -> bool:
        """Whether the parameter ``name`` is there."""
        return any(param == name for param, _value in self._parameters)

    def get_parameter_value(self, name: str) -> str | None:
        """The first value of parameter ``name`` (``None`` if it has none or is absent)."""
        return next((value for param, value in self._parameters if param == name), None)


_TOKEN_CHARS = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _is_token(text: str) -> bool:
    return bool(text) and all(char in _TOKEN_CHARS for char in text)


def _parameter_value(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] == '"':
        inner = text[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        if _is_token(inner):
            return inner
    elif _is_token(text):
        return text
    raise ExtensionParsingException(f"invalid extension parameter value {text!r}")


def parse_extensions(data: str) -> list[ExtensionParameter]:
    """The extensions a ``Sec-WebSocket-Extensions`` value lists; :class:`ExtensionParsingException` if malformed.

    >>> [e.name() for e in parse_extensions("permessage-deflate; client_max_window_bits, x")]
    ['permessage-deflate', 'x']
    """
    extensions = []
    for item in data.split(","):
        parts = [part.strip(" \t") for part in item.split(";")]
        if not parts[0] and len(parts) == 1:
            continue  # empty list items are allowed
        if not _is_token(parts[0]):
            raise ExtensionParsingException(f"invalid extension name {parts[0]!r}")
        extension = ExtensionParameter(parts[0])
        for part in parts[1:]:
            name, equals, value = (text.strip(" \t") for text in part.partition("="))
            if not _is_token(name):
                raise ExtensionParsingException(f"invalid parameter {part!r} for {parts[0]!r}")
            extension.add_parameter(name, _parameter_value(value) if equals else None)
        extensions.append(extension)
    if not extensions:
        raise ExtensionParsingException("No valid extension entry found")
    return extensions


def format_extension(extension: ExtensionParameter) -> str:
    """One extension as a header value item: ``name; param=value; flag``."""
    items = [extension.name()]
    for name, value in extension.get_parameters():
        items.append(name if value is None else f"{name}={value if _is_token(value) else chr(34) + value + chr(34)}")
    return "; ".join(items)


def format_extensions(extension_list: list[ExtensionParameter]) -> str:
    """Extensions as a ``Sec-WebSocket-Extensions`` value."""
    return ", ".join(format_extension(extension) for extension in extension_list)
