"""The small interface every stash transport implements, and the in-process one.

A backend receives keys and paths already normalised and returns values already decoded.
It must keep the guarantees of :class:`~harness.stash.store.StashStore`: each put and take
atomic, write-once, read-once, blocking takes woken by the put, one non-reentrant lock per
thread of a process. The manager transport (:mod:`harness.stash.client`) is the default;
:class:`LocalBackend` serves a single process (unit tests, tools).
"""

from __future__ import annotations

from typing import Any, Protocol

from . import codec
from .errors import StashError
from .identity import current_owner
from .store import EntryInfo, StashStore

__all__ = ["LocalBackend", "StashBackend"]


class StashBackend(Protocol):
    """What :class:`~harness.stash.Stash` needs from a transport."""

    def put(self, path: str, key: str, value: object) -> None: ...

    def take(self, path: str, key: str, timeout: float | None) -> Any: ...

    def acquire_lock(self, timeout: float | None) -> bool: ...

    def release_lock(self) -> None: ...

    def entries(self, path_pattern: str, key_pattern: str) -> list[EntryInfo]: ...

    def waiting(self, path: str, key: str) -> int: ...

    def new_queue(self) -> Any: ...


class LocalBackend:
    """A stash in this process only, with the same semantics (values are still copies).

    >>> from harness.stash import Stash
    >>> stash = Stash("/a.py", backend=LocalBackend())
    >>> stash.put("6f0d3c3a-9c1b-4a86-8f61-1c4e8b5a2d10", [1, 2])
    >>> stash.take("6f0d3c3a-9c1b-4a86-8f61-1c4e8b5a2d10")
    [1, 2]
    """

    def __init__(self, store: StashStore | None = None) -> None:
        self.store = store if store is not None else StashStore()

    def put(self, path: str, key: str, value: object) -> None:
        payload, _refs = codec.dumps(value)
        self.store.put(path, key, payload, (), self._owner())

    def take(self, path: str, key: str, timeout: float | None) -> Any:
        entry = self.store.take(path, key, timeout, self._owner())
        return None if entry is None else codec.loads(entry.payload)

    def acquire_lock(self, timeout: float | None) -> bool:
        return self.store.acquire_lock(self._owner(), timeout)

    def release_lock(self) -> None:
        self.store.release_lock(self._owner())

    def entries(self, path_pattern: str, key_pattern: str) -> list[EntryInfo]:
        return self.store.entries(path_pattern, key_pattern)

    def waiting(self, path: str, key: str) -> int:
        return self.store.waiting(path, key)

    def new_queue(self) -> Any:
        raise StashError("queues to share between processes need the manager-backed stash (harness serve)")

    @staticmethod
    def _owner() -> str:
        return current_owner()
