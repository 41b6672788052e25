"""Stash values as JSON for pages: what ``/harness/stash`` and ``stash.js`` exchange.

JSON's own types map to themselves (a tuple becomes a list); ``bytes`` travel as
``{"$bytes": "<base64>"}`` (``stash.js`` turns that into a ``Uint8Array`` and back). Any
other value (a set, an object, NaN) cannot reach a page: :class:`NotJSON` names it.

>>> to_json({"a": (1, b"\\x00")})
'{"a":[1,{"$bytes":"AA=="}]}'
>>> from_json_value({"$bytes": "AA=="})
b'\\x00'
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from typing import Any

__all__ = ["NotJSON", "from_json_value", "to_json", "to_json_value"]

_MAX_DEPTH = 100


class NotJSON(ValueError):
    """A stash value with no JSON form for pages."""


def to_json_value(value: Any, depth: int = 0) -> Any:
    """``value`` as plain JSON data; :class:`NotJSON` names what does not fit."""
    if depth > _MAX_DEPTH:
        raise NotJSON("the value is nested too deeply for JSON")
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise NotJSON(f"{value!r} has no JSON form")
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, (list, tuple)):
        return [to_json_value(item, depth + 1) for item in value]
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise NotJSON(f"a dict key of type {type(key).__name__} has no JSON form (keys must be str)")
            out[key] = to_json_value(item, depth + 1)
        return out
    raise NotJSON(f"a value of type {type(value).__qualname__} has no JSON form")


def to_json(value: Any) -> str:
    """:func:`to_json_value`, serialised compactly."""
    return json.dumps(to_json_value(value), separators=(",", ":"), allow_nan=False)


def from_json_value(data: Any, depth: int = 0) -> Any:
    """Decode JSON data from a page: ``{"$bytes": ...}`` objects become ``bytes``.

    :class:`NotJSON` (a :class:`ValueError`) for bad base64 and for nesting deeper than
    :func:`to_json_value` could send back.
    """
    if depth > _MAX_DEPTH:
        raise NotJSON("the value is nested too deeply for JSON")
    if isinstance(data, list):
        return [from_json_value(item, depth + 1) for item in data]
    if isinstance(data, dict):
        if len(data) == 1 and "$bytes" in data and isinstance(data["$bytes"], str):
            try:
                return base64.b64decode(data["$bytes"], validate=True)
            except (binascii.Error, ValueError):
                raise NotJSON("a {$bytes} value is not valid base64") from None
        return {key: from_json_value(item, depth + 1) for key, item in data.items()}
    return data
