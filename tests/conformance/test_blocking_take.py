"""A blocking take in each protocol is woken by a put from each other protocol."""

from __future__ import annotations

import itertools
import threading

import pytest

from bench.endpoints import PROTOCOLS
from tests.support import wait_until

PAIRS = [(waiter, waker) for waiter, waker in itertools.product(PROTOCOLS, PROTOCOLS) if waiter != waker]


@pytest.mark.parametrize(("waiter", "waker"), PAIRS, ids=[f"{a}-woken-by-{b}" for a, b in PAIRS])
def test_blocked_take_is_woken_by_the_put(endpoint, stash, token, waiter: str, waker: str) -> None:
    path = "/conformance/wake"
    taker, putter = endpoint(waiter), endpoint(waker)
    result: list[str | None] = []
    thread = threading.Thread(target=lambda: result.append(taker.take(token, path, timeout=20)))
    thread.start()
    # The take is in place (in its server process) before anything is put.
    assert wait_until(lambda: stash.waiting(token, path=path) == 1, timeout=10)
    assert putter.put(token, f"woken by {waker}", path) is None
    thread.join(30)
    assert result == [f"woken by {waker}"]
    assert stash.waiting(token, path=path) == 0
