"""Loading handler files: compile once per version of the file, run fresh per request.

A handler file's code object is cached by the file's modification time, size and inode, so
an edit applies on the next request without recompiling on every one. Each request runs the
module body in a fresh namespace, as wptserve does: module-level state does not leak from one
request (or one server process) to the next; shared state belongs in the stash.

>>> import pathlib, tempfile
>>> handler = pathlib.Path(tempfile.mkdtemp(), "echo.py")
>>> _ = handler.write_text("def main(request, response):\\n    return 'echo'\\n")
>>> cache = HandlerCache()
>>> main = cache.load_main(str(handler))
>>> main(None, None)
'echo'
"""

from __future__ import annotations

import os
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from types import CodeType
from typing import Any

from .files import recently_modified, signature

__all__ = ["HandlerCache", "HandlerLoadError", "add_import_root", "format_exception"]


class HandlerLoadError(Exception):
    """A handler file that cannot be used: unreadable, a syntax error, no ``main``, ..."""

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return f"{self.message}\n{self.details}" if self.details else self.message


@dataclass(frozen=True)
class _Compiled:
    signature: tuple[int, int, int]
    source: bytes
    code: CodeType


def format_exception(exc: BaseException) -> str:
    """The traceback of ``exc`` as text."""
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


_import_roots_lock = threading.Lock()


def add_import_root(directory: str) -> None:
    """Let handler files import helper modules from ``directory`` (the document root)."""
    with _import_roots_lock:
        if directory not in sys.path:
            sys.path.insert(0, directory)


class HandlerCache:
    """Compiled handler files by path, refreshed when a file changes."""

    def __init__(self) -> None:
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def _code(self, path: str, st: os.stat_result | None = None) -> CodeType:
        if st is None:
            try:
                st = os.stat(path)
            except OSError as exc:
                raise HandlerLoadError(f"handler file {path} cannot be read: {exc.strerror}") from None
        version = signature(st)
        cached = self._compiled.get(path)
        if cached is not None and cached.signature == version and not recently_modified(st):
            return cached.code
        try:
            with open(path, "rb") as handle:
                source = handle.read()
        except OSError as exc:
            raise HandlerLoadError(f"handler file {path} cannot be read: {exc.strerror}") from None
        if cached is not None and cached.source == source:
            code = cached.code
        else:
            try:
                code = compile(source, path, "exec", dont_inherit=True)
            except (SyntaxError, ValueError) as exc:
                line = getattr(exc, "lineno", None)
                where = f" at line {line}" if line else ""
                raise HandlerLoadError(
                    f"{type(exc).__name__} in handler file {path}{where}: {getattr(exc, 'msg', exc)}",
                    format_exception(exc),
                ) from None
        with self._lock:
            self._compiled[path] = _Compiled(version, source, code)
        return code

    def load_main(
        self, path: str, signature_hint: str = "main(request, response)", st: os.stat_result | None = None
    ) -> Callable[..., Any]:
        """Run the file at ``path`` in a fresh namespace and return its ``main``.

        ``st`` is the file's stat when the caller already has it. Raises
        :class:`HandlerLoadError` for a file that cannot be read or compiled, whose module
        body raises, or that defines no callable ``main``.
        """
        main = self.load(path, signature_hint, st).get("main")
        assert callable(main)
        return main  # type: ignore[no-any-return]

    def load(
        self,
        path: str,
        signature_hint: str = "main(request, response)",
        st: os.stat_result | None = None,
        entry_points: tuple[str, ...] = ("main",),
    ) -> dict[str, Any]:
        """Run the file at ``path`` in a fresh namespace and return that namespace.

        The namespace defines a callable named in ``entry_points`` (by default ``main``).
        """
        code = self._code(path, st)
        namespace: dict[str, Any] = {"__file__": path, "__name__": "__harness_handler__", "__builtins__": __builtins__}
        try:
            exec(code, namespace)
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - others (a handler timeout, Ctrl-C) propagate
            raise HandlerLoadError(
                f"handler file {path} raised {type(exc).__name__} while loading: {exc}", format_exception(exc)
            ) from None
        if not any(callable(namespace.get(name)) for name in entry_points):
            raise HandlerLoadError(f"handler file {path} defines no {signature_hint} function")
        return namespace
