"""``wptserve.utils``: the helpers wpt handlers import."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.http.request import HTTPException

__all__ = ["HTTPException", "get_error_cause", "invert_dict", "isomorphic_decode", "isomorphic_encode"]


def isomorphic_decode(s: str | bytes) -> str:
    """Bytes as text, one character per byte (latin-1); text unchanged."""
    if isinstance(s, str):
        return s
    if isinstance(s, bytes):
        return s.decode("iso-8859-1")
    raise TypeError(f"expected str or bytes, got {s!r}")


def isomorphic_encode(s: str | bytes) -> bytes:
    """Text as bytes, one byte per character (latin-1); bytes unchanged."""
    if isinstance(s, bytes):
        return s
    if isinstance(s, str):
        return s.encode("iso-8859-1")
    raise TypeError(f"expected str or bytes, got {s!r}")


def invert_dict(mapping: Mapping[Any, list[Any]]) -> dict[Any, Any]:
    """``{key: [values]}`` as ``{value: key}``; a value under two keys is a ValueError."""
    inverted: dict[Any, Any] = {}
    for key, values in mapping.items():
        for value in values:
            if value in inverted:
                raise ValueError(f"{value!r} appears under more than one key")
            inverted[value] = key
    return inverted


def get_error_cause(exc: BaseException) -> BaseException:
    """The exception ``exc`` was raised from (or while handling), else ``exc``."""
    if exc.__cause__ is not None:
        return exc.__cause__
    if exc.__context__ is not None:
        return exc.__context__
    return exc
