"""``wptserve.handlers``: ``json_handler``, ``handler`` and the function-handler classes.

>>> from wptserve.handlers import json_handler        # in a handler file   # doctest: +SKIP
>>> @json_handler
... def main(request, response):
...     return {"method": request.method}
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from harness.http.request import HTTPException
from harness.http.response import Response
from harness.http.returns import apply_return_value
from harness.wpt.pipes import apply_pipes, pipe_string_for

__all__ = ["FunctionHandler", "HTTPException", "JsonHandler", "handler", "json_handler"]


def wrap_pipeline(path: str, request: Any, response: Response) -> Response:
    """Apply the pipes wptserve would for ``path`` (``.sub.``) and the ``?pipe=`` query."""
    pipes = pipe_string_for(path, request.url_parts.query)
    if pipes:
        apply_pipes(pipes, request, response)
    return response


class FunctionHandler:
    """Wraps ``func(request, response)``: what it returns becomes the response, then ``?pipe=`` applies."""

    def __init__(self, func: Callable[..., Any]) -> None:
        self.func = func

    def __call__(self, request: Any, response: Response) -> None:
        value = self.func(request, response)
        if value is not None:
            apply_return_value(response, value)
            wrap_pipeline("", request, response)


def handler(func: Callable[..., Any]) -> FunctionHandler:
    """Decorator form of :class:`FunctionHandler`."""
    return FunctionHandler(func)


class JsonHandler:
    """Wraps ``func(request, response)`` whose return value (or its last item) is sent as JSON."""

    def __init__(self, func: Callable[..., Any]) -> None:
        self.func = func

    def __call__(self, request: Any, response: Response) -> None:
        FunctionHandler(self.handle_request)(request, response)

    def handle_request(self, request: Any, response: Response) -> Any:
        value = self.func(request, response)
        response.headers.set("Content-Type", "application/json")
        if isinstance(value, tuple):
            items = list(value)
            body = json.dumps(items[-1])
            result: Any = (*items[:-1], body)
        else:
            body = json.dumps(value)
            result = body
        response.headers.set("Content-Length", len(body))
        return result


def json_handler(func: Callable[..., Any]) -> JsonHandler:
    """Decorator: ``main`` returns a JSON-serialisable value (or ``(status, headers, value)``)."""
    return JsonHandler(func)
