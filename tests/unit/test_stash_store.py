"""harness.stash.store.StashStore: write-once, read-once, blocking takes and the one lock."""

from __future__ import annotations

import math
import sys
import threading

import pytest

from harness.stash import StashError, StashStore
from harness.stash.store import Entry, EntryInfo, owner_id
from tests.support import PROMPT

K1 = "6f0d3c3a-9c1b-4a86-8f61-1c4e8b5a2d10"
K2 = "00000000-0000-4000-8000-000000000002"
P = "/a.py"


# -- values --------------------------------------------------------------------------------


def test_put_then_take_returns_the_payload_once(store: StashStore) -> None:
    store.put(P, K1, b"value")
    entry = store.take(P, K1)
    assert isinstance(entry, Entry)
    assert entry.payload == b"value"
    assert store.take(P, K1) is None
    assert len(store) == 0


def test_take_of_absent_key_is_none_without_waiting(store: StashStore) -> None:
    assert store.take(P, K1) is None
    assert store.take(P, K1, timeout=0) is None
    assert store.take(P, K1, timeout=0.0) is None


def test_second_put_of_live_key_is_stash_error_naming_key_and_path(store: StashStore) -> None:
    store.put(P, K1, b"first")
    with pytest.raises(StashError, match=rf"stash key {K1} at path '/a\.py' already holds a value"):
        store.put(P, K1, b"second")
    entry = store.take(P, K1)
    assert entry is not None
    assert entry.payload == b"first"


def test_key_can_be_put_again_after_it_was_taken(store: StashStore) -> None:
    store.put(P, K1, b"one")
    assert store.take(P, K1) is not None
    store.put(P, K1, b"two")
    entry = store.take(P, K1)
    assert entry is not None
    assert entry.payload == b"two"


def test_empty_payload_is_a_stored_value(store: StashStore) -> None:
    store.put(P, K1, b"")
    assert len(store) == 1
    entry = store.take(P, K1)
    assert entry is not None
    assert entry.payload == b""


def test_refs_are_kept_with_the_entry(store: StashStore) -> None:
    store.put(P, K1, b"x", refs=("queue-1",))
    entry = store.take(P, K1)
    assert entry is not None
    assert entry.refs == ("queue-1",)


def test_paths_scope_keys(store: StashStore) -> None:
    store.put("/a.py", K1, b"a")
    store.put("/b.py", K1, b"b")
    assert store.take("/b.py", K1) == Entry(b"b")
    assert store.take("/b.py", K1) is None
    assert store.take("/a.py", K1) == Entry(b"a")


@pytest.mark.parametrize("limit", [0, 1, 10])
def test_payload_at_the_limit_is_stored(limit: int) -> None:
    store = StashStore(max_value_bytes=limit)
    store.put(P, K1, b"x" * limit)
    assert store.take(P, K1) == Entry(b"x" * limit)


def test_payload_over_the_limit_is_value_error_and_not_stored() -> None:
    store = StashStore(max_value_bytes=4)
    with pytest.raises(ValueError, match=r"is 5 bytes pickled, over the limit of 4 bytes \(stash.max_value_bytes\)"):
        store.put(P, K1, b"12345")
    assert len(store) == 0
    assert store.entries() == []
    store.put(P, K1, b"1234")  # the failed put left nothing behind: the key is free
    assert len(store) == 1


def test_payload_over_the_limit_is_not_handed_to_a_blocked_taker(spawn, blocked_takes) -> None:
    store = StashStore(max_value_bytes=1)
    taker = spawn(lambda: store.take(P, K1, timeout=PROMPT))
    assert blocked_takes(store, P, K1, 1)
    with pytest.raises(ValueError, match="over the limit"):
        store.put(P, K1, b"too big")
    assert not taker.finished.is_set()
    store.put(P, K1, b"k")
    assert taker.join() == Entry(b"k")


# -- blocking takes ------------------------------------------------------------------------


def test_blocked_take_is_woken_by_a_put_from_another_thread(store: StashStore, spawn, blocked_takes) -> None:
    taker = spawn(lambda: store.take(P, K1, timeout=PROMPT))
    assert blocked_takes(store, P, K1, 1)
    putter = spawn(lambda: store.put(P, K1, b"from another thread"))
    putter.join()
    assert taker.join() == Entry(b"from another thread")
    assert len(store) == 0, "a value handed to a taker is not also stored"


def test_take_waiting_without_limit_is_woken_by_a_put(store: StashStore, spawn, blocked_takes) -> None:
    taker = spawn(lambda: store.take(P, K1, timeout=math.inf))
    assert blocked_takes(store, P, K1, 1)
    store.put(P, K1, b"v")
    assert taker.join() == Entry(b"v")


def test_take_that_times_out_returns_none_and_leaves_no_waiter(store: StashStore, blocked_takes) -> None:
    assert store.take(P, K1, timeout=0.05) is None
    assert blocked_takes(store, P, K1, 0)
    store.put(P, K1, b"later")
    assert len(store) == 1, "the put after the timeout is stored, not handed to the departed taker"


def test_blocked_take_is_not_woken_by_a_put_of_another_key_or_path(store: StashStore, spawn, blocked_takes) -> None:
    taker = spawn(lambda: store.take(P, K1, timeout=PROMPT))
    assert blocked_takes(store, P, K1, 1)
    store.put(P, K2, b"other key")
    store.put("/other.py", K1, b"other path")
    assert not taker.finished.is_set()
    assert len(store) == 2
    store.put(P, K1, b"mine")
    assert taker.join() == Entry(b"mine")


def test_one_put_goes_to_exactly_one_of_several_blocked_takers(store: StashStore, spawn, blocked_takes) -> None:
    takers = [spawn(lambda: store.take(P, K1, timeout=1.0), name=f"taker-{i}") for i in range(4)]
    assert blocked_takes(store, P, K1, 4)
    store.put(P, K1, b"only one")
    results = [taker.join() for taker in takers]
    assert results.count(Entry(b"only one")) == 1
    assert results.count(None) == 3
    assert len(store) == 0


def test_blocked_takers_are_served_in_arrival_order(store: StashStore, spawn, blocked_takes) -> None:
    takers = []
    for index in range(3):
        takers.append(spawn(lambda: store.take(P, K1, timeout=PROMPT), name=f"taker-{index}"))
        assert blocked_takes(store, P, K1, index + 1)
    for index, taker in enumerate(takers):
        store.put(P, K1, b"%d" % index)
        assert taker.join() == Entry(b"%d" % index)
        assert all(not later.finished.is_set() for later in takers[index + 1 :])


def test_concurrent_puts_of_one_key_give_one_success(store: StashStore, spawn) -> None:
    barrier = threading.Barrier(8)

    def put(index: int) -> str:
        barrier.wait(PROMPT)
        try:
            store.put(P, K1, b"%d" % index)
        except StashError:
            return "refused"
        return "stored"

    workers = [spawn(lambda i=i: put(i)) for i in range(8)]
    outcomes = [worker.join() for worker in workers]
    assert outcomes.count("stored") == 1
    assert outcomes.count("refused") == 7
    assert len(store) == 1


def test_concurrent_takes_of_one_value_give_it_once(store: StashStore, spawn) -> None:
    store.put(P, K1, b"once")
    barrier = threading.Barrier(8)

    def take() -> Entry | None:
        barrier.wait(PROMPT)
        return store.take(P, K1)

    results = [worker.join() for worker in [spawn(take) for _ in range(8)]]
    assert results.count(Entry(b"once")) == 1
    assert results.count(None) == 7


# -- listing -------------------------------------------------------------------------------


def test_entries_lists_live_values_without_taking_them(store: StashStore) -> None:
    store.put("/a.py", K1, b"abc")
    store.put("/b/c.py", K2, b"")
    listed = sorted(store.entries(), key=lambda info: info.path)
    assert [(info.path, info.key, info.size) for info in listed] == [("/a.py", K1, 3), ("/b/c.py", K2, 0)]
    assert all(isinstance(info, EntryInfo) and info.age >= 0 for info in listed)
    assert len(store) == 2


@pytest.mark.parametrize(
    ("path_pattern", "key_pattern", "expected"),
    [
        ("*", "*", {("/a.py", K1), ("/b/c.py", K2), ("/b/d.py", K1)}),
        ("/b/*", "*", {("/b/c.py", K2), ("/b/d.py", K1)}),
        ("*", K1, {("/a.py", K1), ("/b/d.py", K1)}),
        ("*", "6f0d*", {("/a.py", K1), ("/b/d.py", K1)}),
        ("/b/?.py", "0000*", {("/b/c.py", K2)}),
        ("/a.py", K2, set()),
        ("/A.PY", "*", set()),  # matching is case-sensitive
        ("*", K1.upper(), set()),  # the store sees normalised keys; Stash.entries normalises the pattern
        ("/[ab]*", "*", {("/a.py", K1), ("/b/c.py", K2), ("/b/d.py", K1)}),
    ],
)
def test_entries_filters_by_glob_on_path_and_key(
    store: StashStore, path_pattern: str, key_pattern: str, expected: set[tuple[str, str]]
) -> None:
    store.put("/a.py", K1, b"1")
    store.put("/b/c.py", K2, b"2")
    store.put("/b/d.py", K1, b"3")
    assert {(info.path, info.key) for info in store.entries(path_pattern, key_pattern)} == expected


def test_entries_omits_taken_values(store: StashStore) -> None:
    store.put(P, K1, b"x")
    store.take(P, K1)
    assert store.entries() == []


# -- the lock ------------------------------------------------------------------------------


def test_lock_acquire_and_release(store: StashStore) -> None:
    assert store.lock_holder() is None
    assert store.acquire_lock("p/1") is True
    assert store.lock_holder() == "p/1"
    store.release_lock("p/1")
    assert store.lock_holder() is None
    assert store.acquire_lock("p/2", timeout=0) is True


def test_owner_id_joins_process_and_thread() -> None:
    assert owner_id("1234-abcd", 99) == "1234-abcd/99"


def test_lock_is_not_reentrant(store: StashStore) -> None:
    assert store.acquire_lock("p/1")
    with pytest.raises(StashError, match="already held by this thread; it is not reentrant"):
        store.acquire_lock("p/1", timeout=0)
    assert store.lock_holder() == "p/1"


def test_release_by_another_owner_is_stash_error(store: StashStore) -> None:
    assert store.acquire_lock("p/1")
    with pytest.raises(StashError, match="is held by another thread or process"):
        store.release_lock("p/2")
    assert store.lock_holder() == "p/1"


def test_release_of_a_free_lock_is_stash_error(store: StashStore) -> None:
    with pytest.raises(StashError, match="cannot release the stash lock: it is not held"):
        store.release_lock("p/1")


@pytest.mark.parametrize("timeout", [0, 0.0, 0.05])
def test_acquire_of_a_held_lock_times_out_with_false(store: StashStore, timeout: float) -> None:
    assert store.acquire_lock("p/1")
    assert store.acquire_lock("p/2", timeout=timeout) is False
    assert store.lock_holder() == "p/1"


def test_blocked_acquire_gets_the_lock_when_it_is_released(store: StashStore, spawn, blocked_lockers) -> None:
    assert store.acquire_lock("p/1")
    waiter = spawn(lambda: store.acquire_lock("p/2", timeout=math.inf))
    assert blocked_lockers(store, 1)
    assert not waiter.finished.is_set()
    store.release_lock("p/1")
    assert waiter.join() is True
    assert store.lock_holder() == "p/2"


def test_lock_gives_mutual_exclusion_across_threads(store: StashStore, spawn) -> None:
    threads, rounds = 8, 200
    barrier = threading.Barrier(threads)
    state = {"count": 0, "inside": 0, "overlaps": 0}

    def work() -> None:
        owner = owner_id("proc", threading.get_ident())
        barrier.wait(PROMPT)
        for _ in range(rounds):
            assert store.acquire_lock(owner, timeout=PROMPT)
            try:
                state["inside"] += 1
                if state["inside"] != 1:
                    state["overlaps"] += 1
                count = state["count"]
                for _ in range(50):  # widen the read-modify-write window
                    pass
                state["count"] = count + 1
                state["inside"] -= 1
            finally:
                store.release_lock(owner)

    # Switch threads very often, so that a lock that does not exclude is caught in the act.
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        workers = [spawn(work, name=f"locker-{i}") for i in range(threads)]
        for worker in workers:
            worker.join(timeout=4 * PROMPT)
    finally:
        sys.setswitchinterval(previous)
    assert state == {"count": threads * rounds, "inside": 0, "overlaps": 0}
    assert store.lock_holder() is None


# -- forgetting a dead process -------------------------------------------------------------


def test_forget_process_releases_its_lock_and_wakes_a_waiter(store: StashStore, spawn, blocked_lockers) -> None:
    assert store.acquire_lock("dead/1")
    waiter = spawn(lambda: store.acquire_lock("live/2", timeout=2 * PROMPT))
    assert blocked_lockers(store, 1)
    store.forget_process("dead")
    assert waiter.join() is True
    assert store.lock_holder() == "live/2"


def test_forget_process_keeps_a_lock_held_by_another_process(store: StashStore) -> None:
    assert store.acquire_lock("live/1")
    store.forget_process("dead")
    assert store.lock_holder() == "live/1"


def test_forget_process_matches_the_whole_process_identity(store: StashStore) -> None:
    assert store.acquire_lock("dead-2/1")
    store.forget_process("dead")
    assert store.lock_holder() == "dead-2/1"


def test_forgotten_process_cannot_take_the_lock_again(store: StashStore) -> None:
    store.forget_process("dead")
    assert store.acquire_lock("dead/1", timeout=0) is False
    assert store.lock_holder() is None
    assert store.acquire_lock("live/1", timeout=0) is True


def test_forget_process_wakes_its_blocked_takes_with_none(store: StashStore, spawn, blocked_takes) -> None:
    dead = spawn(lambda: store.take(P, K1, timeout=2 * PROMPT, owner="dead/7"), name="dead-taker")
    assert blocked_takes(store, P, K1, 1)
    live = spawn(lambda: store.take(P, K1, timeout=PROMPT, owner="live/8"), name="live-taker")
    assert blocked_takes(store, P, K1, 2)
    store.forget_process("dead")
    assert dead.join() is None
    assert blocked_takes(store, P, K1, 1)
    assert not live.finished.is_set()
    store.put(P, K1, b"for the living")
    assert live.join() == Entry(b"for the living")


def test_forget_process_keeps_the_values_it_put(store: StashStore) -> None:
    store.put(P, K1, b"left behind", owner="dead/1")
    store.forget_process("dead")
    assert store.take(P, K1, owner="live/1") == Entry(b"left behind")


def test_lock_release_is_not_lost_on_a_forgotten_waiter(store: StashStore, spawn, blocked_lockers) -> None:
    """A release must reach a live waiter even when a forgotten process's waiter is ahead of it."""
    assert store.acquire_lock("live/1")
    dead = spawn(lambda: store.acquire_lock("dead/2", timeout=2 * PROMPT), name="dead-locker")
    assert blocked_lockers(store, 1)
    live_got_it = threading.Event()

    def live() -> bool:
        acquired = store.acquire_lock("live/3", timeout=PROMPT + 1)
        live_got_it.set()
        return acquired

    live_waiter = spawn(live, name="live-locker")
    assert blocked_lockers(store, 2)
    store.forget_process("dead")
    store.release_lock("live/1")
    assert dead.join(timeout=2 * PROMPT) is False
    assert live_got_it.wait(PROMPT), "the release woke only the forgotten waiter; the live one is still blocked"
    assert live_waiter.join(timeout=2 * PROMPT) is True
    assert store.lock_holder() == "live/3"


def test_restore_hands_a_value_back_or_refuses_if_its_place_is_taken() -> None:
    store = StashStore()
    assert store.restore(P, K1, Entry(b"back")) is True
    assert store.take(P, K1) == Entry(b"back")
    store.put(P, K1, b"new")
    assert store.restore(P, K1, Entry(b"old")) is False
    assert store.take(P, K1) == Entry(b"new")


def test_release_lock_of_a_process_whose_connections_are_gone() -> None:
    store = StashStore()
    assert store.acquire_lock("proc-a/1", 0)
    assert store.release_lock_of("proc-b") is False
    assert store.release_lock_of("proc-a") is True
    assert store.acquire_lock("proc-b/1", 0)
