"""Server side of the request journal: one cheap append per request or connection.

The supervisor names the run's journal directory in ``$HARNESS_JOURNAL_DIR`` before it starts
the servers. Each server process writes ``<scheme>-<pid>.jsonl`` there with one unbuffered
``write`` per batch of records (see :class:`JournalWriter`). When the file would
pass :data:`MAX_FILE_BYTES` it becomes ``<scheme>-<pid>.old.jsonl`` (the previous ``.old`` is
dropped) and a new file starts: the journal of a process never exceeds twice that.

A record is a JSON array (:data:`FIELDS` names its items): ``kind`` (``http`` or ``ws``),
``scheme``, ``method``, ``target``, ``status`` (the HTTP status; 101 for an upgraded
WebSocket), ``close`` (its close code), ``error`` (the handler's traceback, or ``null``),
``t`` (start, Unix time), ``dur`` (seconds), ``test`` (the ``X-Harness-Test`` request header,
else the ``harness-test`` cookie) and ``pid``. A record costs a server a few microseconds
(see BENCHMARKS.md).

>>> record_http("https", request, 500, started, "Traceback ...")   # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import Any

__all__ = [
    "JOURNAL_ENV_VAR",
    "JOURNAL_SWITCH_ENV_VAR",
    "FIELDS",
    "FLUSH_DELAY",
    "MAX_FILE_BYTES",
    "TEST_COOKIE",
    "TEST_HEADER",
    "JournalWriter",
    "flush_journal",
    "journal_directory",
    "record_http",
    "record_ws",
]

JOURNAL_ENV_VAR = "HARNESS_JOURNAL_DIR"
JOURNAL_SWITCH_ENV_VAR = "HARNESS_JOURNAL"  # "off" when the harness starts: no journal at all
MAX_FILE_BYTES = 4 << 20
FLUSH_DELAY = 0.005  # seconds a record may wait in memory before it is written
TEST_HEADER = "X-Harness-Test"
TEST_COOKIE = "harness-test"
_TEST_HEADER_KEY = TEST_HEADER.lower().encode("ascii")
_TEST_COOKIE_NAME = TEST_COOKIE.encode("ascii")
_TEST_COOKIE = _TEST_COOKIE_NAME + b"="
_MAX_ERROR_CHARS = 20_000  # a traceback is cut here: a record stays one modest write
_logger = logging.getLogger("harness.journal")
FIELDS = ("kind", "scheme", "method", "target", "status", "close", "error", "t", "dur", "test", "pid")
_quote = encode_basestring_ascii  # a str as a JSON string literal, ASCII only


def journal_directory(run_dir: str | os.PathLike[str]) -> Path:
    """Where a harness whose run directory is ``run_dir`` keeps its journal."""
    return Path(run_dir, "journal")


class JournalWriter:
    """Appends records to this process's journal file, rotating it at ``max_bytes``.

    A record goes into a memory buffer; a flusher thread, woken by the first record after a
    flush, writes what gathered over :data:`FLUSH_DELAY` in one ``write``. A request thus
    costs no system call (which would also hand the GIL to another connection's thread), and
    an idle server no wake-up. :meth:`flush` writes at once (at shutdown, and in tests).
    """

    def __init__(self, directory: Path, scheme: str, max_bytes: int = MAX_FILE_BYTES) -> None:
        self.path = directory / f"{scheme}-{os.getpid()}.jsonl"
        self.old_path = directory / f"{scheme}-{os.getpid()}.old.jsonl"
        self.max_bytes = max_bytes
        self.pid = os.getpid()
        self._lock = threading.Lock()  # the buffer
        self._io_lock = threading.Lock()  # the file
        self._pending: list[bytes] = []
        self._wake = threading.Event()
        self._flusher: threading.Thread | None = None
        self._fd: int | None = None
        self._size = 0
        self._broken = False

    def write(self, record: list[Any]) -> None:
        """Append ``record`` (see :data:`FIELDS`) as one JSON line."""
        self.write_line((json.dumps(record, separators=(",", ":")) + "\n").encode("utf-8"))

    def write_line(self, line: bytes) -> None:
        """Append one ready line (written within :data:`FLUSH_DELAY`)."""
        with self._lock:
            if self._broken:
                return
            self._pending.append(line)
            first = len(self._pending) == 1
        if first:
            if self._flusher is None:
                self._start_flusher()
            self._wake.set()

    def _start_flusher(self) -> None:
        with self._lock:
            if self._flusher is None:
                self._flusher = threading.Thread(target=self._flush_loop, name="harness-journal", daemon=True)
                self._flusher.start()

    def _flush_loop(self) -> None:
        while True:
            self._wake.wait()
            time.sleep(FLUSH_DELAY)  # let more records gather: one write for all of them
            self._wake.clear()
            self.flush()

    def flush(self) -> None:
        """Write the buffered records now; a failing disk is logged once and never fails a request."""
        with self._lock:
            lines, self._pending = self._pending, []
        if not lines:
            return
        data = b"".join(lines)
        with self._io_lock:
            if self._broken:
                return
            try:
                if self._fd is None or (self._size and self._size + len(data) > self.max_bytes):
                    self._rotate()
                assert self._fd is not None
                os.write(self._fd, data)
                self._size += len(data)
            except OSError as exc:
                self._broken = True
                _logger.warning("the request journal %s cannot be written, so it stops: %s", self.path, exc)

    def _rotate(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
            os.replace(self.path, self.old_path)
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_TRUNC, 0o600)
        self._size = 0

    def close(self) -> None:
        """Flush, and close the file."""
        self.flush()
        with self._io_lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


_writers: dict[str, JournalWriter | None] = {}
_writers_lock = threading.Lock()


def _writer(scheme: str) -> JournalWriter | None:
    try:
        return _writers[scheme]
    except KeyError:
        pass
    with _writers_lock:
        if scheme not in _writers:
            directory = os.environ.get(JOURNAL_ENV_VAR)
            _writers[scheme] = JournalWriter(Path(directory), scheme) if directory else None
        return _writers[scheme]


def _test_of(request: Any) -> str | None:
    """The ``X-Harness-Test`` header, else the ``harness-test`` cookie (a browser page's)."""
    cookie = None
    for name, value in request.header_list:
        if len(name) == len(_TEST_HEADER_KEY) and name.lower() == _TEST_HEADER_KEY:
            return str(value.decode("latin-1"))
        if len(name) == 6 and name.lower() == b"cookie":
            cookie = value
    if cookie is None or _TEST_COOKIE not in cookie:
        return None
    for pair in cookie.split(b";"):
        key, _, value = pair.strip().partition(b"=")
        if key == _TEST_COOKIE_NAME:
            return str(value.decode("latin-1"))
    return None


def flush_journal() -> None:
    """Write this process's buffered records now (a server calls it before it exits)."""
    for writer in list(_writers.values()):
        if writer is not None:
            writer.flush()


def _json(text: str | None) -> str:
    return "null" if text is None else _quote(text)


def _record(
    kind: str, scheme: str, request: Any, status: int, close_code: int | None, started: float, error: str | None
) -> None:
    writer = _writers.get(scheme) or _writer(scheme)
    if writer is None:
        return
    if error is not None:
        error = error[:_MAX_ERROR_CHARS]
    # Formatted by hand (strings through the C string encoder): a quarter of json.dumps's cost.
    close = "null" if close_code is None else int(close_code)
    line = (
        f'["{kind}","{scheme}",{_quote(request.method)},{_quote(request.request_path)},{int(status)},{close},'
        f"{_json(error)},{started!r},{time.time() - started!r},{_json(_test_of(request))},{writer.pid}]\n"
    )
    writer.write_line(line.encode("ascii"))


def record_http(scheme: str, request: Any, status: int, started: float, error: str | None) -> None:
    """One HTTP request answered (``started``: its ``time.time()`` on arrival)."""
    _record("http", scheme, request, status, None, started, error)


def record_ws(
    scheme: str, request: Any, status: int, close_code: int | None, started: float, error: str | None
) -> None:
    """One WebSocket connection ended, or its handshake was refused with ``status``."""
    _record("ws", scheme, request, status, close_code, started, error)
