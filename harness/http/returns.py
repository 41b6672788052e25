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

from typing import Any

from .response import Response, check_content

__all__ = ["UnsupportedReturn", "apply_return_value"]


class UnsupportedReturn(TypeError):
    """``main`` returned something that is not a response."""


def _check_body(body: Any, what: str) -> Any:
    """The body by the transport's own rule (:func:`check_content`), with a hint for ``main``."""
    try:
        return check_content(body, what)
    except TypeError:
        raise UnsupportedReturn(
            f"{what} is {type(body).__name__}; a handler returns str, bytes, an iterable of them, "
            "(headers, body), (status, headers, body) or None"
        ) from None


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
