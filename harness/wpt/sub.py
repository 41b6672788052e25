"""``.sub.`` substitution: wptserve's ``{{...}}`` template language, our implementation.

``{{host}}``, ``{{domains[www]}}``, ``{{hosts[alt][www1]}}``, ``{{ports[https][0]}}``,
``{{location[host]}}``, ``{{headers[user-agent]}}``, ``{{header_or_default(X-Test,
none)}}``, ``{{GET[id]}}``, ``{{uuid()}}``, ``{{url_base}}``, ``{{file_hash(sha256,
path)}}``, ``{{fs_path(path)}}`` and variables (``{{$id:uuid()}}`` then ``{{$id}}``). Each
value is HTML-escaped for markup files (``escape_type="html"``) or left as is (``"none"``).
A key that does not exist is a :class:`SubstitutionError` naming it (the response is a 500).

>>> template(request, b"<a href='//{{host}}:{{ports[http][0]}}/'>")   # doctest: +SKIP
b"<a href='//localhost:8000/'>"
"""

from __future__ import annotations

import base64
import hashlib
import html
import os
import re
import uuid
from collections.abc import Callable
from typing import Any

__all__ = ["SubstitutionError", "escape_type_for", "template"]

_PLACEHOLDER = re.compile(rb"{{([^}]*)}}")
# One token of a placeholder: "$name:" (assign), an identifier, "[index]", "(arguments)".
_TOKEN = re.compile(rb"(?P<var>\$\w+:)|(?P<ident>\$?\w+)|(?P<index>\[[^\]]*\])|(?P<args>\([^)]*\))")
_MARKUP_EXTENSIONS = frozenset({".html", ".htm", ".xht", ".xhtml", ".xml", ".svg"})
HASH_ALGORITHMS = ("md5", "sha1", "sha224", "sha256", "sha384", "sha512")


class SubstitutionError(ValueError):
    """A ``{{...}}`` placeholder that cannot be substituted; the message names it."""


def escape_type_for(path: str) -> str:
    """``"html"`` for markup files (their values are HTML-escaped), else ``"none"``."""
    return "html" if os.path.splitext(path)[1] in _MARKUP_EXTENSIONS else "none"


def _tokens(text: bytes) -> list[tuple[str, Any]]:
    """The tokens at the start of ``text``; scanning stops at the first character none matches."""
    tokens: list[tuple[str, Any]] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            break
        kind = match.lastgroup
        token = match.group()
        if kind == "var":
            tokens.append(("var", token[:-1].decode("utf-8")))
        elif kind == "ident":
            tokens.append(("ident", token.decode("utf-8")))
        elif kind == "index":
            inner = token[1:-1].decode("utf-8")
            tokens.append(("index", int(inner) if _is_int(inner) else inner))
        else:
            inner = token[1:-1].decode("utf-8")
            tokens.append(("arguments", re.split(r",\s*", inner) if inner else []))
        position = match.end()
    return tokens


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


class _FirstValues:
    """``GET[name]``: the first value, or an empty string when absent."""

    def __init__(self, params: Any) -> None:
        self._params = params

    def __getitem__(self, name: str | bytes) -> Any:
        key = name.encode("latin-1") if isinstance(name, str) else name
        return self._params.first(key, "")


def _uuid(request: Any) -> str:
    return str(uuid.uuid4())


def _file_hash(request: Any, algorithm: str, path: str) -> bytes:
    if algorithm not in HASH_ALGORITHMS:
        raise SubstitutionError(
            f"file_hash: unsupported algorithm {algorithm!r} (use one of {', '.join(HASH_ALGORITHMS)})"
        )
    digest = hashlib.new(algorithm)
    absolute = os.path.join(str(request.doc_root), path)
    try:
        with open(absolute, "rb") as handle:
            digest.update(handle.read())
    except OSError as exc:
        raise SubstitutionError(f"file_hash: cannot read {absolute}: {exc.strerror}") from None
    return base64.b64encode(digest.digest())


def _fs_path(request: Any, path: str) -> str:
    doc_root = str(request.doc_root)
    if path.startswith("/"):
        relative = path[1:]
    else:
        directory = request.request_path[len(request.url_base) :]
        if "/" in directory:
            directory = directory.rsplit("/", 1)[0]
        relative = directory + "/" + path
    absolute = os.path.abspath(os.path.join(doc_root, relative.replace("/", os.sep)))
    if ".." in os.path.relpath(absolute, doc_root):
        raise SubstitutionError(f"fs_path: {path!r} is outside the document root")
    return absolute


def _header_or_default(request: Any, name: str, default: str) -> Any:
    return request.headers.get(name, default)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "uuid": _uuid,
    "file_hash": _file_hash,
    "fs_path": _fs_path,
    "header_or_default": _header_or_default,
}


def _location(request: Any) -> dict[str, Any]:
    parts = request.url_parts
    # wptserve's request URL always names a port: the server's when the Host header has none.
    port = parts.port if parts.port is not None else getattr(request, "server_port", None)
    return {
        "server": f"{parts.scheme}://{parts.hostname}:{port}",
        "scheme": parts.scheme,
        "host": f"{parts.hostname}:{port}",
        "hostname": parts.hostname,
        "port": port,
        "path": parts.path,
        "pathname": parts.path,
        "query": f"?{parts.query}",
    }


def _lookup(request: Any, name: str, variables: dict[str, Any]) -> Any:
    if name in variables:
        return variables[name]
    if name in FUNCTIONS:
        return FUNCTIONS[name]
    if name == "headers":
        return request.headers
    if name == "GET":
        return _FirstValues(request.GET)
    config = request.server.config
    if name == "hosts":
        return config["all_domains"]
    if name == "domains":
        return config["all_domains"][""]
    if name == "host":
        return config["browser_host"]
    if name in config:
        return config[name]
    if name == "location":
        return _location(request)
    if name == "url_base":
        return request.url_base
    raise SubstitutionError(f"undefined template variable {name!r}")


def _evaluate(request: Any, source: bytes, variables: dict[str, Any]) -> str | bytes | int:
    tokens = _tokens(source)
    shown = "{{" + source.decode("utf-8", "replace") + "}}"
    if not tokens:
        raise SubstitutionError(f"{shown}: expected a name")
    assign: str | None = None
    if tokens[0][0] == "var":
        assign = tokens.pop(0)[1]
        if not tokens:
            raise SubstitutionError(f"{shown}: expected a name after {assign}:")
    kind, name = tokens.pop(0)
    if kind != "ident":
        raise SubstitutionError(f"{shown}: expected a name, found {kind} {name!r}")
    value = _lookup(request, name, variables)
    for kind, item in tokens:
        try:
            if kind == "index":
                value = value[item]
            elif kind == "arguments":
                value = value(request, *item)
            else:
                raise SubstitutionError(f"{shown}: unexpected {kind} {item!r}")
        except SubstitutionError:
            raise
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise SubstitutionError(f"{shown}: {type(exc).__name__}: {exc}") from None
    if not isinstance(value, (int, str, bytes)) or isinstance(value, bool):
        raise SubstitutionError(f"{shown} is a {type(value).__name__}, not a value to insert")
    if assign is not None:
        variables[assign] = value
    return value


def template(request: Any, content: bytes | str, escape_type: str | None = "html") -> bytes:
    """``content`` with each ``{{...}}`` replaced (wptserve's ``pipes.template``)."""
    if escape_type not in ("html", "none"):
        raise SubstitutionError(f"unknown escape type {escape_type!r} (use html or none)")
    if isinstance(content, str):
        content = content.encode("utf-8")
    variables: dict[str, Any] = {}

    def replace(match: re.Match[bytes]) -> bytes:
        value = _evaluate(request, match.group(1), variables)
        text = value.decode("utf-8") if isinstance(value, bytes) else str(value)
        if escape_type == "html":
            text = html.escape(text, quote=True)
        return text.encode("utf-8")

    return _PLACEHOLDER.sub(replace, content)
