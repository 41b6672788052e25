"""The stash semantics, in one process and without I/O.

A :class:`StashStore` holds opaque payloads under ``(path, key)`` and enforces the rules
every transport must keep: write-once, read-once, blocking takes that are woken by the put
itself, and one non-reentrant lock with an owner. Keys and paths arrive already normalised
(:mod:`harness.stash.keys`); payloads are bytes the store never looks into.

>>> store = StashStore()
>>> store.put("/a.py", "6f0d3c3a-9c1b-4a86-8f61-1c4e8b5a2d10", b"value")
>>> store.take("/a.py", "6f0d3c3a-9c1b-4a86-8f61-1c4e8b5a2d10").payload
b'value'
>>> store.take("/a.py", "6f0d3c3a-9c1b-4a86-8f61-1c4e8b5a2d10") is None
True
"""

from __future__ import annotations

import fnmatch
import math
import threading
import time
from collections import deque
from dataclasses import dataclass

from .errors import StashError

__all__ = ["Entry", "EntryInfo", "StashStore", "owner_id", "value_too_large"]


class Entry:
    """One stored value: its pickled bytes and the manager objects it refers to.

    Two entries are equal when those are; ``created`` (monotonic seconds) is not compared.
    """

    __slots__ = ("created", "payload", "refs")

    def __init__(self, payload: bytes, refs: tuple[str, ...] = (), created: float | None = None) -> None:
        self.payload = payload
        self.refs = refs
        self.created = time.monotonic() if created is None else created

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
    """What a listing tells about a live entry, without taking it."""

    path: str
    key: str
    size: int
    age: float


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


def _process_of(owner: str) -> str:
    return owner.partition("/")[0]


class StashStore:
    """Write-once, read-once values under ``(path, key)``, safe for concurrent threads.

    ``max_value_bytes`` bounds one payload (``None``: no bound). Every method is one atomic
    step: two racing ``put`` calls of one key give one success and one :class:`StashError`,
    and a value is handed to exactly one ``take``.
    """

    def __init__(self, max_value_bytes: int | None = None) -> None:
        self.max_value_bytes = max_value_bytes
        self._mutex = threading.Lock()
        self._entries: dict[tuple[str, str], Entry] = {}
        self._waiters: dict[tuple[str, str], deque[_Waiter]] = {}
        self._lock_changed = threading.Condition(self._mutex)
        self._lock_owner: str | None = None
        self._gone_processes: set[str] = set()

    # -- values ---------------------------------------------------------------------------

    def put(self, path: str, key: str, payload: bytes, refs: tuple[str, ...] = (), owner: str = "") -> None:
        """Store ``payload``, or hand it straight to the oldest blocked taker.

        Raises :class:`StashError` when ``(path, key)`` already holds a value and
        :class:`ValueError` when the payload is over ``max_value_bytes``.
        """
        if self.max_value_bytes is not None and len(payload) > self.max_value_bytes:
            raise value_too_large(path, key, len(payload), self.max_value_bytes)
        slot = (path, key)
        with self._mutex:
            if slot in self._entries:
                raise StashError(f"stash key {key} at path {path!r} already holds a value (values are write-once)")
            self._deliver(slot, Entry(payload, refs))

    def _deliver(self, slot: tuple[str, str], entry: Entry) -> None:
        """Hand ``entry`` to the oldest live taker waiting for ``slot``, or store it (mutex held)."""
        waiters = self._waiters.get(slot)
        while waiters:
            waiter = waiters.popleft()
            if _process_of(waiter.owner) in self._gone_processes:
                continue
            if not waiters:
                del self._waiters[slot]
            waiter.entry = entry
            waiter.event.set()
            return
        self._waiters.pop(slot, None)
        self._entries[slot] = entry

    def restore(self, path: str, key: str, entry: Entry) -> bool:
        """Put back a value whose taker never got it; ``False`` if a new value took its place.

        The oldest blocked taker gets it, as with a put.
        """
        slot = (path, key)
        with self._mutex:
            if slot in self._entries:
                return False
            self._deliver(slot, entry)
            return True

    def take(self, path: str, key: str, timeout: float | None = None, owner: str = "") -> Entry | None:
        """Remove and return the entry at ``(path, key)``; ``None`` when there is none.

        With a ``timeout`` (seconds, ``math.inf`` for no limit) an absent entry is waited
        for: the put that arrives first is handed to the oldest waiter.
        """
        slot = (path, key)
        with self._mutex:
            entry = self._entries.pop(slot, None)
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
        now = time.monotonic()
        with self._mutex:
            items = list(self._entries.items())
        return [
            EntryInfo(path, key, len(entry.payload), now - entry.created)
            for (path, key), entry in items
            if fnmatch.fnmatchcase(path, path_pattern) and fnmatch.fnmatchcase(key, key_pattern)
        ]

    def waiting(self, path: str, key: str) -> int:
        """How many takes are blocked waiting for ``(path, key)``."""
        with self._mutex:
            return len(self._waiters.get((path, key), ()))

    def __len__(self) -> int:
        with self._mutex:
            return len(self._entries)

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
