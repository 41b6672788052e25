"""``wptserve.request``: the request classes, for handlers that name them."""

from __future__ import annotations

from harness.http.datastructures import Cookies, CookieValue, MultiDict, RequestHeaders
from harness.http.request import Authentication, Request

__all__ = ["Authentication", "CookieValue", "Cookies", "MultiDict", "Request", "RequestHeaders"]
