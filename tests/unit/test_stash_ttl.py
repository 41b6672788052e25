"""TTLs on the stash clock: put(ttl=), stash.default_ttl, expiry boundaries, expired() history.

A fake time source makes the boundaries exact; advance_clock() is the test clock users get.
"""

from __future__ import annotations

import math

import pytest

from harness.stash import LocalBackend, Stash, StashError, StashStore
from harness.stash.store import EXPIRED_HISTORY, Entry
from harness.testing import StashClock
from tests.support import wait_until

KEY = "6f0d3c3a-9c1b-4a86-8f61-1c4e8b5a2d10"
OTHER = "00000000-0000-4000-8000-000000000002"


class FakeTime:
    """A time source the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def make_stash(fake_time: FakeTime, **store_options: object) -> Stash:
    store = StashStore(clock=fake_time, test_clock=True, **store_options)  # type: ignore[arg-type]
    return Stash("/ttl.py", backend=LocalBackend(store))


@pytest.fixture
def stash(fake_time: FakeTime) -> Stash:
    return make_stash(fake_time)


def test_a_value_lives_until_just_before_its_deadline_and_is_gone_at_it(stash: Stash, fake_time: FakeTime) -> None:
    stash.put(KEY, "short-lived", ttl=30)
    stash.put(OTHER, "also", ttl=30)
    fake_time.now += 29.999
    assert stash.take(KEY) == "short-lived"
    fake_time.now += 0.001  # exactly at the deadline: expired
    assert stash.take(OTHER) is None
    assert stash.entries() == []


def test_entries_tell_the_time_left_and_omit_expired_values(stash: Stash, fake_time: FakeTime) -> None:
    stash.put(KEY, "a", ttl=10)
    stash.put(OTHER, "b")
    fake_time.now += 4
    listed = {entry.key: entry for entry in stash.entries()}
    assert listed[KEY].expires_in == pytest.approx(6)
    assert listed[KEY].age == pytest.approx(4)
    assert listed[OTHER].expires_in is None
    fake_time.now += 6
    assert [entry.key for entry in stash.entries()] == [OTHER]


def test_expired_lists_what_ran_out_untaken_with_how_long_ago(stash: Stash, fake_time: FakeTime) -> None:
    stash.put(KEY, "gone", ttl=5)
    stash.put(OTHER, "taken in time", ttl=5)
    assert stash.take(OTHER) == "taken in time"
    fake_time.now += 7
    (entry,) = stash.expired()
    assert (entry.key, entry.path) == (KEY, "/ttl.py")
    assert entry.expired
    assert entry.expires_in == pytest.approx(-2)
    assert entry.age == pytest.approx(7)
    assert stash.expired(key=OTHER) == []
    assert stash.expired(path="/elsewhere.py") == []
    assert [e.key for e in stash.expired(key=KEY.upper())] == [KEY]  # any UUID spelling


def test_the_key_is_free_again_once_its_value_expired(stash: Stash, fake_time: FakeTime) -> None:
    stash.put(KEY, "first", ttl=1)
    fake_time.now += 1
    stash.put(KEY, "second")
    assert stash.take(KEY) == "second"


def test_default_ttl_applies_to_puts_without_one_and_inf_opts_out(fake_time: FakeTime) -> None:
    stash = make_stash(fake_time, default_ttl=60.0)
    stash.put(KEY, "default")
    stash.put(OTHER, "forever", ttl=math.inf)
    (entry,) = stash.entries(key=KEY)
    assert entry.expires_in == pytest.approx(60)
    fake_time.now += 60
    assert stash.take(KEY) is None
    fake_time.now += 10**9
    assert stash.take(OTHER) == "forever"


def test_an_explicit_ttl_beats_the_default(fake_time: FakeTime) -> None:
    stash = make_stash(fake_time, default_ttl=60.0)
    stash.put(KEY, "long", ttl=600)
    fake_time.now += 61
    assert stash.take(KEY) == "long"


@pytest.mark.parametrize("bad", [0, -1, -0.5, math.nan, -math.inf], ids=repr)
def test_a_ttl_that_is_not_positive_is_value_error_and_stores_nothing(stash: Stash, bad: float) -> None:
    with pytest.raises(ValueError, match="ttl must be a positive number of seconds"):
        stash.put(KEY, "x", ttl=bad)
    assert stash.entries() == []


@pytest.mark.parametrize("bad", ["30", True, [1], b"1"], ids=repr)
def test_a_ttl_that_is_not_a_number_is_type_error(stash: Stash, bad: object) -> None:
    with pytest.raises(TypeError, match="ttl must be a number of seconds or None"):
        stash.put(KEY, "x", ttl=bad)  # type: ignore[arg-type]
    assert stash.entries() == []


def test_a_value_handed_to_a_blocked_taker_never_expires(fake_time: FakeTime, spawn) -> None:
    stash = make_stash(fake_time)
    waiter = spawn(lambda: stash.take(KEY, timeout=5))
    assert wait_until(lambda: stash.waiting(KEY) == 1)
    stash.put(KEY, "straight to the taker", ttl=1)
    fake_time.now += 100
    assert waiter.join() == "straight to the taker"
    assert stash.expired() == []


def test_advance_clock_expires_at_once_and_reports_the_offset(fake_time: FakeTime) -> None:
    store = StashStore(clock=fake_time, test_clock=True)
    stash = Stash("/ttl.py", backend=LocalBackend(store))
    clock = StashClock(stash)
    stash.put(KEY, "x", ttl=30)
    assert clock.offset == 0
    assert clock.advance(29.5) == 29.5
    assert len(store) == 1
    assert clock.advance(0.5) == 30.0
    assert len(store) == 0  # swept by the advance itself, not only hidden
    assert clock.offset == 30.0


def test_advance_clock_without_test_clock_is_a_clear_stash_error() -> None:
    clock = StashClock(Stash("/ttl.py", backend=LocalBackend(StashStore())))
    with pytest.raises(StashError, match=r"set stash\.test_clock to true"):
        clock.advance(1)
    assert clock.offset == 0.0  # reading is always allowed


@pytest.mark.parametrize("bad", [-1, math.inf, math.nan, -(10**400), 10**400], ids=repr)
def test_the_clock_only_moves_forward_by_finite_steps(bad: float) -> None:
    store = StashStore(test_clock=True)
    with pytest.raises(ValueError, match="only moves forward"):
        store.advance_clock(bad)
    with pytest.raises(TypeError):
        store.advance_clock("1")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        store.advance_clock(True)
    assert store.advance_clock(0) == 0.0


def test_the_clock_cannot_be_advanced_past_any_time() -> None:
    store = StashStore(test_clock=True)
    store.put("/p", "k", b"v", ttl=1e308)
    assert store.advance_clock(1.5e308) == 1.5e308  # the value expires
    with pytest.raises(ValueError, match="past any time"):
        store.advance_clock(1.5e308)
    assert store.advance_clock(0) == 1.5e308
    assert store.take("/p", "k") is None


@pytest.mark.parametrize("huge", [1e308, 10**400], ids=["1e308", "10**400"])
def test_a_huge_ttl_is_kept_and_an_int_beyond_floats_never_expires(stash: Stash, huge: float) -> None:
    stash.put(KEY, "x", ttl=huge)
    assert [entry.key for entry in stash.entries()] == [KEY]
    assert stash.take(KEY) == "x"


def test_the_expired_history_is_bounded(fake_time: FakeTime) -> None:
    store = StashStore(clock=fake_time)
    for index in range(EXPIRED_HISTORY + 10):
        store.put("/p", f"k{index}", b"v", ttl=1)
    fake_time.now += 1
    history = store.expired()
    assert len(history) == EXPIRED_HISTORY
    assert history[-1].key == f"k{EXPIRED_HISTORY + 9}"  # the newest are kept


def test_sweep_drops_expired_values_and_calls_on_expire(fake_time: FakeTime) -> None:
    dropped: list[Entry] = []
    store = StashStore(clock=fake_time, on_expire=dropped.append)
    store.put("/p", "a", b"1", ("ref",), ttl=1)
    store.put("/p", "b", b"2", ttl=5)
    fake_time.now += 2
    assert store.sweep() == 1
    assert [entry.refs for entry in dropped] == [("ref",)]
    assert len(store) == 1


def test_an_expired_value_met_by_take_is_reported_once(fake_time: FakeTime) -> None:
    dropped: list[Entry] = []
    store = StashStore(clock=fake_time, on_expire=dropped.append)
    store.put("/p", "a", b"1", ttl=1)
    fake_time.now += 1
    assert store.take("/p", "a") is None
    assert store.sweep() == 0
    assert len(dropped) == 1
    assert len(store.expired()) == 1


def test_restore_keeps_the_deadline(fake_time: FakeTime) -> None:
    store = StashStore(clock=fake_time)
    store.put("/p", "a", b"1", ttl=10)
    entry = store.take("/p", "a")
    assert entry is not None
    assert store.restore("/p", "a", entry)
    fake_time.now += 10
    assert store.take("/p", "a") is None


def test_deadlines_of_taken_values_do_not_pile_up(fake_time: FakeTime) -> None:
    store = StashStore(clock=fake_time)
    for index in range(20_000):
        store.put("/p", "k", b"v", ttl=3600)
        assert store.take("/p", "k") is not None
        fake_time.now += 0.0001 * (index % 2)
    assert len(store._deadlines) <= 4097  # compacted, not one per put


def test_a_value_the_server_puts_back_after_an_interrupted_take_keeps_its_ttl(fake_time: FakeTime) -> None:
    from harness.stash.manager import StashService

    service = StashService(StashStore(clock=fake_time))
    service.put("/p", KEY, b"v", (), "owner", 10.0)
    taken = service.take("/p", KEY, None, "owner")
    assert taken is not None
    payload, held, deadline = taken
    assert deadline == fake_time.now + 10
    assert service.restore("/p", KEY, payload, held, deadline)
    fake_time.now += 10
    assert service.take("/p", KEY, None, "owner") is None
    with pytest.raises(TypeError, match="deadline must be a float"):
        service.restore("/p", KEY, payload, held, "later")  # type: ignore[arg-type]
