"""Static files: Content-Type, ``.headers`` side files, HEAD, Range, directory listings.

>>> parse_range(b"bytes=0-9,20-", 100)
[(0, 10), (20, 100)]
"""

from __future__ import annotations

import html
import mimetypes
import os
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import IO

from ..http.response import Response
from .files import recently_modified, signature

__all__ = ["RangeNotSatisfiable", "StaticCache", "content_type_for", "parse_range", "serve_directory", "serve_file"]

# Read into memory below this size (one write with the head); stream above it.
_INLINE_LIMIT = 1 << 20

_CONTENT_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".xhtml": "application/xhtml+xml",
    ".xht": "application/xhtml+xml",
    ".xml": "application/xml",
    ".svg": "image/svg+xml",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".json": "application/json",
    ".txt": "text/plain",
    ".md": "text/plain",
    ".wasm": "application/wasm",
    ".png": "image/png",
    ".gif": "image/gif",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".bmp": "image/bmp",
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".m4a": "audio/mp4",
    ".weba": "audio/webm",
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".webm": "video/webm",
    ".vtt": "text/vtt",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".pdf": "application/pdf",
    ".zip": "application/zip",
    ".gz": "application/gzip",
    ".manifest": "text/cache-manifest",
    ".webmanifest": "application/manifest+json",
    ".event_stream": "text/event-stream",
}


class RangeNotSatisfiable(ValueError):
    """A Range header that selects nothing in the file."""


def content_type_for(path: str) -> str:
    """The Content-Type for a file name (``application/octet-stream`` when unknown)."""
    extension = os.path.splitext(path)[1].lower()
    known = _CONTENT_TYPES.get(extension)
    if known is None:
        known = mimetypes.guess_type(path, strict=False)[0] or "application/octet-stream"
    return known


def parse_range(header: bytes, size: int) -> list[tuple[int, int]] | None:
    """``[(start, end_exclusive), ...]`` for a ``Range`` header, merged and in order.

    Returns ``None`` for a header to ignore (not ``bytes=``, malformed: the whole file is
    sent, as RFC 9110 allows) and raises :class:`RangeNotSatisfiable` when no range overlaps.
    """
    unit, eq, spec = header.partition(b"=")
    if not eq or unit.strip().lower() != b"bytes":
        return None
    if not spec.strip(b" ,"):
        return None
    ranges: list[tuple[int, int]] = []
    for part in spec.split(b","):
        part = part.strip()
        if not part:
            continue
        first, dash, last = part.partition(b"-")
        if not dash:
            return None
        first, last = first.strip(), last.strip()
        if (first and not first.isdigit()) or (last and not last.isdigit()) or (not first and not last):
            return None
        # Leading zeros change no number, so they must not make one look big.
        first, last = _strip_zeros(first), _strip_zeros(last)
        # Numbers too big for any file keep their meaning without being parsed (int() of a
        # very long string is slow or refused): a start past the end, an end at the end.
        if len(first) > 18:
            continue
        if len(last) > 18:
            last = b"" if first else b"%d" % size
        if not first:  # suffix: the last N bytes
            length = int(last)
            if length == 0 or size == 0:
                continue
            ranges.append((max(0, size - length), size))
            continue
        start = int(first)
        end = size if not last else min(int(last) + 1, size)
        if last and int(last) < start:
            return None
        if start >= size:
            continue
        ranges.append((start, end))
    if not ranges:
        raise RangeNotSatisfiable(f"no range in {header.decode('latin-1')!r} overlaps the {size} bytes")
    ranges.sort()
    merged = [ranges[0]]
    for start, end in ranges[1:]:
        last_start, last_end = merged[-1]
        if start <= last_end:
            merged[-1] = (last_start, max(last_end, end))
        else:
            merged.append((start, end))
    return merged


def _strip_zeros(digits: bytes) -> bytes:
    """``b"007"`` as ``b"7"``, ``b"000"`` as ``b"0"``; ``b""`` (absent) stays absent."""
    return digits.lstrip(b"0") or digits[:1]


def _still_valid(cached: tuple[int, int, int], st: os.stat_result) -> bool:
    """Whether what was cached for a file or directory with signature ``cached`` still holds.

    The rule of every cache here, and of the handler cache: the stat signature is unchanged,
    and the entry was not modified so recently that its timestamp may not have moved.
    """
    return cached == signature(st) and not recently_modified(st)


class StaticCache:
    """Small files' bytes, and the side-file headers beside each file, checked on every use.

    A file's bytes are reused while its stat signature (mtime, size, inode) is unchanged, and
    never for a file modified in the last two seconds (timestamps may not have ticked yet).
    Side files are looked up in a listing of their directory, kept by the same rule.
    """

    def __init__(self, max_bytes: int = 32 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._files: OrderedDict[str, tuple[tuple[int, int, int], bytes]] = OrderedDict()
        self._size = 0
        self._listings: dict[str, tuple[tuple[int, int, int], frozenset[str]]] = {}
        self._lock = threading.Lock()

    def content(self, fs_path: str, st: os.stat_result) -> bytes | None:
        """The cached bytes of ``fs_path`` if ``st`` still describes them."""
        with self._lock:
            entry = self._files.get(fs_path)
            if entry is None or not _still_valid(entry[0], st):
                return None
            self._files.move_to_end(fs_path)
            return entry[1]

    def remember(self, fs_path: str, st: os.stat_result, data: bytes) -> None:
        """Keep ``data`` for ``fs_path`` (least recently used files go first)."""
        if len(data) > self.max_bytes // 8:
            return
        with self._lock:
            old = self._files.pop(fs_path, None)
            if old is not None:
                self._size -= len(old[1])
            self._files[fs_path] = (signature(st), data)
            self._size += len(data)
            while self._size > self.max_bytes:
                _path, (_signature, dropped) = self._files.popitem(last=False)
                self._size -= len(dropped)

    def side_headers(self, fs_path: str, substitute: Callable[[bytes], bytes] | None = None) -> list[tuple[str, str]]:
        """Headers from ``__dir__.headers`` and ``<file>.headers`` beside a static file.

        With ``substitute`` (wptserve's ``.sub.`` template), ``__dir__.sub.headers`` and
        ``<file>.sub.headers`` are used instead where they exist, substituted.
        """
        directory, name = os.path.split(fs_path)
        names = self._side_files(directory)
        headers: list[tuple[str, str]] = []
        for base in ("__dir__", name):
            candidate, sub = base + ".headers", False
            if substitute is not None and base + ".sub.headers" in names:
                candidate, sub = base + ".sub.headers", True
            elif candidate not in names:
                continue
            try:
                with open(os.path.join(directory, candidate), "rb") as handle:
                    data = handle.read()
            except OSError:
                continue
            if sub and substitute is not None:
                data = substitute(data)
            for line in data.decode("latin-1").splitlines():
                header, colon, value = line.partition(":")
                if colon and header.strip():
                    headers.append((header.strip(), value.strip()))
        return headers

    def _side_files(self, directory: str) -> frozenset[str]:
        try:
            st = os.stat(directory)
        except OSError:
            return frozenset()
        cached = self._listings.get(directory)
        if cached is not None and _still_valid(cached[0], st):
            return cached[1]
        try:
            names = frozenset(entry for entry in os.listdir(directory) if entry.endswith(".headers"))
        except OSError:
            names = frozenset()
        self._listings[directory] = (signature(st), names)
        return names


_default_cache = StaticCache()


def _read_span(handle: IO[bytes], start: int, end: int) -> bytes:
    handle.seek(start)
    return handle.read(end - start)


class _Span:
    """The first ``size`` bytes of an open file, for streaming with a Content-Length of ``size``.

    A file that grew meanwhile is cut at ``size``; one that shrank raises :class:`OSError`,
    which ends the response and the connection instead of leaving the client waiting.
    """

    def __init__(self, handle: IO[bytes], size: int) -> None:
        self._handle = handle
        self._left = size

    def read(self, limit: int) -> bytes:
        if self._left <= 0:
            return b""
        data = self._handle.read(min(limit, self._left))
        if not data:
            raise OSError(f"the file shrank while being sent ({self._left} bytes missing)")
        self._left -= len(data)
        return data

    def close(self) -> None:
        self._handle.close()


def serve_file(
    method: str,
    range_header: bytes | None,
    fs_path: str,
    response: Response,
    st: os.stat_result | None = None,
    cache: StaticCache = _default_cache,
    substitute: Callable[[bytes], bytes] | None = None,
) -> None:
    """Fill ``response`` with the file at ``fs_path`` (GET and HEAD); ``st`` is its stat if known.

    ``substitute`` applies to ``.sub.headers`` side files (see :meth:`StaticCache.side_headers`).
    """
    if method not in ("GET", "HEAD"):
        response.set_error(405, f"{method} is not allowed on a static file")
        response.headers.set("Allow", "GET, HEAD")
        return
    content_type = content_type_for(fs_path)
    extra = cache.side_headers(fs_path, substitute)
    if not any(name.lower() == "content-type" for name, _ in extra):
        response.headers.set("Content-Type", content_type)
    response.headers.update(extra)
    response.headers.set("Accept-Ranges", "bytes")
    if range_header is None and st is not None:
        cached = cache.content(fs_path, st)
        if cached is not None:
            response.content = cached
            return
    try:
        handle = open(fs_path, "rb")  # noqa: SIM115 - closed below or by the transport
    except OSError as exc:
        response.set_error(404, f"cannot read the file: {exc.strerror}")
        return
    # The stat the caller took moments ago is as good as a new one: the file can change after
    # either. What is sent never disagrees with the head: a body in memory is sent with its
    # own length, and a streamed file stops at the size declared.
    size = st.st_size if st is not None else os.fstat(handle.fileno()).st_size
    ranges = None
    if range_header is not None:
        try:
            ranges = parse_range(range_header, size)
        except RangeNotSatisfiable as exc:
            handle.close()
            response.set_error(416, str(exc))
            response.headers.set("Content-Range", f"bytes */{size}")
            return
    if ranges is None:
        if size <= _INLINE_LIMIT:
            with handle:
                data = handle.read()
            response.content = data
            if st is not None and len(data) == st.st_size:
                cache.remember(fs_path, st, data)
        else:
            response.headers.set("Content-Length", size)
            response.content = _Span(handle, size)
        return
    response.status = 206
    with handle:
        if len(ranges) == 1:
            start, end = ranges[0]
            response.headers.set("Content-Range", f"bytes {start}-{end - 1}/{size}")
            response.content = _read_span(handle, start, end)
            return
        boundary = uuid.uuid4().hex
        parts = []
        for start, end in ranges:
            part_head = (
                f"--{boundary}\r\nContent-Type: {content_type}\r\nContent-Range: bytes {start}-{end - 1}/{size}\r\n\r\n"
            )
            parts.append(part_head.encode("latin-1"))
            parts.append(_read_span(handle, start, end))
            parts.append(b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode("latin-1"))
    response.headers.set("Content-Type", f"multipart/byteranges; boundary={boundary}")
    response.content = b"".join(parts)


def serve_directory(method: str, url_path: str, fs_path: str, response: Response) -> None:
    """Redirect to the slash form, serve ``index.html``, or list the directory."""
    if method not in ("GET", "HEAD"):
        response.set_error(405, f"{method} is not allowed on a directory")
        response.headers.set("Allow", "GET, HEAD")
        return
    if not url_path.endswith("/"):
        response.status = 301
        response.headers.set("Location", url_path + "/")
        return
    index = os.path.join(fs_path, "index.html")
    if os.path.isfile(index):
        serve_file(method, None, index, response)
        return
    try:
        names = sorted(os.listdir(fs_path))
    except OSError as exc:
        response.set_error(404, f"cannot list the directory: {exc.strerror}")
        return
    title = html.escape(url_path)
    items = ['<li class="dir"><a href="../">..</a></li>'] if url_path != "/" else []
    for name in names:
        is_dir = os.path.isdir(os.path.join(fs_path, name))
        shown = html.escape(name + ("/" if is_dir else ""))
        items.append(f'<li class="{"dir" if is_dir else "file"}"><a href="{shown}">{shown}</a></li>')
    response.headers.set("Content-Type", "text/html; charset=utf-8")
    response.content = (
        f"<!doctype html>\n<title>Index of {title}</title>\n<h1>Index of {title}</h1>\n<ul>\n"
        + "\n".join(items)
        + "\n</ul>\n"
    )
