"""Redis killed and restarted under load: what a put reported stored survives.

The test's redis-server writes an append-only file fsynced on every write (``appendfsync
always``), as a run that cannot lose values should configure it. Four threads put values
while the server is killed with SIGKILL and started again on the same port; every put that
returned is taken back afterwards. Puts that failed with :class:`StashUnavailable` had an
unknown outcome (the server may have stored the value before dying): they are counted, not
required.
"""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import pytest

from harness.stash import StashUnavailable
from harness.stash.redis_backend import RedisBackend
from tests.redis_support import REDIS_SERVER, RedisServer
from tests.support import wait_until

PATH = "/faults"
WORKERS = 4


def test_values_survive_a_redis_kill_and_restart_under_load(tmp_path: Path) -> None:
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path / "redis").start()
    backend = RedisBackend(server.url + "?timeout=2", uuid.uuid4().hex, b"fault-secret")
    stored: list[str] = []
    uncertain: list[str] = []
    errors: list[str] = []
    stop = threading.Event()
    lock = threading.Lock()

    def load() -> None:
        while not stop.is_set():
            key = str(uuid.uuid4())
            try:
                backend.put(PATH, key, key.encode() * 8)
            except StashUnavailable as exc:
                with lock:
                    uncertain.append(key)
                    errors.append(str(exc))
                stop.wait(0.01)  # the server is down: do not spin
                continue
            with lock:
                stored.append(key)

    threads = [threading.Thread(target=load, daemon=True) for _ in range(WORKERS)]
    try:
        for thread in threads:
            thread.start()
        assert wait_until(lambda: len(stored) >= 200, timeout=60)
        server.kill()
        before_restart = len(stored)
        assert wait_until(lambda: len(errors) >= WORKERS, timeout=30)
        # A blocking take on a dead server fails at once, never waits out its timeout.
        started = time.monotonic()
        with pytest.raises(StashUnavailable, match=f"127.0.0.1:{server.port}"):
            backend.take(PATH, str(uuid.uuid4()), 10)
        assert time.monotonic() - started < 5
        server.start()
        assert wait_until(lambda: len(stored) >= before_restart + 200, timeout=60)
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
    try:
        survived = sum(backend.take(PATH, key, None) == key.encode() * 8 for key in stored)
        late = sum(backend.take(PATH, key, None) is not None for key in uncertain)
        print(
            f"\nredis kill/restart: {len(stored)} puts reported stored, {survived} survived; "
            f"{len(uncertain)} failed with StashUnavailable, {late} of those had been stored"
        )
        assert survived == len(stored)
        assert all("fault-secret" not in message for message in errors)
    finally:
        server.stop()
