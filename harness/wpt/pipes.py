"""``?pipe=`` on files and handlers: wptserve's pipes, our implementation.

A pipe string is a ``|``-separated list of ``name(arg,arg)`` calls applied to the response
in order: ``status(404)``, ``header(X-A,1)``, ``header(X-A,2,True)`` (append),
``slice(1,5)`` (``null`` for an open end), ``trickle(d1:100:r2)``, ``sub`` (or
``sub(none)``), ``gzip``. Inside arguments ``\\`` escapes the next character (``\\n``,
``\\r``, ``\\t`` are newline, CR, tab). An unknown pipe or wrong arguments raise
:class:`PipeError` naming them (the response becomes a 500), never a silent no-op.

>>> parse_pipes("status(201)|header(X-A,1,true)")
[('status', ['201']), ('header', ['X-A', '1', 'true'])]
"""

from __future__ import annotations

import gzip as gzip_module
import io
import os
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import unquote

from ..http.response import Response
from .sub import escape_type_for, template

__all__ = ["PIPES", "PipeError", "apply_pipes", "parse_pipes", "pipe_string_for", "query_pipe"]


class PipeError(ValueError):
    """A pipe that does not exist or got arguments it cannot take."""


_ESCAPES = {"n": "\n", "r": "\r", "t": "\t"}


def parse_pipes(text: str) -> list[tuple[str, list[str]]]:
    """``[(name, [arguments as text]), ...]`` for a pipe string."""
    calls: list[tuple[str, list[str]]] = []
    index = 0
    length = len(text)
    while index < length:
        name = ""
        while index < length and text[index] not in "(|":
            name += text[index]
            index += 1
        if index < length and text[index] == "|":
            index += 1
            if name:
                calls.append((name, []))
            continue
        if index >= length:
            if name:
                calls.append((name, []))
            break
        index += 1  # "("
        arguments: list[str] = []
        current = ""
        while True:
            if index >= length:
                arguments.append(current)
                break
            char = text[index]
            index += 1
            if char == "\\":
                if index < length:
                    current += _ESCAPES.get(text[index], text[index])
                    index += 1
            elif char == ",":
                arguments.append(current)
                current = ""
            elif char == ")":
                arguments.append(current)
                break
            else:
                current += char
        calls.append((name, arguments))
    return calls


def _nullable_int(text: str) -> int | None:
    return None if text.lower() == "null" else int(text)


def _nullable_str(text: str) -> str | None:
    return None if text.lower() == "null" else text


def _boolean(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise ValueError(f"{text!r} is not a boolean (true, false, 1 or 0)")


def resolve_content(response: Response) -> bytes:
    """The whole body, read now (a file or a generator is consumed)."""
    return b"".join(response.iter_content())


def _status(request: Any, response: Response, code: int) -> None:
    response.status = code


def _header(request: Any, response: Response, name: str, value: str, append: bool = False) -> None:
    if append:
        response.headers.append(name, value)
    else:
        response.headers.set(name, value)


def _parse_trickle(spec: str) -> list[tuple[str, float]]:
    steps: list[tuple[str, float]] = []
    for item in spec.split(":"):
        kind: str
        amount: float
        if item.startswith("d"):
            kind, amount = "delay", float(item[1:])
        elif item.startswith("r"):
            kind, amount = "repeat", int(item[1:])
            if amount % 2:
                raise ValueError(f"trickle: r{int(amount)} must repeat an even number of steps")
        else:
            kind, amount = "bytes", int(item)
        if steps and steps[-1][0] == kind:
            steps[-1] = (kind, steps[-1][1] + amount)
        else:
            steps.append((kind, amount))
    if steps and steps[-1][0] == "repeat":
        repeated = steps[-(int(steps[-1][1]) + 1) : -1]
        if not any(kind == "bytes" and amount > 0 for kind, amount in repeated):
            raise ValueError(f"trickle({spec}): the repeated steps send no bytes, so they would never end")
    return steps


def _trickle(request: Any, response: Response, spec: str) -> None:
    steps = _parse_trickle(spec)
    if not steps:
        return
    content = resolve_content(response)
    if not any(name in response.headers for name in ("Cache-Control", "Pragma", "Expires")):
        response.headers.set("Cache-Control", "no-cache, no-store, must-revalidate")
        response.headers.set("Pragma", "no-cache")
        response.headers.set("Expires", "0")
    offset = 0

    def play(sequence: list[tuple[str, float]], repeating: bool) -> Iterator[bytes]:
        nonlocal offset
        for position, (kind, amount) in enumerate(sequence):
            if kind == "bytes":
                yield content[offset : offset + int(amount)]
                offset += int(amount)
            elif kind == "delay":
                time.sleep(amount)
            elif position == len(sequence) - 1:  # "rN" repeats the N steps before it, until the end
                count = int(amount)
                while offset < len(content):
                    yield from play(sequence[-(count + 1) : -1], True)
        if not repeating and offset < len(content):
            yield content[offset:]

    response.content = play(steps, False)


def _slice(request: Any, response: Response, start: int | None, end: int | None = None) -> None:
    content = resolve_content(response)[start:end]
    response.content = content
    response.headers.set("Content-Length", len(content))


def _sub(request: Any, response: Response, escape_type: str | None = "html") -> None:
    response.content = template(request, resolve_content(response), escape_type=escape_type)


def _gzip(request: Any, response: Response) -> None:
    content = resolve_content(response)
    buffer = io.BytesIO()
    with gzip_module.GzipFile(fileobj=buffer, mode="w") as compressed:
        compressed.write(content)
    response.headers.set("Content-Encoding", "gzip")
    response.content = buffer.getvalue()
    response.headers.set("Content-Length", len(response.content))


# name -> (function, required converters, optional converters)
PIPES: dict[str, tuple[Callable[..., None], tuple[Callable[[str], Any], ...], tuple[Callable[[str], Any], ...]]] = {
    "status": (_status, (int,), ()),
    "header": (_header, (str, str), (_boolean,)),
    "trickle": (_trickle, (str,), ()),
    "slice": (_slice, (_nullable_int,), (_nullable_int,)),
    "sub": (_sub, (), (_nullable_str,)),
    "gzip": (_gzip, (), ()),
}


def apply_pipes(pipe_string: str, request: Any, response: Response) -> None:
    """Run each pipe of ``pipe_string`` on ``response``; :class:`PipeError` for a bad one."""
    calls = parse_pipes(pipe_string)
    prepared = []
    for name, arguments in calls:
        entry = PIPES.get(name)
        if entry is None:
            raise PipeError(f"unknown pipe {name!r} in pipe={pipe_string!r} (known pipes: {', '.join(PIPES)})")
        function, required, optional = entry
        if not len(required) <= len(arguments) <= len(required) + len(optional):
            raise PipeError(
                f"pipe {name!r} takes {len(required)} to {len(required) + len(optional)} arguments,"
                f" got {len(arguments)} in pipe={pipe_string!r}"
            )
        try:
            values = [convert(text) for convert, text in zip(required + optional, arguments, strict=False)]
        except ValueError as exc:
            raise PipeError(f"pipe {name!r}: bad argument in pipe={pipe_string!r}: {exc}") from None
        prepared.append((function, values))
    for (name, _arguments), (function, values) in zip(calls, prepared, strict=True):
        try:
            function(request, response, *values)
        except PipeError:
            raise
        except ValueError as exc:
            raise PipeError(f"pipe {name!r} failed in pipe={pipe_string!r}: {exc}") from None


def query_pipe(query: str) -> str | None:
    """The last non-empty ``pipe`` parameter of a query string, as wptserve reads it."""
    found = None
    for item in query.split("&"):
        name, eq, value = item.partition("=")
        if not eq or not value:
            continue
        if unquote(name.replace("+", " ")) == "pipe":
            found = unquote(value.replace("+", " "))
    return found


def pipe_string_for(path: str, query: str) -> str:
    """The pipes wptserve applies to ``path``: ``sub`` for ``.sub.`` names, then ``?pipe=``."""
    parts = []
    if path and ".sub." in os.path.basename(path):
        parts.append(f"sub({escape_type_for(path)})")
    piped = query_pipe(query)
    if piped:
        parts.append(piped)
    return "|".join(parts)
