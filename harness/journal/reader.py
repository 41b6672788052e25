"""Reading the request journal from any process: entries, counts, waits and assertions.

The journal directory holds one file per server process (see :mod:`.writer`). A
:class:`RequestJournal` reads only what was appended since its last look, so polling it is
cheap. Filters: ``path`` (the URL path, exactly, or a glob when it has ``*``; a compiled
regular expression is searched in the whole target), ``method``, ``scheme``, ``status``,
``kind`` (``"http"`` or ``"ws"``) and ``test`` (the ``X-Harness-Test`` header).

>>> journal.wait_for(path="/beacon.py", method="POST", timeout=5).status   # doctest: +SKIP
204
>>> journal.assert_no_request(path="/never.py")                           # doctest: +SKIP
>>> journal.count(path="/chat", scheme="wss")                             # doctest: +SKIP
2
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, BinaryIO

from .writer import FIELDS

__all__ = ["JournalEntry", "RequestJournal"]

_MAX_ENTRIES = 200_000  # what one reader keeps in memory; the oldest go first
_POLL_INTERVAL = 0.02


@dataclass(frozen=True)
class JournalEntry:
    """One HTTP request, or one WebSocket connection, as a server saw it."""

    kind: str
    scheme: str
    method: str
    target: str
    status: int
    close_code: int | None
    error: str | None
    started: float
    duration: float
    test: str | None
    pid: int

    @property
    def path(self) -> str:
        """The target without its query string."""
        return self.target.partition("?")[0]

    @property
    def query(self) -> str:
        return self.target.partition("?")[2]

    def describe(self) -> str:
        """``GET https /a.py?x=1 -> 500 (3.1 ms)``, with the close code of a WebSocket."""
        close = f", close {self.close_code}" if self.close_code is not None else ""
        test = f" [{self.test}]" if self.test else ""
        took = f"{self.duration * 1000:.1f} ms"
        return f"{self.method} {self.scheme} {self.target} -> {self.status}{close} ({took}){test}"

    @classmethod
    def from_record(cls, fields: list[Any]) -> JournalEntry:
        """An entry from one journal line's array (see :data:`harness.journal.writer.FIELDS`)."""
        record = dict(zip(FIELDS, fields, strict=True))
        return cls(
            kind=str(record["kind"]),
            scheme=str(record["scheme"]),
            method=str(record["method"]),
            target=str(record["target"]),
            status=int(record["status"]),
            close_code=None if record.get("close") is None else int(record["close"]),
            error=None if record.get("error") is None else str(record["error"]),
            started=float(record["t"]),
            duration=float(record["dur"]),
            test=None if record.get("test") is None else str(record["test"]),
            pid=int(record["pid"]),
        )


class _Tail:
    """One server process's journal file, read from where the last look stopped."""

    def __init__(self, file: BinaryIO, inode: int) -> None:
        self.file = file
        self.inode = inode
        self.partial = b""

    def read_lines(self) -> list[bytes]:
        data = self.partial + self.file.read()
        lines = data.split(b"\n")
        self.partial = lines.pop()
        return lines


class _Files:
    """All entries read so far from one journal directory, shared by every view of it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.entries: deque[JournalEntry] = deque(maxlen=_MAX_ENTRIES)
        self._tails: dict[str, _Tail] = {}
        self._lock = threading.Lock()

    def refresh(self) -> None:
        with self._lock:
            try:
                names = sorted(os.listdir(self.directory))
            except FileNotFoundError:
                return  # no request yet, or the harness has stopped
            for name in names:
                if name.endswith(".jsonl") and not name.endswith(".old.jsonl"):
                    self._read(name)

    def _read(self, name: str) -> None:
        path = self.directory / name
        try:
            inode = os.stat(path).st_ino
        except FileNotFoundError:
            return
        tail = self._tails.get(name)
        if tail is not None and tail.inode != inode:  # rotated: finish the old file first
            self._take(tail.read_lines())
            tail.file.close()
            tail = None
        if tail is None:
            if name not in self._tails:  # first look: what an earlier rotation kept comes first
                self._take_file(self.directory / name.replace(".jsonl", ".old.jsonl"))
            try:
                tail = self._tails[name] = _Tail(open(path, "rb"), inode)  # noqa: SIM115 - kept open
            except FileNotFoundError:
                return
        self._take(tail.read_lines())

    def _take_file(self, path: Path) -> None:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return
        self._take(data.split(b"\n")[:-1])

    def _take(self, lines: list[bytes]) -> None:
        for line in lines:
            try:
                self.entries.append(JournalEntry.from_record(json.loads(line)))
            except (ValueError, KeyError, TypeError):
                continue  # a line cut by a full disk; the journal goes on


Filter = Callable[[JournalEntry], bool]


def _equals(attribute: str, wanted: object) -> Filter:
    return lambda entry: bool(getattr(entry, attribute) == wanted)


def _path_filter(path: str | re.Pattern[str]) -> Filter:
    if isinstance(path, re.Pattern):
        return lambda entry: path.search(entry.target) is not None
    if "*" in path:
        return lambda entry: fnmatchcase(entry.path, path)
    return lambda entry: entry.path == path


class RequestJournal:
    """A view of the journal, optionally limited to entries since a time or of one test.

    ``RequestJournal(directory)`` sees everything; :meth:`since` and :meth:`of_test` narrow it.
    """

    def __init__(self, directory: str | os.PathLike[str], *, since: float | None = None) -> None:
        self._files = _Files(Path(directory))
        self._since = since
        self._test: str | None = None

    def since(self, started: float) -> RequestJournal:
        """A view of the entries that started at ``started`` (``time.time()``) or later."""
        view = self._view()
        view._since = started
        return view

    def of_test(self, test: str) -> RequestJournal:
        """A view of the entries whose request carried ``X-Harness-Test: test``."""
        view = self._view()
        view._test = test
        return view

    def _view(self) -> RequestJournal:
        view = RequestJournal.__new__(RequestJournal)
        view._files, view._since, view._test = self._files, self._since, self._test
        return view

    def entries(
        self,
        path: str | re.Pattern[str] | None = None,
        method: str | None = None,
        *,
        scheme: str | None = None,
        status: int | None = None,
        kind: str | None = None,
        test: str | None = None,
    ) -> list[JournalEntry]:
        """Matching entries, oldest first (by start time)."""
        self._files.refresh()
        checks: list[Filter] = []
        if self._since is not None:
            since = self._since
            checks.append(lambda entry: entry.started >= since)
        for wanted, attribute in ((self._test, "test"), (test, "test"), (scheme, "scheme"), (kind, "kind")):
            if wanted is not None:
                checks.append(_equals(attribute, wanted))
        if method is not None:
            checks.append(lambda entry: entry.method == method.upper())
        if status is not None:
            checks.append(lambda entry: entry.status == status)
        if path is not None:
            checks.append(_path_filter(path))
        found = [entry for entry in list(self._files.entries) if all(check(entry) for check in checks)]
        return sorted(found, key=lambda entry: entry.started)

    def count(self, path: str | re.Pattern[str] | None = None, method: str | None = None, **filters: Any) -> int:
        """How many entries match."""
        return len(self.entries(path, method, **filters))

    def errors(self) -> list[JournalEntry]:
        """Entries whose handler raised (their ``error`` holds the traceback)."""
        return [entry for entry in self.entries() if entry.error is not None]

    def wait_for(
        self,
        path: str | re.Pattern[str] | None = None,
        method: str | None = None,
        *,
        count: int = 1,
        timeout: float = 5.0,
        **filters: Any,
    ) -> JournalEntry:
        """Wait until ``count`` entries match; the last of them. :class:`TimeoutError` lists what came."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.entries(path, method, **filters)
            if len(found) >= count:
                return found[count - 1]
            if time.monotonic() >= deadline:
                wanted = _describe_filters(path, method, filters)
                raise TimeoutError(
                    f"{len(found)} of {count} request(s) matching {wanted} within {timeout:g} s;\n{self._listing()}"
                )
            time.sleep(_POLL_INTERVAL)

    def assert_no_request(
        self,
        path: str | re.Pattern[str] | None = None,
        method: str | None = None,
        *,
        within: float = 0.0,
        **filters: Any,
    ) -> None:
        """:class:`AssertionError` if a matching entry is (or, over ``within`` seconds, becomes) there."""
        deadline = time.monotonic() + within
        while True:
            found = self.entries(path, method, **filters)
            if found:
                lines = "\n".join(f"  {entry.describe()}" for entry in found[:20])
                raise AssertionError(
                    f"expected no request matching {_describe_filters(path, method, filters)}, got:\n{lines}"
                )
            if time.monotonic() >= deadline:
                return
            time.sleep(_POLL_INTERVAL)

    def _listing(self, limit: int = 20) -> str:
        seen = self.entries()
        if not seen:
            return "the journal (in this view) is empty"
        lines = [f"  {entry.describe()}" for entry in seen[-limit:]]
        return f"the last {len(lines)} of {len(seen)} request(s) seen:\n" + "\n".join(lines)

    def __len__(self) -> int:
        return len(self.entries())


def _describe_filters(path: Any, method: Any, filters: dict[str, Any]) -> str:
    parts = [f"{name}={value!r}" for name, value in (("path", path), ("method", method), *filters.items()) if value]
    return ", ".join(parts) if parts else "anything"
