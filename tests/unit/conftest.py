"""Fixtures for the I/O-free unit tests (no servers, no sockets); plain helpers are in tests/support.py."""

from __future__ import annotations

import multiprocessing
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harness.stash import LocalBackend, Stash, StashStore
from harness.stash.client import ManagerBackend
from harness.stash.manager import run_stash_server
from harness.stash.redis_backend import RedisBackend
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


# -- the same suite on every backend ---------------------------------------------------------
#
# ``any_stash`` is parametrized over the in-process store, the manager server (a real stash
# server process on a unix socket) and a real redis-server. These are the only unit tests
# that do I/O: the point is to prove one set of semantics on every transport.

BACKENDS = ("local", "manager", "redis")


@pytest.fixture
def manager_stash_address(tmp_path: Path) -> Iterator[tuple[str, bytes]]:
    """A fresh stash server process for one test: ``(socket path, authkey)``."""
    context = multiprocessing.get_context("fork")
    address = str(tmp_path / "stash.sock")
    authkey = os.urandom(16)
    reader, writer = context.Pipe(duplex=False)

    def serve() -> None:
        run_stash_server(address, authkey, on_listening=lambda bound: writer.send(bound), test_clock=True)

    process = context.Process(target=serve, daemon=True)
    process.start()
    try:
        assert reader.poll(30), "the stash server did not start"
        reader.recv()
        yield address, authkey
    finally:
        process.terminate()
        process.join(10)
        reader.close()
        writer.close()


@pytest.fixture(params=BACKENDS)
def any_stash(request: pytest.FixtureRequest) -> Stash:
    """A fresh, empty stash with default path ``/unit.py`` on each backend in turn."""
    if request.param == "local":
        return Stash("/unit.py", backend=LocalBackend(StashStore(test_clock=True)))
    if request.param == "manager":
        address, authkey = request.getfixturevalue("manager_stash_address")
        return Stash("/unit.py", backend=ManagerBackend.shared(address, authkey))
    server = request.getfixturevalue("redis_server")
    run = uuid.uuid4().hex  # a fresh run: its own key prefix, so nothing is shared
    return Stash("/unit.py", backend=RedisBackend(server.url, run, os.urandom(16), test_clock=True))


@pytest.fixture
def lockers_blocked() -> Callable[[Stash, int], bool]:
    """Wait (bounded) until ``count`` threads are blocked acquiring the lock, where observable.

    Only the in-process store exposes its lock waiters; on a server backend this returns
    ``True`` and the test relies on its acquire's timeout being far longer than needed.
    """

    def wait(stash: Stash, count: int) -> bool:
        backend = stash.backend
        if isinstance(backend, LocalBackend):
            store = backend.store
            return wait_until(lambda: len(store._lock_changed._waiters) == count)  # type: ignore[attr-defined]
        return True

    return wait
