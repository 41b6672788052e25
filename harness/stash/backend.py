"""The small interface every stash transport implements, and the in-process one.

A backend receives keys, paths, table names and TTLs already checked and normalised (by
:class:`~harness.stash.Stash` and :class:`~harness.stash.tables.Table`) and returns values
already decoded. It must keep the guarantees of :class:`~harness.stash.store.StashStore`:
each operation one atomic step for every process of the run, write-once, read-once, blocking
takes woken by the put, one non-reentrant lock per thread of a process, values stored as
copies, expiry on the run's stash clock. The manager transport (:mod:`harness.stash.client`)
is the default; :class:`LocalBackend` serves a single process (unit tests, tools).

The rules below are the contract a new backend (Redis, ...) is tested against.

**The path space** (wptserve's stash): ``(path, key)`` holds at most one value; a put of a
held slot raises :class:`StashError`; a take removes the value and returns it to exactly one
caller.

**TTLs and the clock.** A ``ttl`` is ``None``, a finite number > 0 of seconds, or
``math.inf`` (never expires). Deadlines are on the *stash clock* of the run: monotonic time
plus an offset that :meth:`StashBackend.advance_clock` moves forward (only when the run has
``stash.test_clock``). An entry whose deadline is at or before the clock's now is gone for
every operation (take, entries, table reads and writes, len, keys, tables) exactly as if
deleted at its deadline, whether or not anything swept it yet. Expiry may not cost the hot
path a scan: check the touched entry lazily, and drop the rest from a heap of deadlines (or
the backend's native expiry) on the next operation or a timer. A value handed straight to a
blocked taker by its put is taken, never expired.

**Tables** are named, mutable namespaces beside the path space, created by their first write
and gone when their last key is (``tables()`` names only tables holding a live key). Table
names and keys are any ``str`` (the API bounds their length; backends store them verbatim).
Values are copies. A value that is exactly a ``list`` is a list cell: ``table_append``
extends it; appending to a cell holding anything else raises :class:`StashError` and changes
nothing. Each write (set, cas that succeeds, append) gives the cell a new *version*: an int
never used before for that table and key during the run (a counter across the store is
simplest), and a new deadline from its ``ttl`` (``None``: no deadline; the old one is
dropped). Tables hold plain values only: no manager proxies (:class:`ValueError`).

**Values too large** (over ``stash.max_value_bytes`` once pickled; for a list cell the sum of
its items) raise :class:`ValueError` ("... over the limit of N bytes (stash.max_value_bytes)")
and store nothing; values that cannot be pickled raise :class:`TypeError`.

``tests/integration/test_stash_backend_contract.py`` checks these rules on each backend.
"""

from __future__ import annotations

from typing import Any, Protocol

from . import codec
from .errors import StashError
from .identity import current_owner
from .store import EntryInfo, StashStore

__all__ = ["LocalBackend", "StashBackend"]


class StashBackend(Protocol):
    """What :class:`~harness.stash.Stash` and its tables need from a transport."""

    # -- the path space -------------------------------------------------------------------

    def put(self, path: str, key: str, value: object, ttl: float | None = None) -> None:
        """Store a copy of ``value`` at ``(path, key)`` unless it holds a value (:class:`StashError`).

        ``ttl``: seconds before an untaken value expires; ``None`` means the run's
        ``stash.default_ttl`` (the stash server's setting; no expiry if it has none) and
        ``math.inf`` means never, whatever the default. The oldest blocked take of the slot,
        if any, gets the value instead of the store.
        """
        ...

    def take(self, path: str, key: str, timeout: float | None) -> Any:
        """Remove and return the value at ``(path, key)``; ``None`` when absent or expired.

        ``timeout`` (``None`` or 0: do not wait; seconds; ``math.inf``: no limit, wall-clock
        time, not the stash clock) waits for a put, first come first served.
        """
        ...

    def acquire_lock(self, timeout: float | None) -> bool:
        """Take the run's one lock for this thread (``0``: try once; ``None``, ``math.inf``: wait); ``True`` if held.

        Not reentrant: a thread that holds it gets :class:`StashError`.
        """
        ...

    def release_lock(self) -> None:
        """Release the run's lock; :class:`StashError` if this thread does not hold it."""
        ...

    def entries(self, path_pattern: str, key_pattern: str) -> list[EntryInfo]:
        """Live values whose path and key match the :mod:`fnmatch` globs, without taking them.

        Each :class:`EntryInfo` has ``expires_in`` (seconds left on the stash clock, > 0) or
        ``None`` for a value without deadline. Expired values are never listed.
        """
        ...

    def expired(self, path_pattern: str, key_pattern: str) -> list[EntryInfo]:
        """Values that expired untaken, most recent last, for the leftover report.

        Bounded: the backend remembers at least the last 1024 expirations of the run (older
        ones may be forgotten). ``expires_in`` is <= 0 (how long ago it expired), ``age`` is
        the time since the put. Taking or putting the key again does not clear its record.
        """
        ...

    def waiting(self, path: str, key: str) -> int:
        """How many takes, in any process, are blocked waiting for ``(path, key)``."""
        ...

    def new_queue(self) -> Any:
        """A new queue living in the stash server, shareable by putting it in the stash."""
        ...

    # -- tables ---------------------------------------------------------------------------

    def table_get(self, table: str, key: str) -> tuple[bool, Any]:
        """``(True, copy of the value)``, or ``(False, None)`` when absent or expired."""
        ...

    def table_get_versioned(self, table: str, key: str) -> tuple[int | None, Any]:
        """``(version, value)``, or ``(None, None)`` when absent or expired (for ``update``)."""
        ...

    def table_set(self, table: str, key: str, value: object, ttl: float | None) -> None:
        """Set ``table[key]`` to a copy of ``value``: a new version, deadline from ``ttl``."""
        ...

    def table_cas(self, table: str, key: str, version: int | None, value: object, ttl: float | None) -> bool:
        """Set ``table[key]`` as :meth:`table_set` iff its current version is ``version``.

        ``version=None`` succeeds only when the key is absent (or expired). ``False``:
        nothing was written. The client-side ``Table.update(key, fn)`` loops
        ``table_get_versioned`` + ``table_cas`` so ``fn`` never travels.
        """
        ...

    def table_delete(self, table: str, key: str) -> bool:
        """Remove ``table[key]``; ``False`` when it was absent or expired."""
        ...

    def table_pop(self, table: str, key: str) -> tuple[bool, Any]:
        """Remove ``table[key]`` and return ``(True, value)``; ``(False, None)`` when absent."""
        ...

    def table_append(self, table: str, key: str, item: object, ttl: float | None) -> int:
        """Append a copy of ``item`` to the list at ``table[key]``; return the list's new length.

        An absent (or expired) key becomes ``[item]``. A key holding a non-list value raises
        :class:`StashError`. Too large a list raises :class:`ValueError`. Both leave the cell
        unchanged; otherwise it gets a new version and its deadline from ``ttl``.
        """
        ...

    def table_keys(self, table: str, pattern: str) -> list[str]:
        """Live keys of ``table`` matching the :mod:`fnmatch` glob ``pattern`` (order unspecified)."""
        ...

    def table_items(self, table: str, pattern: str) -> list[tuple[str, Any]]:
        """``(key, value)`` of the live keys matching ``pattern``, as one consistent snapshot."""
        ...

    def table_len(self, table: str) -> int:
        """How many live keys ``table`` holds (0 for a table never written)."""
        ...

    def table_clear(self, table: str) -> int:
        """Remove every key of ``table`` at once; return how many were live."""
        ...

    def tables(self) -> list[str]:
        """Names of the tables holding at least one live key, sorted."""
        ...

    # -- the clock ------------------------------------------------------------------------

    def advance_clock(self, seconds: float) -> float:
        """Move the run's stash clock ``seconds`` (finite, >= 0) forward; return the total offset.

        Everything whose deadline the clock passes expires at once, for every process.
        A negative or infinite step raises :class:`ValueError` ("... only moves forward ...").
        ``advance_clock(0)`` reads the offset and is always allowed (share links use it);
        a positive move raises :class:`StashError` unless the run was started with
        ``stash.test_clock`` (the pytest plugin's harness has it on).
        """
        ...


class LocalBackend:
    """A stash in this process only, with the same semantics (values are still copies).

    >>> from harness.stash import Stash
    >>> stash = Stash("/a.py", backend=LocalBackend(StashStore(test_clock=True)))
    >>> stash.put("6f0d3c3a-9c1b-4a86-8f61-1c4e8b5a2d10", [1, 2])
    >>> stash.take("6f0d3c3a-9c1b-4a86-8f61-1c4e8b5a2d10")
    [1, 2]
    """

    def __init__(self, store: StashStore | None = None) -> None:
        self.store = store if store is not None else StashStore()

    def put(self, path: str, key: str, value: object, ttl: float | None = None) -> None:
        payload, _refs = codec.dumps(value)
        self.store.put(path, key, payload, (), self._owner(), ttl)

    def take(self, path: str, key: str, timeout: float | None) -> Any:
        entry = self.store.take(path, key, timeout, self._owner())
        return None if entry is None else codec.loads(entry.payload)

    def acquire_lock(self, timeout: float | None) -> bool:
        return self.store.acquire_lock(self._owner(), timeout)

    def release_lock(self) -> None:
        self.store.release_lock(self._owner())

    def entries(self, path_pattern: str, key_pattern: str) -> list[EntryInfo]:
        return self.store.entries(path_pattern, key_pattern)

    def expired(self, path_pattern: str, key_pattern: str) -> list[EntryInfo]:
        return self.store.expired(path_pattern, key_pattern)

    def waiting(self, path: str, key: str) -> int:
        return self.store.waiting(path, key)

    def new_queue(self) -> Any:
        raise StashError("queues to share between processes need the manager-backed stash (harness serve)")

    def table_get(self, table: str, key: str) -> tuple[bool, Any]:
        found = self.store.table_get(table, key)
        return (False, None) if found is None else (True, codec.loads_cell(found[1]))

    def table_get_versioned(self, table: str, key: str) -> tuple[int | None, Any]:
        found = self.store.table_get(table, key)
        return (None, None) if found is None else (found[0], codec.loads_cell(found[1]))

    def table_set(self, table: str, key: str, value: object, ttl: float | None) -> None:
        self.store.table_set(table, key, codec.dumps_cell(value), ttl)

    def table_cas(self, table: str, key: str, version: int | None, value: object, ttl: float | None) -> bool:
        return self.store.table_cas(table, key, version, codec.dumps_cell(value), ttl)

    def table_delete(self, table: str, key: str) -> bool:
        return self.store.table_delete(table, key)

    def table_pop(self, table: str, key: str) -> tuple[bool, Any]:
        data = self.store.table_pop(table, key)
        return (False, None) if data is None else (True, codec.loads_cell(data))

    def table_append(self, table: str, key: str, item: object, ttl: float | None) -> int:
        return self.store.table_append(table, key, codec.dumps(item, in_table=True)[0], ttl)

    def table_keys(self, table: str, pattern: str) -> list[str]:
        return self.store.table_keys(table, pattern)

    def table_items(self, table: str, pattern: str) -> list[tuple[str, Any]]:
        return [(key, codec.loads_cell(data)) for key, data in self.store.table_items(table, pattern)]

    def table_len(self, table: str) -> int:
        return self.store.table_len(table)

    def table_clear(self, table: str) -> int:
        return self.store.table_clear(table)

    def tables(self) -> list[str]:
        return self.store.tables()

    def advance_clock(self, seconds: float) -> float:
        return self.store.advance_clock(seconds)

    @staticmethod
    def _owner() -> str:
        return current_owner()
