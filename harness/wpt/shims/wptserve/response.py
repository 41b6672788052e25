"""``wptserve.response``: the response classes, for handlers that name them."""

from __future__ import annotations

from harness.http.response import Response, ResponseHeaders, ResponseWriter

__all__ = ["Response", "ResponseHeaders", "ResponseWriter"]
