"""A stash call cut off mid-way (a handler timeout, a client that dies) loses nothing:
a taken value goes back, a granted lock is released."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import uuid

import pytest

from harness.stash.envconfig import ENV_VAR
from pytest_harness import Harness
from tests.support import wait_until

pytestmark = pytest.mark.usefixtures("stash_sentinel")


def get(harness: Harness, path: str) -> tuple[int, str]:
    with harness.http_session() as session:
        response = session.get(path, timeout=60)
        return response.status_code, response.text


def test_a_handler_timed_out_while_waiting_for_the_lock_does_not_keep_it(strict_harness: Harness) -> None:
    marker = uuid.uuid4()
    holder = threading.Thread(target=get, args=(strict_harness, f"/api/lock_hold.py?id={marker}&seconds=2.5"))
    holder.start()
    assert strict_harness.stash().take(marker, path="/lock-test", timeout=10) == "holding"
    # This handler waits for the lock past its 1.5 s handler timeout: its client gets a 504.
    assert get(strict_harness, "/api/lock_try.py?timeout=30")[0] == 504
    # The holder releases at 2.5 s; the abandoned waiter is granted the lock and hands it back.
    assert get(strict_harness, "/api/lock_try.py?timeout=10") == (200, "acquired")
    holder.join(30)


def test_a_handler_timed_out_in_a_blocking_take_puts_the_value_back(strict_harness: Harness) -> None:
    key = uuid.uuid4()
    assert get(strict_harness, f"/api/take_wait.py?id={key}&path=/abandoned&timeout=30")[0] == 504
    stash = strict_harness.stash()
    # The handler's take is still waiting in the stash server; the put reaches it...
    assert wait_until(lambda: stash.waiting(key, path="/abandoned") == 1)
    stash.put(key, "not lost", path="/abandoned")
    # ...and the value comes back, since that handler was already answered.
    assert stash.take(key, path="/abandoned", timeout=10) == "not lost"


def _client(harness: Harness, code: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, ENV_VAR: harness.stash_config}
    return subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE)


def test_a_value_handed_to_a_taker_that_died_goes_back(strict_harness: Harness) -> None:
    key = uuid.uuid4()
    stash = strict_harness.stash()
    taker = _client(strict_harness, f"from harness.stash import Stash; Stash('/dead').take('{key}', timeout=60)")
    try:
        assert wait_until(lambda: stash.waiting(key, path="/dead") == 1)
        os.kill(taker.pid, signal.SIGKILL)
        taker.wait(10)
        stash.put(key, "for a dead taker", path="/dead")
        assert stash.take(key, path="/dead", timeout=10) == "for a dead taker"
    finally:
        taker.kill()


def test_the_lock_of_a_client_that_died_is_released(strict_harness: Harness) -> None:
    holder = _client(
        strict_harness,
        "import time; from harness.stash import Stash; s = Stash('/x'); s.lock.acquire(); print('held', flush=True); "
        "time.sleep(60)",
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == b"held\n"
        lock = strict_harness.stash().lock
        assert not lock.acquire(blocking=False)
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(10)
        assert lock.acquire(timeout=10)
        lock.release()
    finally:
        holder.kill()
