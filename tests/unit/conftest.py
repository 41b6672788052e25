"""Fixtures for the I/O-free unit tests (no servers, no sockets); plain helpers are in tests/support.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from harness.stash import LocalBackend, Stash, StashStore
from tests.support import PROMPT, Worker, wait_until


@pytest.fixture
def spawn() -> Iterator[Callable[..., Worker]]:
    """Start a :class:`Worker` thread; every one still running is reported at teardown."""
    started: list[Worker] = []

    def start(target: Callable[[], object], name: str = "worker") -> Worker:
        worker = Worker(target, name)
        started.append(worker)
        return worker.start()

    yield start
    stuck = [worker.thread.name for worker in started if not worker.finished.wait(PROMPT)]
    assert not stuck, f"threads still blocked after the test: {stuck}"


@pytest.fixture
def store() -> StashStore:
    return StashStore()


@pytest.fixture
def local_stash() -> Stash:
    """A stash in this process only, with default path ``/unit.py``."""
    return Stash("/unit.py", backend=LocalBackend())


@pytest.fixture
def blocked_takes() -> Callable[[StashStore, str, str, int], bool]:
    """Wait (bounded) until exactly ``count`` takes are blocked on ``(path, key)`` of a store.

    Reads a private detail of the store: no public call reports that a take is waiting.
    """

    def wait(store: StashStore, path: str, key: str, count: int) -> bool:
        def queued() -> int:
            with store._mutex:
                return len(store._waiters.get((path, key), ()))

        return wait_until(lambda: queued() == count, PROMPT, interval=0.001)

    return wait


@pytest.fixture
def blocked_lockers() -> Callable[[StashStore, int], bool]:
    """Wait (bounded) until exactly ``count`` threads are blocked in ``acquire_lock`` of a store."""

    def wait(store: StashStore, count: int) -> bool:
        return wait_until(lambda: len(store._lock_changed._waiters) == count, PROMPT, interval=0.001)  # type: ignore[attr-defined]

    return wait
