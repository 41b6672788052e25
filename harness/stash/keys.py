"""Normalising the arguments of stash operations: keys, paths and timeouts.

Every spelling of one UUID names one entry, and a path given as ``str`` or ``bytes`` names
the same scope, so these functions turn each argument into one canonical ``str`` (or raise
an exception that names the bad argument).

>>> normalize_key("{6F0D3C3A-9C1B-4A86-8F61-1C4E8B5A2D10}")
'6f0d3c3a-9c1b-4a86-8f61-1c4e8b5a2d10'
>>> normalize_path(b"/beacon.py")
'/beacon.py'
"""

from __future__ import annotations

import math
import re
import threading
import uuid
from typing import Union

__all__ = [
    "MAX_TABLE_KEY",
    "MAX_TABLE_NAME",
    "KeyLike",
    "PathLike",
    "normalize_key",
    "normalize_path",
    "normalize_table_key",
    "normalize_table_name",
    "normalize_timeout",
    "normalize_ttl",
]

MAX_TABLE_NAME = 256  # characters
MAX_TABLE_KEY = 4096  # characters
RESERVED_TABLE_PREFIX = "harness/"  # tables the harness itself keeps (run information)

KeyLike = Union[str, bytes, uuid.UUID]
PathLike = Union[str, bytes]

# uuid.UUID strips any number of "urn:", "uuid:" and "-", so a spelling has no natural
# length limit; anything longer than this is refused before parsing.
_MAX_KEY_TEXT = 64
_CANONICAL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")


def normalize_key(key: object) -> str:
    """Return the canonical (lower-case, hyphenated) spelling of a UUID key.

    Accepts ``str``, ``bytes`` and :class:`uuid.UUID`; raises :class:`ValueError` naming
    the key when it is not a UUID, :class:`TypeError` when it has another type.
    """
    if isinstance(key, uuid.UUID):
        return str(key)
    if isinstance(key, bytes):
        try:
            text = key.decode("ascii")
        except UnicodeDecodeError:
            raise ValueError(f"stash key {key!r} is not a UUID") from None
    elif isinstance(key, str):
        text = key
    else:
        raise TypeError(f"stash key must be a UUID as str or bytes, not {type(key).__name__}: {key!r}")
    if _CANONICAL.match(text):  # the spelling uuid4() produces: nothing to do
        return text
    if len(text) > _MAX_KEY_TEXT:
        raise ValueError(f"stash key {key[:_MAX_KEY_TEXT]!r}... is not a UUID")
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise ValueError(f"stash key {key!r} is not a UUID") from None


def normalize_path(path: object) -> str:
    """Return a stash path as ``str``; ``bytes`` are decoded as UTF-8.

    Raises :class:`TypeError` naming the value for any other type and :class:`ValueError`
    for bytes that are not UTF-8.
    """
    if isinstance(path, str):
        return path
    if isinstance(path, bytes):
        try:
            return path.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"stash path {path!r} is not valid UTF-8") from None
    raise TypeError(f"stash path must be str or bytes, not {type(path).__name__}: {path!r}")


def _seconds(value: object, what: str) -> float:
    """``value`` as a float (an int too large for one: +/-inf); :class:`TypeError` unless a real number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} must be a number of seconds or None, not {type(value).__name__}: {value!r}")
    try:
        return float(value)
    except OverflowError:  # an int too large for a float
        return math.inf if value > 0 else -math.inf


def normalize_timeout(timeout: object) -> float | None:
    """Validate the ``timeout`` of a blocking take; ``None`` means "do not wait".

    Accepts a non-negative real number (``math.inf`` waits without limit); raises
    :class:`TypeError` for a non-number (``bool`` included) and :class:`ValueError` for a
    negative number or NaN.
    """
    if timeout is None:
        return None
    value = _seconds(timeout, "timeout")
    if math.isnan(value) or value < 0:
        raise ValueError(f"timeout must be a non-negative number of seconds, got {timeout!r}")
    # Longer than the platform can wait for means "no limit".
    return math.inf if value > threading.TIMEOUT_MAX else value


def normalize_ttl(ttl: object) -> float | None:
    """Validate a TTL in seconds: ``None`` (the default), a number > 0, or ``math.inf`` (never).

    Raises :class:`TypeError` for a non-number (``bool`` included) and :class:`ValueError`
    for zero, a negative number or NaN.

    >>> normalize_ttl(30)
    30.0
    """
    if ttl is None:
        return None
    value = _seconds(ttl, "ttl")
    if not value > 0:  # NaN too
        raise ValueError(f"ttl must be a positive number of seconds (math.inf: never expires), got {ttl!r}")
    return value


def _text(value: object, what: str, limit: int) -> str:
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"{what} {value!r} is not valid UTF-8") from None
    if not isinstance(value, str):
        raise TypeError(f"{what} must be str or bytes, not {type(value).__name__}: {value!r}")
    if len(value) > limit:
        raise ValueError(f"{what} {value[:40]!r}... is longer than {limit} characters")
    return value


def normalize_table_name(name: object) -> str:
    """A table name as ``str``: non-empty, at most :data:`MAX_TABLE_NAME` characters."""
    text = _text(name, "table name", MAX_TABLE_NAME)
    if not text:
        raise ValueError("a table name cannot be empty")
    return text


def normalize_table_key(key: object) -> str:
    """A table key as ``str`` (any text, ``bytes`` as UTF-8), at most :data:`MAX_TABLE_KEY` characters."""
    return _text(key, "table key", MAX_TABLE_KEY)
