"""The stash semantics, in one process and without I/O.

A :class:`StashStore` holds opaque payloads under ``(path, key)`` and enforces the rules
every transport must keep: write-once, read-once, blocking takes that are woken by the put
itself, and one non-reentrant lock with an owner. Keys and paths arrive already normalised
(:mod:`harness.stash.keys`); payloads are bytes the store never looks into.

Beside that path space it holds named *tables* of mutable cells (:mod:`harness.stash.tables`
is the dict-like view), and deadlines: a value or cell with a TTL expires on the store's
clock (monotonic time plus an offset a test can move with :meth:`StashStore.advance_clock`).
Expiry is lazy: an access checks its own entry, and a heap of deadlines lets a sweep (on the
next operation once the earliest deadline passed, or from a timer) drop the rest without a
scan.

>>> store = StashStore()
>>> store.put("/a.py", "6f0d3c3a-9c1b-4a86-8f61-1c4e8b5a2d10", b"value")
>>> store.take("/a.py", "6f0d3c3a-9c1b-4a86-8f61-1c4e8b5a2d10").payload
b'value'
>>> store.take("/a.py", "6f0d3c3a-9c1b-4a86-8f61-1c4e8b5a2d10") is None
True
"""

from __future__ import annotations

import fnmatch
import heapq
import itertools
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from .codec import CellData
from .errors import StashError

__all__ = [
    "EXPIRED_HISTORY",
    "CellData",
    "Entry",
    "EntryInfo",
    "StashStore",
    "owner_id",
    "table_value_too_large",
    "value_too_large",
]

EXPIRED_HISTORY = 1024  # how many expired path-space values :meth:`StashStore.expired` remembers


class Entry:
    """One stored value: its pickled bytes and the manager objects it refers to.

    Two entries are equal when those are; ``created`` and ``deadline`` (seconds on the
    store's clock, ``None``: never expires) are not compared.
    """

    __slots__ = ("created", "deadline", "payload", "refs")

    def __init__(
        self,
        payload: bytes,
        refs: tuple[str, ...] = (),
        created: float | None = None,
        deadline: float | None = None,
    ) -> None:
        self.payload = payload
        self.refs = refs
        self.created = time.monotonic() if created is None else created
        self.deadline = deadline

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Entry):
            return NotImplemented
        return self.payload == other.payload and self.refs == other.refs

    def __hash__(self) -> int:
        return hash((self.payload, self.refs))

    def __repr__(self) -> str:
        return f"Entry(payload={self.payload!r}, refs={self.refs!r})"


@dataclass(frozen=True)
class EntryInfo:
    """What a listing tells about an entry, without taking it.

    ``age``: seconds since it was put; ``expires_in``: seconds left before its TTL runs out
    (``None``: it never expires; zero or less in :meth:`StashStore.expired`: how long ago).
    Times are on the run's stash clock.
    """

    path: str
    key: str
    size: int
    age: float
    expires_in: float | None = None

    @property
    def expired(self) -> bool:
        """Whether this describes a value whose TTL ran out before anyone took it."""
        return self.expires_in is not None and self.expires_in <= 0


class _Cell:
    """One table cell: its data, the version of its last write, its deadline."""

    __slots__ = ("data", "deadline", "size", "version")

    def __init__(self, data: CellData, version: int, deadline: float | None) -> None:
        self.data = data
        self.version = version
        self.deadline = deadline
        self.size = len(data) if isinstance(data, bytes) else sum(len(item) for item in data)


class _Waiter:
    """A blocked take, waiting for one put of its ``(path, key)``."""

    __slots__ = ("entry", "event", "owner")

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.event = threading.Event()
        self.entry: Entry | None = None


def owner_id(process: str, thread: int | str) -> str:
    """The identity of a lock holder or waiter: its process identity and its thread."""
    return f"{process}/{thread}"


def value_too_large(path: str, key: str, size: int, limit: int) -> ValueError:
    """The error for a pickled value over ``stash.max_value_bytes``."""
    return ValueError(
        f"stash value for key {key} at path {path!r} is {size} bytes pickled, "
        f"over the limit of {limit} bytes (stash.max_value_bytes)"
    )


def table_value_too_large(table: str, key: str, size: int, limit: int) -> ValueError:
    """The error for a table value (a list cell: the sum of its items) over ``stash.max_value_bytes``."""
    return ValueError(
        f"table {table!r} value for key {key!r} is {size} bytes pickled, "
        f"over the limit of {limit} bytes (stash.max_value_bytes)"
    )


def _process_of(owner: str) -> str:
    return owner.partition("/")[0]


class StashStore:
    """Write-once, read-once values under ``(path, key)``, safe for concurrent threads.

    ``max_value_bytes`` bounds one payload (``None``: no bound). ``default_ttl`` (seconds) is
    the TTL of a put that names none (``None``: such values never expire). ``test_clock``
    allows :meth:`advance_clock`; ``clock`` is the time source it offsets (unit tests pass a
    fake one). ``on_expire`` is called with each path-space entry that expired, so a server
    can release what it held for it; it runs with the store's mutex held, so it must be
    quick and must not call the store.

    Every method is one atomic step: two racing ``put`` calls of one key give one success
    and one :class:`StashError`, and a value is handed to exactly one ``take``.
    """

    def __init__(
        self,
        max_value_bytes: int | None = None,
        default_ttl: float | None = None,
        test_clock: bool = False,
        on_expire: Callable[[Entry], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_value_bytes = max_value_bytes
        self._clock = clock
        self.default_ttl = default_ttl
        self.test_clock = test_clock
        self.on_expire = on_expire
        self._mutex = threading.Lock()
        self._entries: dict[tuple[str, str], Entry] = {}
        self._waiters: dict[tuple[str, str], deque[_Waiter]] = {}
        self._lock_changed = threading.Condition(self._mutex)
        self._lock_owner: str | None = None
        self._gone_processes: set[str] = set()
        self._tables: dict[str, dict[str, _Cell]] = {}
        self._versions = itertools.count(1)
        self._offset = 0.0
        # (deadline, serial, slot, holder): holder is the Entry or _Cell that had that
        # deadline; an item whose holder is no longer at its slot with that deadline is stale.
        self._deadlines: list[tuple[float, int, tuple[str, str, str], Entry | _Cell]] = []
        self._serials = itertools.count()
        self._compact_at = 4096
        self._expired: deque[tuple[str, str, int, float, float]] = deque(maxlen=EXPIRED_HISTORY)

    # -- the clock and expiry -------------------------------------------------------------

    def now(self) -> float:
        """The store's clock: monotonic seconds plus the offset :meth:`advance_clock` moved."""
        return self._clock() + self._offset

    def advance_clock(self, seconds: float) -> float:
        """Move the store's clock ``seconds`` forward; return the total offset.

        ``advance_clock(0)`` only reads the offset and is always allowed; moving the clock
        needs ``test_clock`` (:class:`StashError` otherwise), and ``seconds`` must be a finite
        number >= 0 (:class:`ValueError`). Values whose deadline the clock passes expire at
        once.
        """
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise TypeError(f"seconds must be a number, not {type(seconds).__name__}")
        try:
            step = float(seconds)
        except OverflowError:  # an int too large for a float
            step = math.inf
        if not math.isfinite(step) or step < 0:
            raise ValueError(f"the stash clock only moves forward by a finite number of seconds, got {seconds!r}")
        if step == 0:
            return self._offset
        if not self.test_clock:
            raise StashError("this run's stash clock cannot be advanced: set stash.test_clock to true in its config")
        with self._mutex:
            if not math.isfinite(self._offset + step):
                raise ValueError(f"advancing the stash clock by {seconds!r} seconds would take it past any time")
            self._offset += step
            self._sweep_locked(self.now())
            return self._offset

    def _deadline(self, ttl: float | None, now: float) -> float | None:
        if ttl is None or math.isinf(ttl):
            return None
        if not ttl > 0:
            raise ValueError(f"a stash TTL must be a positive number of seconds, got {ttl!r}")
        return now + ttl

    def _schedule(self, deadline: float, slot: tuple[str, str, str], holder: Entry | _Cell) -> None:
        """Remember a deadline (mutex held)."""
        heapq.heappush(self._deadlines, (deadline, next(self._serials), slot, holder))
        if len(self._deadlines) > self._compact_at:
            self._compact()

    def _compact(self) -> None:
        """Drop stale deadlines (mutex held); keeps the heap proportional to live holders."""
        self._deadlines = [item for item in self._deadlines if self._holds(item[2], item[3], item[0])]
        heapq.heapify(self._deadlines)
        self._compact_at = max(4096, 2 * len(self._deadlines))

    def _holds(self, slot: tuple[str, str, str], holder: Entry | _Cell, deadline: float) -> bool:
        kind, name, key = slot
        current = self._entries.get((name, key)) if kind == "v" else self._tables.get(name, {}).get(key)
        return current is holder and holder.deadline == deadline

    def sweep(self) -> int:
        """Drop everything whose deadline passed; return how many. A timer may call it."""
        with self._mutex:
            return self._sweep_locked(self.now())

    def _sweep_due(self, now: float) -> None:
        """Sweep if the earliest deadline passed (mutex held): one comparison otherwise."""
        if self._deadlines and self._deadlines[0][0] <= now:
            self._sweep_locked(now)

    def _sweep_locked(self, now: float) -> int:
        """Pop passed deadlines and drop what they name (mutex held); return how many."""
        heap = self._deadlines
        count = 0
        while heap and heap[0][0] <= now:
            deadline, _serial, slot, holder = heapq.heappop(heap)
            if not self._holds(slot, holder, deadline):
                continue
            kind, name, key = slot
            if kind == "v":
                assert isinstance(holder, Entry)
                del self._entries[(name, key)]
                self._expire_entry(name, key, holder)
            else:
                self._drop_cell(name, key)
            count += 1
        return count

    def _expire_entry(self, path: str, key: str, entry: Entry) -> None:
        """Record a path-space entry that expired, already removed (mutex held)."""
        assert entry.deadline is not None
        self._expired.append((path, key, len(entry.payload), entry.created, entry.deadline))
        if self.on_expire is not None:
            self.on_expire(entry)

    def _drop_cell(self, table: str, key: str) -> None:
        cells = self._tables[table]
        del cells[key]
        if not cells:
            del self._tables[table]

    # -- values ---------------------------------------------------------------------------

    def put(
        self,
        path: str,
        key: str,
        payload: bytes,
        refs: tuple[str, ...] = (),
        owner: str = "",
        ttl: float | None = None,
    ) -> None:
        """Store ``payload``, or hand it straight to the oldest blocked taker.

        ``ttl``: seconds until the value expires if nobody took it; ``None`` uses
        ``default_ttl``, ``math.inf`` never expires. Raises :class:`StashError` when
        ``(path, key)`` already holds a value and :class:`ValueError` when the payload is
        over ``max_value_bytes`` or the TTL is not positive.
        """
        if self.max_value_bytes is not None and len(payload) > self.max_value_bytes:
            raise value_too_large(path, key, len(payload), self.max_value_bytes)
        if ttl is None:
            ttl = self.default_ttl
        slot = (path, key)
        with self._mutex:
            now = self.now()
            deadline = None if ttl is None else self._deadline(ttl, now)
            self._sweep_due(now)
            if slot in self._entries:
                raise StashError(f"stash key {key} at path {path!r} already holds a value (values are write-once)")
            entry = Entry(payload, refs, now, deadline)
            if self._deliver(slot, entry) and deadline is not None:
                self._schedule(deadline, ("v", path, key), entry)

    def _deliver(self, slot: tuple[str, str], entry: Entry) -> bool:
        """Hand ``entry`` to the oldest live taker waiting for ``slot``, or store it (mutex held).

        ``True`` when it was stored.
        """
        waiters = self._waiters.get(slot)
        while waiters:
            waiter = waiters.popleft()
            if _process_of(waiter.owner) in self._gone_processes:
                continue
            if not waiters:
                del self._waiters[slot]
            waiter.entry = entry
            waiter.event.set()
            return False
        self._waiters.pop(slot, None)
        self._entries[slot] = entry
        return True

    def restore(self, path: str, key: str, entry: Entry) -> bool:
        """Put back a value whose taker never got it; ``False`` if a new value took its place.

        The oldest blocked taker gets it, as with a put. It keeps its deadline (one that
        passed meanwhile counts as expiring now).
        """
        slot = (path, key)
        with self._mutex:
            if slot in self._entries:
                return False
            if self._deliver(slot, entry) and entry.deadline is not None:
                self._schedule(entry.deadline, ("v", path, key), entry)
            return True

    def take(self, path: str, key: str, timeout: float | None = None, owner: str = "") -> Entry | None:
        """Remove and return the entry at ``(path, key)``; ``None`` when there is none.

        With a ``timeout`` (seconds, ``math.inf`` for no limit) an absent entry is waited
        for: the put that arrives first is handed to the oldest waiter. An expired entry is
        absent.
        """
        slot = (path, key)
        with self._mutex:
            entry = self._entries.pop(slot, None)
            if entry is not None and entry.deadline is not None and entry.deadline <= self.now():
                self._expire_entry(path, key, entry)
                entry = None
            if entry is not None or not timeout:
                return entry
            waiter = _Waiter(owner)
            self._waiters.setdefault(slot, deque()).append(waiter)
        try:
            waiter.event.wait(None if math.isinf(timeout) else min(timeout, threading.TIMEOUT_MAX))
        finally:
            # Whether the wait ended, timed out or was interrupted: leave the queue, unless a
            # put handed us the value meanwhile (then it is returned below).
            with self._mutex:
                queue = self._waiters.get(slot)
                if queue is not None and waiter.entry is None:
                    try:
                        queue.remove(waiter)
                    except ValueError:
                        pass
                    if not queue:
                        del self._waiters[slot]
        return waiter.entry

    def entries(self, path_pattern: str = "*", key_pattern: str = "*") -> list[EntryInfo]:
        """List live entries whose path and key match the glob patterns (:mod:`fnmatch`)."""
        with self._mutex:
            now = self.now()
            self._sweep_due(now)
            items = list(self._entries.items())
        return [
            EntryInfo(
                path,
                key,
                len(entry.payload),
                now - entry.created,
                None if entry.deadline is None else entry.deadline - now,
            )
            for (path, key), entry in items
            if fnmatch.fnmatchcase(path, path_pattern) and fnmatch.fnmatchcase(key, key_pattern)
        ]

    def expired(self, path_pattern: str = "*", key_pattern: str = "*") -> list[EntryInfo]:
        """The most recent (at most :data:`EXPIRED_HISTORY`) values that expired untaken.

        ``expires_in`` is zero or negative: how long ago each expired.
        """
        with self._mutex:
            now = self.now()
            self._sweep_due(now)
            history = list(self._expired)
        return [
            EntryInfo(path, key, size, now - created, deadline - now)
            for path, key, size, created, deadline in history
            if fnmatch.fnmatchcase(path, path_pattern) and fnmatch.fnmatchcase(key, key_pattern)
        ]

    def waiting(self, path: str, key: str) -> int:
        """How many takes are blocked waiting for ``(path, key)``."""
        with self._mutex:
            return len(self._waiters.get((path, key), ()))

    def __len__(self) -> int:
        with self._mutex:
            return len(self._entries)

    # -- tables ---------------------------------------------------------------------------

    def _live_cell(self, table: str, key: str, now: float | None = None) -> _Cell | None:
        """The cell at ``table[key]`` unless absent or expired (mutex held; drops an expired one)."""
        cells = self._tables.get(table)
        if cells is None:
            return None
        cell = cells.get(key)
        if cell is None or cell.deadline is None:
            return cell
        if cell.deadline <= (self.now() if now is None else now):
            self._drop_cell(table, key)
            return None
        return cell

    def _check_size(self, table: str, key: str, size: int) -> None:
        if self.max_value_bytes is not None and size > self.max_value_bytes:
            raise table_value_too_large(table, key, size, self.max_value_bytes)

    def _write_cell(self, table: str, key: str, data: CellData, ttl: float | None) -> None:
        """Replace ``table[key]`` (mutex held, size checked)."""
        now = self.now()
        deadline = None if ttl is None else self._deadline(ttl, now)
        cell = _Cell(data, next(self._versions), deadline)
        self._tables.setdefault(table, {})[key] = cell
        if deadline is not None:
            self._schedule(deadline, ("t", table, key), cell)

    def table_get(self, table: str, key: str) -> tuple[int, CellData] | None:
        """``(version, data)`` of ``table[key]``, or ``None`` when absent or expired."""
        with self._mutex:
            cell = self._live_cell(table, key)
            if cell is None:
                return None
            data = cell.data
            return cell.version, (data if isinstance(data, bytes) else list(data))

    def table_set(self, table: str, key: str, data: CellData, ttl: float | None = None) -> int:
        """Set ``table[key]``; return its new version. ``ttl`` None: no deadline."""
        probe = _Cell(data, 0, None)
        self._check_size(table, key, probe.size)
        with self._mutex:
            self._write_cell(table, key, data, ttl)
            return self._tables[table][key].version

    def table_cas(self, table: str, key: str, version: int | None, data: CellData, ttl: float | None = None) -> bool:
        """Set ``table[key]`` only if its version is ``version`` (``None``: only if absent)."""
        probe = _Cell(data, 0, None)
        self._check_size(table, key, probe.size)
        with self._mutex:
            cell = self._live_cell(table, key)
            current = None if cell is None else cell.version
            if current != version:
                return False
            self._write_cell(table, key, data, ttl)
            return True

    def table_delete(self, table: str, key: str) -> bool:
        """Remove ``table[key]``; ``False`` if it was absent or expired."""
        with self._mutex:
            if self._live_cell(table, key) is None:
                return False
            self._drop_cell(table, key)
            return True

    def table_pop(self, table: str, key: str) -> CellData | None:
        """Remove ``table[key]`` and return its data; ``None`` if absent or expired."""
        with self._mutex:
            cell = self._live_cell(table, key)
            if cell is None:
                return None
            self._drop_cell(table, key)
            return cell.data

    def table_append(self, table: str, key: str, item: bytes, ttl: float | None = None) -> int:
        """Append ``item`` to the list at ``table[key]`` (created if absent); return its length.

        :class:`StashError` if ``table[key]`` holds a value that is not a list. The cell gets
        a new version and its deadline from ``ttl`` (``None``: none).
        """
        with self._mutex:
            now = self.now()
            deadline = None if ttl is None else self._deadline(ttl, now)  # a bad ttl changes nothing
            cell = self._live_cell(table, key, now)
            if cell is None:
                self._check_size(table, key, len(item))
                self._write_cell(table, key, [item], ttl)
                return 1
            if isinstance(cell.data, bytes):
                raise StashError(f"table {table!r} key {key!r} holds a value that is not a list; cannot append to it")
            self._check_size(table, key, cell.size + len(item))
            cell.data.append(item)
            cell.size += len(item)
            cell.version = next(self._versions)
            cell.deadline = deadline
            if cell.deadline is not None:
                self._schedule(cell.deadline, ("t", table, key), cell)
            return len(cell.data)

    def _live_cells(self, table: str, pattern: str) -> list[tuple[str, _Cell]]:
        """Live cells of ``table`` whose key matches ``pattern`` (mutex held)."""
        self._sweep_due(self.now())
        cells = self._tables.get(table)
        if not cells:
            return []
        if pattern == "*":
            return list(cells.items())
        return [(key, cell) for key, cell in cells.items() if fnmatch.fnmatchcase(key, pattern)]

    def table_keys(self, table: str, pattern: str = "*") -> list[str]:
        """The live keys of ``table`` that match the glob ``pattern``, in insertion order."""
        with self._mutex:
            return [key for key, _cell in self._live_cells(table, pattern)]

    def table_items(self, table: str, pattern: str = "*") -> list[tuple[str, CellData]]:
        """``(key, data)`` of the live cells of ``table`` whose key matches ``pattern``."""
        with self._mutex:
            return [
                (key, cell.data if isinstance(cell.data, bytes) else list(cell.data))
                for key, cell in self._live_cells(table, pattern)
            ]

    def table_len(self, table: str) -> int:
        """How many live cells ``table`` has."""
        with self._mutex:
            return len(self._live_cells(table, "*"))

    def table_clear(self, table: str) -> int:
        """Remove every cell of ``table``; return how many were live."""
        with self._mutex:
            count = len(self._live_cells(table, "*"))
            self._tables.pop(table, None)
            return count

    def tables(self) -> list[str]:
        """The names of the tables holding at least one live cell, sorted."""
        with self._mutex:
            self._sweep_due(self.now())
            return sorted(self._tables)

    # -- the global lock ------------------------------------------------------------------

    def acquire_lock(self, owner: str, timeout: float | None = None) -> bool:
        """Acquire the one stash lock for ``owner``; ``False`` if ``timeout`` ran out.

        The lock is not reentrant: an owner that already holds it gets :class:`StashError`
        instead of a deadlock.
        """
        deadline = None if timeout is None or timeout > threading.TIMEOUT_MAX else time.monotonic() + timeout
        with self._lock_changed:
            if self._lock_owner == owner:
                raise StashError("the stash lock is already held by this thread; it is not reentrant")
            while self._lock_owner is not None:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._lock_changed.wait(remaining)
            if _process_of(owner) in self._gone_processes:
                self._lock_changed.notify()  # pass the wake-up on to a live waiter
                return False
            self._lock_owner = owner
            return True

    def release_lock(self, owner: str) -> None:
        """Release the lock; :class:`StashError` if ``owner`` does not hold it."""
        with self._lock_changed:
            if self._lock_owner != owner:
                held = "is not held" if self._lock_owner is None else "is held by another thread or process"
                raise StashError(f"cannot release the stash lock: it {held}")
            self._lock_owner = None
            self._lock_changed.notify()

    def release_lock_of(self, process: str) -> bool:
        """Release the lock if a thread of ``process`` holds it (its connections are gone)."""
        with self._lock_changed:
            if self._lock_owner is None or _process_of(self._lock_owner) != process:
                return False
            self._lock_owner = None
            self._lock_changed.notify()
            return True

    def lock_holder(self) -> str | None:
        """The owner id holding the lock, or ``None``."""
        with self._mutex:
            return self._lock_owner

    # -- faults ---------------------------------------------------------------------------

    def forget_process(self, process: str) -> None:
        """Drop what a dead process held: its lock, and its place among blocked takers.

        ``process`` is the identity its owner ids start with. Values it put stay stored:
        they belong to whoever takes them.
        """
        gone = process
        with self._lock_changed:
            self._gone_processes.add(gone)
            if self._lock_owner is not None and _process_of(self._lock_owner) == gone:
                self._lock_owner = None
                self._lock_changed.notify()
            for slot in list(self._waiters):
                queue = self._waiters[slot]
                for waiter in [w for w in queue if _process_of(w.owner) == gone]:
                    queue.remove(waiter)
                    waiter.event.set()
                if not queue:
                    del self._waiters[slot]
