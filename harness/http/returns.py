"""Turning what a handler's ``main`` returns into the response (wptserve's conventions).

=====================================  ==============================================
``main`` returns                       the response
=====================================  ==============================================
``None``                               whatever the handler set on ``response``
``str`` or ``bytes``                   that body
``(headers, body)``                    headers appended, then the body
``(status, headers, body)``            status (int or ``(int, message)``) too
an iterable (generator, list) or file  streamed as the body
=====================================  ==============================================

>>> from harness.http.response import Response
>>> response = Response()
>>> apply_return_value(response, (201, [("X-Id", "7")], "made"))
>>> response.status, response.headers.get("x-id"), response.content
((201, None), [b'7'], 'made')
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .response import Response

__all__ = ["UnsupportedReturn", "apply_return_value"]


class UnsupportedReturn(TypeError):
    """``main`` returned something that is not a response."""


def _check_body(body: Any, what: str) -> Any:
    if isinstance(body, (str, bytes, bytearray)):
        return bytes(body) if isinstance(body, bytearray) else body
    if hasattr(body, "read"):
        return body
    if isinstance(body, Iterable) and not isinstance(body, dict):
        return body
    raise UnsupportedReturn(
        f"{what} is {type(body).__name__}; a handler returns str, bytes, an iterable of them, "
        "(headers, body), (status, headers, body) or None"
    )


def apply_return_value(response: Response, value: Any) -> None:
    """Set ``response`` from ``value``; :class:`UnsupportedReturn` names what was wrong."""
    if value is None:
        return
    if isinstance(value, tuple):
        if len(value) == 3:
            status, headers, body = value
            response.status = status
        elif len(value) == 2:
            headers, body = value
        else:
            raise UnsupportedReturn(
                f"main returned a tuple of {len(value)} items; expected (headers, body) or (status, headers, body)"
            )
        if headers is not None:
            response.headers.update(headers)
        response.content = _check_body(body, "the body in main's returned tuple")
        return
    response.content = _check_body(value, "main's return value")
