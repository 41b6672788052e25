"""Mapping URL paths to files under the document root, and keeping them there.

Every transport goes through :class:`DocRoot`: a URL path is percent-decoded once, ``..``
segments are refused, and the real path (symlinks resolved) must stay inside the root.

>>> import pathlib, tempfile
>>> directory = pathlib.Path(tempfile.mkdtemp())
>>> for name in ("echo.py", "chat_wsh.py"):
...     _ = (directory / name).write_text("def main(*args): pass\\n")
>>> root = DocRoot(directory)
>>> root.resolve_http("/echo.py")                  # doctest: +ELLIPSIS
Target(kind='handler', fs_path='.../echo.py', url_path='/echo.py')
>>> root.resolve_ws("/chat")                       # doctest: +ELLIPSIS
Target(kind='ws_handler', fs_path='.../chat_wsh.py', url_path='/chat')
>>> root.resolve_http("/../etc/passwd")
Traceback (most recent call last):
  ...
harness.site.docroot.PathRefused: /../etc/passwd is outside the document root
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import unquote_to_bytes

__all__ = ["DocRoot", "PathRefused", "Target"]

WS_SUFFIX = "_wsh.py"


class PathRefused(Exception):
    """A URL path that names nothing servable; ``status`` and ``message`` for the client.

    ``suspicious`` marks attempts to leave the document root, which are logged.
    """

    def __init__(self, status: int, message: str, suspicious: bool = False) -> None:
        super().__init__(status, message)
        self.status = status
        self.message = message
        self.suspicious = suspicious

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Target:
    """What a URL path resolved to, and the file's stat (symlinks followed)."""

    kind: Literal["handler", "ws_handler", "file", "directory"]
    fs_path: str
    url_path: str
    stat: os.stat_result | None = field(default=None, compare=False, repr=False)


class DocRoot:
    """The document root of a server, and the rules for reaching files in it."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = os.path.realpath(root)
        self._prefix = self.root.rstrip(os.sep) + os.sep

    def _segments(self, url_path: str) -> list[str]:
        try:
            raw = url_path.encode("latin-1")
        except UnicodeEncodeError:
            raw = url_path.encode("utf-8", "surrogateescape")
        decoded = unquote_to_bytes(raw)
        if b"\x00" in decoded:
            raise PathRefused(400, "NUL byte in the request path", suspicious=True)
        try:
            text = decoded.decode("utf-8")
        except UnicodeDecodeError:
            raise PathRefused(400, "the request path is not valid UTF-8 once percent-decoded") from None
        segments: list[str] = []
        for segment in text.split("/"):
            if segment == "..":
                raise PathRefused(404, f"{url_path} is outside the document root", suspicious=True)
            if segment in ("", "."):
                continue
            if "\\" in segment and os.sep == "\\":  # pragma: no cover - Windows
                raise PathRefused(404, f"{url_path} is outside the document root", suspicious=True)
            segments.append(segment)
        return segments

    def _confine(self, candidate: str, url_path: str) -> str:
        real = os.path.realpath(candidate)
        if real != self.root and not real.startswith(self._prefix):
            raise PathRefused(404, f"{url_path} resolves outside the document root", suspicious=True)
        return real

    def _locate(self, segments: list[str], url_path: str) -> tuple[str, os.stat_result]:
        """The confined path of ``segments`` and its stat.

        One ``lstat`` per component below the root; only a path that goes through a symlink
        pays for a full ``realpath`` check.
        """
        path = self.root
        st: os.stat_result | None = None
        try:
            for segment in segments:
                path = os.path.join(path, segment)
                st = os.lstat(path)
                if stat.S_ISLNK(st.st_mode):
                    real = self._confine(os.path.join(self.root, *segments), url_path)
                    return real, os.stat(real)
            return path, st if st is not None else os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            raise PathRefused(404, f"{url_path} not found") from None
        except OSError as exc:
            raise PathRefused(404, f"{url_path} cannot be read: {exc.strerror}") from None

    def resolve_http(self, url_path: str) -> Target:
        """The handler, static file or directory an HTTP request for ``url_path`` names."""
        segments = self._segments(url_path)
        real, st = self._locate(segments, url_path)
        mode = st.st_mode
        if stat.S_ISDIR(mode):
            return Target("directory", real, url_path, st)
        if not stat.S_ISREG(mode):
            raise PathRefused(404, f"{url_path} is not a regular file")
        name = segments[-1] if segments else ""
        if name.endswith(WS_SUFFIX):
            raise PathRefused(404, f"{url_path} is a WebSocket handler; connect to it over ws:// or wss://")
        if name.endswith(".py"):
            return Target("handler", real, url_path, st)
        return Target("file", real, url_path, st)

    def resolve_ws(self, url_path: str) -> Target:
        """The ``NAME_wsh.py`` handler a WebSocket resource path ``.../NAME`` names."""
        segments = self._segments(url_path)
        if not segments:
            raise PathRefused(404, "no WebSocket handler for / (handlers are NAME_wsh.py files)")
        segments[-1] += WS_SUFFIX
        try:
            real, st = self._locate(segments, url_path)
        except PathRefused as refused:
            if refused.suspicious:
                raise
            raise PathRefused(404, f"no WebSocket handler for {url_path} (looked for {'/'.join(segments)})") from None
        if not stat.S_ISREG(st.st_mode):
            raise PathRefused(404, f"no WebSocket handler for {url_path} (looked for {'/'.join(segments)})")
        return Target("ws_handler", real, url_path, st)
