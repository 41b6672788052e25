"""The stash for pages: ``/harness/stash`` (share links and a JSON API) and ``/harness/stash.js``.

A page cannot import Python, so the HTTP and HTTPS servers answer two built-in paths:

- ``GET /harness/stash?cap=TOKEN[&timeout=S]``: a share link (``stash.share(key)``) takes
  the value it names and answers it (``bytes`` as they are, ``str`` as text, else JSON);
  404 when there is no value, 403 when the link is forged, altered or expired.
- ``POST /harness/stash`` with a JSON body ``{"op": ..., ...}``: the operations of
  ``stash.js`` (``put``, ``take``, ``table.get`` ...), answered with JSON.

Who may call it: a page whose ``Origin`` is one of the harness's own HTTP(S) origins, with no
setup; anything else only with a capability (``stash.capability(...)``) in the body's
``cap`` (or the ``cap`` query parameter), and only within its scope. Everything else is 403.
Responses to a request with an ``Origin`` carry CORS headers for that origin (errors too, so
a page can read why it was refused); ``OPTIONS`` answers preflights.

>>> # in a page served by the harness:
>>> # <script src="/harness/stash.js"></script>
>>> # await stash.put(key, {seen: true}); const value = await stash.take(key, {timeout: 5});
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..http.request import Request
from ..http.response import Response
from ..stash.backend import StashBackend
from ..stash.capabilities import ENDPOINT_PATH, Capability, CapabilityRefused, verify
from ..stash.codec import CannotUnpickle
from ..stash.errors import StashError, StashUnavailable
from ..stash.keys import (
    RESERVED_TABLE_PREFIX,
    normalize_key,
    normalize_path,
    normalize_table_key,
    normalize_table_name,
    normalize_ttl,
)
from ..stash.runinfo import clock_now, run_info
from .context import ServerContext
from .stash_json import NotJSON, from_json_value, to_json, to_json_value

__all__ = ["SCRIPT_PATH", "serve_stash_endpoint"]

SCRIPT_PATH = ENDPOINT_PATH + ".js"
_SCRIPT_FILE = Path(__file__).with_name("stash.js")
MAX_TAKE_TIMEOUT = 300.0  # seconds; also kept under http.handler_timeout

# op -> (kind, permission the capability must grant)
_OPS = {
    "put": ("path", "put"),
    "take": ("path", "take"),
    "table.get": ("table", "read"),
    "table.keys": ("table", "read"),
    "table.items": ("table", "read"),
    "table.len": ("table", "read"),
    "table.set": ("table", "write"),
    "table.add": ("table", "write"),
    "table.delete": ("table", "write"),
    "table.pop": ("table", "write"),
    "table.append": ("table", "write"),
    "table.clear": ("table", "write"),
}


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def serve_stash_endpoint(request: Request, response: Response, context: ServerContext) -> bool:
    """Answer ``request`` if it is for the stash endpoint or script; ``False`` otherwise."""
    path = request.url_parts.path
    if path == SCRIPT_PATH:
        _serve_script(request, response)
        return True
    if path != ENDPOINT_PATH:
        return False
    raw_origin = request.headers.get(b"origin")
    origin = None if raw_origin is None else raw_origin.decode("latin-1")
    try:
        if request.method == "OPTIONS":
            _preflight(response)
        elif request.method == "GET":  # not HEAD: a share link's GET takes the value
            _serve_share_link(request, response, context)
        elif request.method == "POST":
            _serve_call(request, response, context, origin)
        else:
            raise _Refused(405, f"{request.method} is not allowed on {ENDPOINT_PATH} (GET a share link, or POST)")
    except _Refused as refused:
        response.set_error(refused.status, refused.message)
        if refused.status == 405:
            response.headers.set("Allow", "GET, POST, OPTIONS")
    except StashUnavailable as exc:
        response.set_error(503, str(exc))
    except CannotUnpickle as exc:  # the value stays in the stash (the backend put it back)
        response.set_error(409, f"the value cannot be sent to a page: {exc}")
    except Exception as exc:  # noqa: BLE001 - a fault here must not look like a handler's
        response.set_error(500, f"the stash endpoint failed: {type(exc).__name__}: {exc}")
    if origin is not None:
        response.headers.set("Access-Control-Allow-Origin", origin)
        response.headers.append("Vary", "Origin")
    response.headers.set("Cache-Control", "no-store")
    return True


def _serve_script(request: Request, response: Response) -> None:
    if request.method not in ("GET", "HEAD"):
        response.set_error(405, f"{request.method} is not allowed on {SCRIPT_PATH}")
        response.headers.set("Allow", "GET, HEAD")
        return
    response.headers.set("Content-Type", "text/javascript; charset=utf-8")
    response.headers.set("Access-Control-Allow-Origin", "*")
    response.headers.set("Cache-Control", "no-cache")
    response.content = _SCRIPT_FILE.read_bytes()


def _preflight(response: Response) -> None:
    response.status = 204
    response.headers.set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
    response.headers.set("Access-Control-Allow-Headers", "Content-Type")
    response.headers.set("Access-Control-Max-Age", "600")


def _backend(request: Request) -> StashBackend:
    return request.server.stash.backend


def _check_capability(backend: StashBackend, token: object) -> Capability:
    if not isinstance(token, str):
        raise _Refused(403, "the capability must be a string")
    try:
        secret = run_info(backend).secret
    except StashError as exc:
        raise _Refused(403, str(exc)) from None
    try:
        return verify(secret, token, clock_now(backend))
    except CapabilityRefused as exc:
        raise _Refused(403, str(exc)) from None


def _take_timeout(value: object, context: ServerContext) -> float | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    try:
        seconds = float(value) if isinstance(value, (str, int, float)) and not isinstance(value, bool) else math.nan
    except (ValueError, OverflowError):  # OverflowError: an int too large for a float
        seconds = math.nan
    if not (seconds >= 0 and math.isfinite(seconds)):
        raise _Refused(400, f"timeout must be a number of seconds >= 0, got {value!r}")
    limit = MAX_TAKE_TIMEOUT
    handler_timeout = context.config.http.handler_timeout
    if handler_timeout is not None:
        limit = min(limit, max(0.0, handler_timeout - 1.0))
    return min(seconds, limit)


def _serve_share_link(request: Request, response: Response, context: ServerContext) -> None:
    token = request.GET.first(b"cap", None)
    if token is None:
        raise _Refused(403, f"GET {ENDPOINT_PATH} needs a share link (?cap=...); pages POST their calls")
    backend = _backend(request)
    capability = _check_capability(backend, token.decode("ascii", "replace"))
    if capability.path is None or capability.key is None or "take" not in capability.ops:
        raise _Refused(403, "this capability is not a share link (it names no single value to take)")
    timeout = _take_timeout(request.GET.first(b"timeout", None), context)
    value = backend.take(capability.path, capability.key, timeout)
    if value is None:
        raise _Refused(404, "no value behind this share link (already taken, or not put yet)")
    if isinstance(value, (bytes, bytearray)):
        response.headers.set("Content-Type", "application/octet-stream")
        response.content = bytes(value)
    elif isinstance(value, str):
        response.headers.set("Content-Type", "text/plain; charset=utf-8")
        response.content = value.encode("utf-8")
    else:
        try:
            body = to_json(value)
        except NotJSON as exc:
            _put_back(backend, capability.path, capability.key, value)
            raise _Refused(409, f"the shared value cannot be sent to a page: {exc}") from None
        response.headers.set("Content-Type", "application/json")
        response.content = body


def _put_back(backend: StashBackend, path: str, key: str, value: object) -> None:
    """Return a taken value the endpoint could not encode (its TTL restarts from the default)."""
    try:
        backend.put(path, key, value)
    except StashError:
        pass  # a new value took its place meanwhile


def _own_origins(context: ServerContext) -> set[str]:
    origins = set()
    hosts = {context.config.host, *context.config.hostnames}
    for scheme in ("http", "https"):
        url = context.urls.get(scheme)
        if not url:
            continue
        port = urlsplit(url).port
        for host in hosts:
            shown = f"[{host}]" if ":" in host else host
            origins.add(f"{scheme}://{shown}:{port}")
    return origins


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON (a page's JSON.stringify never sends it)")


def _parse_call(body: bytes) -> dict[str, Any]:
    try:
        call = json.loads(body, parse_constant=_no_constant)
    except RecursionError:
        raise _Refused(400, "the body is nested too deeply") from None
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError too
        reason = str(exc) if "is not JSON" in str(exc) else 'it must be a JSON object like {"op": "put", ...}'
        raise _Refused(400, f"the body is not valid JSON: {reason}") from None
    if not isinstance(call, dict):
        raise _Refused(400, 'the body must be a JSON object like {"op": "put", ...}')
    return call


def _serve_call(request: Request, response: Response, context: ServerContext, origin: str | None) -> None:
    call = _parse_call(request.body)
    op = call.get("op")
    if not isinstance(op, str) or op not in _OPS:
        raise _Refused(400, f"unknown op {op!r}; expected one of {', '.join(sorted(_OPS))}")
    kind, permission = _OPS[op]
    backend = _backend(request)
    token = call.get("cap", request.GET.first(b"cap", None))
    if isinstance(token, bytes):
        token = token.decode("ascii", "replace")
    capability = None
    if token is not None:
        capability = _check_capability(backend, token)
    elif origin is None or origin not in _own_origins(context):
        who = "a request without an Origin" if origin is None else f"a page on {origin}"
        raise _Refused(403, f"{who} needs a capability (stash.capability(...)) to use {ENDPOINT_PATH}")
    try:
        result = _dispatch(op, kind, permission, call, backend, capability, context)
    except (ValueError, TypeError) as exc:
        raise _Refused(413 if "over the limit" in str(exc) else 400, str(exc)) from None
    except StashError as exc:
        if isinstance(exc, StashUnavailable):
            raise
        raise _Refused(409, str(exc)) from None
    response.headers.set("Content-Type", "application/json")
    response.content = json.dumps(result, separators=(",", ":"), allow_nan=False)


def _dispatch(
    op: str,
    kind: str,
    permission: str,
    call: dict[str, Any],
    backend: StashBackend,
    capability: Capability | None,
    context: ServerContext,
) -> dict[str, Any]:
    ttl = normalize_ttl(call.get("ttl"))
    if kind == "path":
        path = normalize_path(call.get("path"))
        key = normalize_key(call.get("key"))
        if capability is not None and not capability.allows(permission, path=path, key=key):
            raise _Refused(403, f"the capability allows {capability.describe()}, not {op} of key {key} at {path!r}")
        if op == "put":
            if "value" not in call or call["value"] is None:
                raise _Refused(400, "put needs a non-null value")
            backend.put(path, key, from_json_value(call["value"]), ttl)
            return {"ok": True}
        value = backend.take(path, key, _take_timeout(call.get("timeout"), context))
        return _found(value is not None, value, lambda: _put_back(backend, path, key, value))
    table = normalize_table_name(call.get("table"))
    if table.startswith(RESERVED_TABLE_PREFIX):
        raise _Refused(403, f"tables named {RESERVED_TABLE_PREFIX}* belong to the harness; pages cannot reach them")
    if capability is not None and not capability.allows(permission, table=table):
        raise _Refused(403, f"the capability allows {capability.describe()}, not {op} on table {table!r}")
    name = op.removeprefix("table.")
    if name in ("keys", "items"):
        pattern = call.get("pattern", "*")
        if not isinstance(pattern, str):
            raise _Refused(400, "pattern must be a string")
        if name == "keys":
            return {"keys": backend.table_keys(table, pattern)}
        try:
            return {"items": [[key, to_json_value(value)] for key, value in backend.table_items(table, pattern)]}
        except NotJSON as exc:
            raise _Refused(409, f"a value of table {table!r} cannot be sent to a page: {exc}") from None
    if name == "len":
        return {"length": backend.table_len(table)}
    if name == "clear":
        return {"count": backend.table_clear(table)}
    key = normalize_table_key(call.get("key"))
    if name == "get":
        found, value = backend.table_get(table, key)
        return _found(found, value, None)
    if name == "delete":
        return {"found": backend.table_delete(table, key)}
    if name == "pop":
        found, value = backend.table_pop(table, key)
        return _found(found, value, lambda: backend.table_cas(table, key, None, value, None))  # unless rewritten
    field = "item" if name == "append" else "value"
    if field not in call:
        raise _Refused(400, f"{op} needs {'an' if field == 'item' else 'a'} {field}")
    value = from_json_value(call[field])
    if name == "append":
        return {"length": backend.table_append(table, key, value, ttl)}
    if name == "add":
        return {"ok": backend.table_cas(table, key, None, value, ttl)}
    backend.table_set(table, key, value, ttl)
    return {"ok": True}


def _found(found: bool, value: Any, undo: Callable[[], object] | None) -> dict[str, Any]:
    """The reply to a read: the value as JSON; ``undo()`` puts a value a page cannot read back (409)."""
    if not found:
        return {"found": False}
    try:
        return {"found": True, "value": to_json_value(value)}
    except NotJSON as exc:
        if undo is not None:
            undo()
        raise _Refused(409, f"the value cannot be sent to a page: {exc}") from None
