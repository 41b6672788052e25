"""harness.stash.Stash: the public put/take/lock/entries surface, on every backend.

``any_stash`` runs each test on the in-process store, the manager server and a real
redis-server (see ``tests/unit/conftest.py``): one suite for the semantics of all of them.
"""

from __future__ import annotations

import itertools
import math
import threading
import uuid

import pytest

from harness.stash import ENV_VAR, LocalBackend, Stash, StashError, StashLock, StashStore, StashUnavailable
from tests.support import PROMPT, wait_until

KEY = "6f0d3c3a-9c1b-4a86-8f61-1c4e8b5a2d10"
OTHER = "00000000-0000-4000-8000-000000000002"

SPELLINGS = {
    "canonical": KEY,
    "upper": KEY.upper(),
    "braces": "{" + KEY + "}",
    "urn": "urn:uuid:" + KEY,
    "hyphenless": KEY.replace("-", ""),
    "bytes": KEY.encode(),
    "upper-bytes": KEY.upper().encode(),
    "uuid": uuid.UUID(KEY),
}


def _in_thread(target, timeout: float = PROMPT):
    """Run ``target`` in another thread (another lock owner) and return its result."""
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["result"] = target()
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), "the other thread is still blocked"
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box.get("result")


# -- put and take --------------------------------------------------------------------------


def test_put_then_take_returns_the_value_once(any_stash: Stash) -> None:
    any_stash.put(KEY, {"ok": True})
    assert any_stash.take(KEY) == {"ok": True}
    assert any_stash.take(KEY) is None


def test_second_put_is_stash_error_and_keeps_the_first_value(any_stash: Stash) -> None:
    any_stash.put(KEY, "first")
    with pytest.raises(StashError, match=f"stash key {KEY} at path '/unit.py' already holds a value"):
        any_stash.put(KEY, "second")
    assert any_stash.take(KEY) == "first"


@pytest.mark.parametrize("value", [0, 0.0, False, "", b"", [], {}, (), set()], ids=repr)
def test_falsy_values_are_stored_and_returned(any_stash: Stash, value: object) -> None:
    any_stash.put(KEY, value)
    taken = any_stash.take(KEY)
    assert taken == value
    assert type(taken) is type(value)
    assert any_stash.take(KEY) is None


@pytest.mark.parametrize(("put_as", "take_as"), list(itertools.permutations(SPELLINGS, 2)), ids=lambda name: str(name))
def test_key_spellings_are_interchangeable(any_stash: Stash, put_as: str, take_as: str) -> None:
    any_stash.put(SPELLINGS[put_as], put_as)
    with pytest.raises(StashError):
        any_stash.put(SPELLINGS[take_as], "again")
    assert any_stash.take(SPELLINGS[take_as]) == put_as


@pytest.mark.parametrize(
    ("put_path", "take_path"), [("/p.py", b"/p.py"), (b"/p.py", "/p.py"), ("/\u00e9", "/\u00e9".encode())]
)
def test_str_and_bytes_paths_name_the_same_scope(
    any_stash: Stash, put_path: str | bytes, take_path: str | bytes
) -> None:
    any_stash.put(KEY, 1, path=put_path)
    assert any_stash.take(KEY, path=take_path) == 1


def test_default_path_and_explicit_paths_are_separate_scopes(any_stash: Stash) -> None:
    any_stash.put(KEY, "default")
    any_stash.put(KEY, "elsewhere", path="/elsewhere.py")
    assert any_stash.take(KEY, path="/nowhere.py") is None
    assert any_stash.take(KEY, path="/elsewhere.py") == "elsewhere"
    assert any_stash.take(KEY, path="/unit.py") == "default"


def test_at_gives_a_view_with_another_default_path_on_the_same_stash(any_stash: Stash) -> None:
    beacons = any_stash.at(b"/beacon.py")
    assert beacons.default_path == "/beacon.py"
    assert any_stash.default_path == "/unit.py"
    assert beacons.backend is any_stash.backend
    beacons.put(KEY, "beacon")
    assert any_stash.take(KEY) is None
    assert any_stash.take(KEY, path="/beacon.py") == "beacon"
    any_stash.put(OTHER, "unit")
    assert beacons.take(OTHER, path="/unit.py") == "unit"


def test_default_path_given_as_bytes_is_normalised() -> None:
    stash = Stash(b"/b.py", backend=LocalBackend())
    assert stash.default_path == "/b.py"
    assert repr(stash) == "<Stash default_path='/b.py'>"


def test_put_of_none_is_value_error_and_stores_nothing(any_stash: Stash) -> None:
    with pytest.raises(ValueError, match=f"cannot stash None under key {KEY}: take\\(\\) returns None"):
        any_stash.put(KEY.upper(), None)
    assert any_stash.entries() == []
    any_stash.put(KEY, "the key is still free")
    assert any_stash.take(KEY) == "the key is still free"


@pytest.mark.parametrize("bad", ["not-a-key", b"nope", "", KEY + "x"], ids=repr)
def test_non_uuid_key_is_value_error_naming_it(any_stash: Stash, bad: str | bytes) -> None:
    with pytest.raises(ValueError, match="is not a UUID") as info:
        any_stash.put(bad, 1)
    assert repr(bad) in str(info.value)
    with pytest.raises(ValueError, match="is not a UUID"):
        any_stash.take(bad)
    assert any_stash.entries() == []


@pytest.mark.parametrize("bad", [1, None, 1.0, ["k"]], ids=repr)
def test_key_of_wrong_type_is_type_error(any_stash: Stash, bad: object) -> None:
    with pytest.raises(TypeError, match="stash key must be a UUID as str or bytes"):
        any_stash.put(bad, 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="stash key must be a UUID as str or bytes"):
        any_stash.take(bad)  # type: ignore[arg-type]


def test_path_of_wrong_type_is_type_error(any_stash: Stash) -> None:
    with pytest.raises(TypeError, match="stash path must be str or bytes, not int: 1"):
        any_stash.put(KEY, "v", path=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="stash path must be str or bytes, not int"):
        any_stash.take(KEY, path=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="stash path must be str or bytes, not int"):
        any_stash.at(1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="stash path must be str or bytes, not int"):
        any_stash.entries(path=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="stash path must be str or bytes, not int"):
        Stash(1, backend=LocalBackend())  # type: ignore[arg-type]
    assert any_stash.entries() == []


def test_path_bytes_that_are_not_utf8_is_value_error(any_stash: Stash) -> None:
    with pytest.raises(ValueError, match="is not valid UTF-8"):
        any_stash.put(KEY, "v", path=b"\xff")


@pytest.mark.parametrize(
    ("timeout", "error", "message"),
    [
        (-1, ValueError, "non-negative"),
        (-0.5, ValueError, "non-negative"),
        (math.nan, ValueError, "non-negative"),
        ("1", TypeError, "not str"),
        (True, TypeError, "not bool"),
        ([1], TypeError, "not list"),
    ],
    ids=repr,
)
def test_take_with_a_bad_timeout_raises_and_takes_nothing(
    any_stash: Stash, timeout: object, error: type[Exception], message: str
) -> None:
    any_stash.put(KEY, "kept")
    with pytest.raises(error, match=message):
        any_stash.take(KEY, timeout=timeout)  # type: ignore[arg-type]
    assert any_stash.take(KEY) == "kept"


def test_take_with_timeout_gets_a_value_put_by_another_thread(any_stash: Stash, spawn) -> None:
    taker = spawn(lambda: any_stash.take(KEY.upper(), timeout=PROMPT))
    assert wait_until(lambda: any_stash.waiting(KEY) == 1)
    _in_thread(lambda: any_stash.at("/unit.py").put(uuid.UUID(KEY), ["from", "another", "thread"]))
    assert taker.join() == ["from", "another", "thread"]
    assert any_stash.entries() == []


def test_take_that_times_out_returns_none(any_stash: Stash) -> None:
    assert any_stash.take(KEY, timeout=0.05) is None
    assert any_stash.take(KEY, timeout=0) is None


def test_take_with_a_huge_finite_timeout_waits_for_the_put(any_stash: Stash, spawn) -> None:
    """1e300 seconds is a valid (effectively unlimited) wait: the take must get the value, not lose it."""
    taker = spawn(lambda: any_stash.take(KEY, timeout=1e300))
    assert wait_until(lambda: any_stash.waiting(KEY) == 1)
    any_stash.put(KEY, "worth the wait")
    assert taker.join() == "worth the wait"


def test_values_are_copies(any_stash: Stash) -> None:
    original = {"list": [1, 2], "nested": {"n": 1}}
    any_stash.put(KEY, original)
    original["list"].append(3)
    original["nested"]["n"] = 99
    taken = any_stash.take(KEY)
    assert taken == {"list": [1, 2], "nested": {"n": 1}}
    assert taken is not original


def test_unpicklable_value_is_type_error_and_stores_nothing(any_stash: Stash) -> None:
    with pytest.raises(TypeError, match="stash value of type lock cannot be pickled"):
        any_stash.put(KEY, threading.Lock())
    assert any_stash.entries() == []


def test_value_over_the_size_limit_is_value_error_and_stores_nothing() -> None:
    stash = Stash("/a.py", backend=LocalBackend(StashStore(max_value_bytes=64)))
    with pytest.raises(ValueError, match="over the limit of 64 bytes"):
        stash.put(KEY, b"x" * 1000)
    assert stash.entries() == []
    stash.put(KEY, b"small")
    assert stash.take(KEY) == b"small"


def test_new_key_is_a_canonical_uuid4(any_stash: Stash) -> None:
    keys = {Stash.new_key() for _ in range(50)}
    assert len(keys) == 50
    for key in keys:
        assert uuid.UUID(key).version == 4
        assert str(uuid.UUID(key)) == key
    any_stash.put(keys.pop(), 1)


# -- no default path, no configuration -----------------------------------------------------


def test_stash_without_default_path_asks_for_path() -> None:
    stash = Stash(backend=LocalBackend())
    assert stash.default_path is None
    with pytest.raises(ValueError, match=r"this stash has no default path: pass path=\.\.\., or use stash.at\(path\)"):
        stash.put(KEY, 1)
    with pytest.raises(ValueError, match="pass path="):
        stash.take(KEY)
    stash.put(KEY, 1, path="/explicit.py")
    assert stash.at("/explicit.py").take(KEY) == 1


def test_stash_without_backend_or_configuration_is_stash_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(StashUnavailable, match=ENV_VAR):
        Stash("/a.py")


def test_stash_address_without_authkey_is_value_error() -> None:
    with pytest.raises(ValueError, match="a stash address needs its authkey"):
        Stash("/a.py", address=("127.0.0.1", 1))


# -- entries -------------------------------------------------------------------------------


def test_entries_lists_without_taking(any_stash: Stash) -> None:
    any_stash.put(KEY, "a")
    any_stash.put(OTHER, "b", path="/other.py")
    assert {(e.path, e.key) for e in any_stash.entries()} == {("/unit.py", KEY), ("/other.py", OTHER)}
    assert any_stash.take(KEY) == "a"


ENTRY_CASES = [
    ({}, {("/unit.py", KEY), ("/other.py", OTHER), ("/other.py", KEY)}),
    ({"path": "/other.py"}, {("/other.py", OTHER), ("/other.py", KEY)}),
    ({"path": b"/other.py"}, {("/other.py", OTHER), ("/other.py", KEY)}),
    ({"path": "/o*"}, {("/other.py", OTHER), ("/other.py", KEY)}),
    ({"key": KEY}, {("/unit.py", KEY), ("/other.py", KEY)}),
    ({"key": KEY.upper()}, {("/unit.py", KEY), ("/other.py", KEY)}),
    ({"key": "{" + KEY.upper() + "}"}, {("/unit.py", KEY), ("/other.py", KEY)}),
    ({"key": "urn:uuid:" + KEY}, {("/unit.py", KEY), ("/other.py", KEY)}),
    ({"key": "0000*"}, {("/other.py", OTHER)}),
    ({"key": KEY.upper(), "path": "/unit.py"}, {("/unit.py", KEY)}),
    ({"key": OTHER, "path": "/unit.py"}, set()),
]


@pytest.mark.parametrize(("kwargs", "expected"), ENTRY_CASES, ids=[repr(kwargs) for kwargs, _ in ENTRY_CASES])
def test_entries_filters_by_key_and_path(any_stash: Stash, kwargs: dict[str, object], expected: set) -> None:
    any_stash.put(KEY, 1)
    any_stash.put(OTHER, 2, path="/other.py")
    any_stash.put(KEY, 3, path="/other.py")
    assert {(e.path, e.key) for e in any_stash.entries(**kwargs)} == expected  # type: ignore[arg-type]


def test_entries_key_pattern_must_be_str(any_stash: Stash) -> None:
    with pytest.raises(TypeError, match="key pattern must be str, not bytes"):
        any_stash.entries(key=KEY.encode())  # type: ignore[arg-type]


def test_entries_report_the_pickled_size(any_stash: Stash) -> None:
    any_stash.put(KEY, b"x" * 100)
    (entry,) = any_stash.entries()
    assert entry.size >= 100
    assert entry.age >= 0


# -- the lock ------------------------------------------------------------------------------


def test_lock_is_a_context_manager_shared_by_views(any_stash: Stash) -> None:
    assert isinstance(any_stash.lock, StashLock)
    with any_stash.lock as acquired:
        assert acquired is True
        assert _in_thread(lambda: any_stash.at("/other.py").lock.acquire(blocking=False)) is False
    assert _in_thread(lambda: any_stash.lock.acquire(blocking=False)) is True


def test_lock_guards_a_take_then_put(any_stash: Stash) -> None:
    with any_stash.lock:
        count = any_stash.take(KEY) or 0
        any_stash.put(KEY, count + 1)
    with any_stash.lock:
        count = any_stash.take(KEY) or 0
        any_stash.put(KEY, count + 1)
    assert any_stash.take(KEY) == 2


def test_lock_acquire_non_blocking(any_stash: Stash) -> None:
    lock = any_stash.lock
    assert lock.acquire(blocking=False) is True
    assert _in_thread(lambda: lock.acquire(blocking=False)) is False
    lock.release()
    assert _in_thread(lambda: lock.acquire(blocking=False)) is True


def test_lock_acquire_with_timeout_gives_false_while_held_elsewhere(any_stash: Stash) -> None:
    assert any_stash.lock.acquire()
    assert _in_thread(lambda: any_stash.lock.acquire(timeout=0.05)) is False
    assert _in_thread(lambda: any_stash.lock.acquire(timeout=0)) is False
    any_stash.lock.release()


def test_lock_non_blocking_with_timeout_is_value_error(any_stash: Stash) -> None:
    with pytest.raises(ValueError, match="can't specify a timeout for a non-blocking call"):
        any_stash.lock.acquire(blocking=False, timeout=1)


@pytest.mark.parametrize(("timeout", "error"), [(-2, ValueError), (math.nan, ValueError), ("1", TypeError)])
def test_lock_acquire_with_a_bad_timeout_raises(any_stash: Stash, timeout: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        any_stash.lock.acquire(timeout=timeout)  # type: ignore[arg-type]
    assert any_stash.lock.acquire(blocking=False) is True


def test_lock_is_not_reentrant(any_stash: Stash) -> None:
    with any_stash.lock, pytest.raises(StashError, match="not reentrant"):
        any_stash.lock.acquire()
    assert _in_thread(lambda: any_stash.lock.acquire(blocking=False)) is True


def test_lock_release_without_holding_it_is_stash_error(any_stash: Stash) -> None:
    with pytest.raises(StashError, match="it is not held"):
        any_stash.lock.release()
    assert any_stash.lock.acquire()
    with pytest.raises(StashError, match="held by another thread or process"):
        _in_thread(any_stash.lock.release)
    any_stash.lock.release()


def test_lock_released_in_one_thread_wakes_a_blocked_acquire(any_stash: Stash, spawn, lockers_blocked) -> None:
    assert any_stash.lock.acquire()
    waiter = spawn(lambda: any_stash.lock.acquire(timeout=PROMPT))
    assert lockers_blocked(any_stash, 1)
    any_stash.lock.release()
    assert waiter.join() is True


def test_lock_context_manager_releases_on_exception(any_stash: Stash) -> None:
    with pytest.raises(RuntimeError, match="boom"), any_stash.lock:
        raise RuntimeError("boom")
    assert any_stash.lock.acquire(blocking=False) is True


def test_lock_acquire_with_a_huge_finite_timeout_waits_for_the_release(
    any_stash: Stash, spawn, lockers_blocked
) -> None:
    assert any_stash.lock.acquire()
    waiter = spawn(lambda: any_stash.lock.acquire(timeout=1e300))
    assert lockers_blocked(any_stash, 1)
    any_stash.lock.release()
    assert waiter.join() is True
