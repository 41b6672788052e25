"""Stash tables over LocalBackend: the dict-like API, atomic update/append, TTLs, bad input."""

from __future__ import annotations

import math
import threading
from multiprocessing.managers import BaseProxy

import pytest

from harness.stash import LocalBackend, Stash, StashError, StashStore
from harness.stash.keys import MAX_TABLE_KEY, MAX_TABLE_NAME
from harness.stash.runinfo import RUN_TABLE
from harness.stash.tables import Table
from tests.unit.test_stash_ttl import FakeTime


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def stash(fake_time: FakeTime) -> Stash:
    return Stash("/t.py", backend=LocalBackend(StashStore(max_value_bytes=65536, clock=fake_time, test_clock=True)))


@pytest.fixture
def table(stash: Stash) -> Table:
    return stash.table("sessions")


def test_dict_like_access(table: Table) -> None:
    table["user:1"] = {"name": "Alice"}
    table["user:2"] = {"name": "Bob"}
    table["other"] = 3
    assert table["user:1"] == {"name": "Alice"}
    assert "user:2" in table
    assert "user:3" not in table
    assert len(table) == 3
    assert sorted(table.keys("user:*")) == ["user:1", "user:2"]
    assert sorted(table) == ["other", "user:1", "user:2"]
    assert dict(table.items("user:*")) == {"user:1": {"name": "Alice"}, "user:2": {"name": "Bob"}}
    assert sorted(table.values("o*")) == [3]
    del table["other"]
    assert table.get("other") is None
    assert table.get("other", "fallback") == "fallback"
    assert table.pop("user:2") == {"name": "Bob"}
    assert table.pop("user:2", None) is None
    assert table.clear() == 1
    assert len(table) == 0


def test_missing_keys_raise_key_error(table: Table) -> None:
    with pytest.raises(KeyError):
        table["nope"]
    with pytest.raises(KeyError):
        del table["nope"]
    with pytest.raises(KeyError):
        table.pop("nope")
    with pytest.raises(KeyError):
        table.update("nope", lambda n: n + 1)


def test_values_are_copies_both_ways(table: Table) -> None:
    value = {"list": [1]}
    table["k"] = value
    value["list"].append(2)
    read = table["k"]
    assert read == {"list": [1]}
    read["list"].append(3)
    assert table["k"] == {"list": [1]}


def test_any_string_key_and_bytes_as_utf8(table: Table) -> None:
    for key in ["", " ", "ключ", "a/b?c=d", "*", "x" * MAX_TABLE_KEY]:
        table[key] = key
        assert table[key] == key
    table[b"caf\xc3\xa9"] = "bytes key"
    assert table["café"] == "bytes key"


def test_glob_patterns_treat_brackets_and_question_marks(table: Table) -> None:
    for key in ["a1", "a2", "ab", "b1"]:
        table[key] = key
    assert sorted(table.keys("a?")) == ["a1", "a2", "ab"]
    assert sorted(table.keys("a[0-9]")) == ["a1", "a2"]
    assert table.keys("zzz*") == []


def test_tables_are_named_by_first_write_and_listed(stash: Stash) -> None:
    assert stash.tables() == []
    empty = stash.table("never-written")
    assert len(empty) == 0
    assert stash.tables() == []
    stash.table("b")["k"] = 1
    stash.table("a")["k"] = 1
    assert stash.tables() == ["a", "b"]
    stash.table("a").clear()
    assert stash.tables() == ["b"]


def test_the_run_table_is_hidden_from_tables(stash: Stash) -> None:
    stash.backend.table_set(RUN_TABLE, "info", {}, None)
    stash.table("mine")["k"] = 1
    assert stash.tables() == ["mine"]


def test_tables_are_separate_from_each_other_and_from_paths(stash: Stash) -> None:
    stash.table("one")["k"] = 1
    stash.table("two")["k"] = 2
    assert stash.table("one")["k"] == 1
    assert stash.table("two")["k"] == 2
    assert stash.entries() == []


def test_update_reads_modifies_and_writes(table: Table) -> None:
    assert table.update("n", lambda n: n + 1, default=0) == 1
    assert table.update("n", lambda n: n * 10) == 10
    assert table["n"] == 10


def test_update_that_raises_writes_nothing(table: Table) -> None:
    table["n"] = 1

    def boom(value: int) -> int:
        raise RuntimeError("no")

    with pytest.raises(RuntimeError, match="no"):
        table.update("n", boom)
    assert table["n"] == 1


def test_update_from_racing_threads_loses_nothing(stash: Stash) -> None:
    threads = [
        threading.Thread(
            target=lambda: [stash.table("race").update("n", lambda n: n + 1, default=0) for _ in range(200)]
        )
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert stash.table("race")["n"] == 1600


def test_update_retries_when_another_writer_came_first(table: Table) -> None:
    table["n"] = 0
    calls: list[int] = []

    def interfering(value: int) -> int:
        calls.append(value)
        if len(calls) == 1:
            table["n"] = 100  # a write between our read and our compare-and-set
        return value + 1

    assert table.update("n", interfering) == 101
    assert calls == [0, 100]


def test_add_claims_a_key_once(table: Table) -> None:
    assert table.add("lock", "first")
    assert not table.add("lock", "second")
    assert table["lock"] == "first"


def test_append_builds_a_list_atomically(table: Table) -> None:
    assert table.append("log", "a") == 1
    assert table.append("log", {"b": 2}) == 2
    assert table["log"] == ["a", {"b": 2}]
    table["list"] = [1, 2]
    assert table.append("list", 3) == 3
    assert table["list"] == [1, 2, 3]
    assert table.update("list", lambda items: [*items, 4]) == [1, 2, 3, 4]
    assert table.append("list", 5) == 5


def test_append_to_a_value_that_is_not_a_list_is_stash_error(table: Table) -> None:
    table["n"] = (1, 2)  # a tuple is one value, not a list
    with pytest.raises(StashError, match="holds a value that is not a list"):
        table.append("n", 3)
    assert table["n"] == (1, 2)


def test_append_from_racing_threads_keeps_every_item(stash: Stash) -> None:
    def work(worker: int) -> None:
        for index in range(100):
            stash.table("race").append("log", (worker, index))

    threads = [threading.Thread(target=work, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    log = stash.table("race")["log"]
    assert sorted(log) == sorted((w, i) for w in range(8) for i in range(100))
    for worker in range(8):
        assert [i for w, i in log if w == worker] == list(range(100))  # each writer's order kept


def test_table_ttl_expires_each_key_after_its_last_write(stash: Stash, fake_time: FakeTime) -> None:
    table = stash.table("ttl", ttl=10)
    table["a"] = 1
    fake_time.now += 5
    table["b"] = 2
    table.append("log", "x")
    fake_time.now += 5  # a's deadline
    assert "a" not in table
    assert sorted(table.keys()) == ["b", "log"]
    table.append("log", "y")  # a new write: a new deadline
    fake_time.now += 5
    assert table.keys() == ["log"]
    assert table["log"] == ["x", "y"]
    fake_time.now += 5
    assert len(table) == 0
    assert stash.tables() == []


def test_per_call_ttl_overrides_the_table_default(stash: Stash, fake_time: FakeTime) -> None:
    table = stash.table("ttl", ttl=10)
    table.set("short", 1, ttl=1)
    table.set("forever", 2, ttl=None)
    table.set("infinite", 3, ttl=math.inf)
    fake_time.now += 100
    assert sorted(table.keys()) == ["forever", "infinite"]


def test_expired_keys_are_absent_for_every_operation(stash: Stash, fake_time: FakeTime) -> None:
    table = stash.table("ttl", ttl=1)
    table["k"] = [1]
    fake_time.now += 1
    assert table.get("k") is None
    assert table.pop("k", "absent") == "absent"
    with pytest.raises(KeyError):
        del table["k"]
    assert table.add("k", "fresh")
    assert table.append("log", 1) == 1
    fake_time.now += 1
    assert table.append("log", 2) == 1  # the expired list is not extended
    assert table.clear() == 1


def test_advance_clock_sweeps_tables_too(stash: Stash) -> None:
    stash.table("ttl", ttl=5)["k"] = 1
    stash.backend.advance_clock(5)
    assert stash.tables() == []


def test_a_value_over_the_size_limit_is_value_error_and_changes_nothing(table: Table) -> None:
    table["k"] = "small"
    with pytest.raises(ValueError, match=r"over the limit of 65536 bytes \(stash\.max_value_bytes\)"):
        table["k"] = b"x" * 70000
    with pytest.raises(ValueError, match="over the limit"):
        table["list"] = [b"x" * 40000, b"y" * 40000]
    table.append("log", b"x" * 40000)
    with pytest.raises(ValueError, match="over the limit"):
        table.append("log", b"y" * 40000)
    assert table["k"] == "small"
    assert table["log"] == [b"x" * 40000]
    assert "list" not in table


def test_a_value_that_cannot_be_pickled_is_type_error(table: Table) -> None:
    with pytest.raises(TypeError, match="cannot be pickled"):
        table["k"] = threading.Lock()
    with pytest.raises(TypeError, match="cannot be pickled"):
        table.append("k", lambda: None)
    assert len(table) == 0


def test_a_manager_proxy_is_refused_in_a_table(table: Table) -> None:
    class FakeProxy(BaseProxy):
        def __init__(self) -> None:
            self._token = type("Token", (), {"address": "x", "typeid": "Queue", "id": "1"})()

        def __reduce__(self) -> tuple[object, ...]:  # pragma: no cover - never reached
            raise AssertionError("a proxy must never be pickled by value")

    with pytest.raises(ValueError, match="cannot be stored in a stash table"):
        table["q"] = {"queue": FakeProxy()}
    assert len(table) == 0


@pytest.mark.parametrize(
    ("name", "error", "message"),
    [
        ("", ValueError, "cannot be empty"),
        ("x" * (MAX_TABLE_NAME + 1), ValueError, "longer than"),
        (b"\xff", ValueError, "not valid UTF-8"),
        (3, TypeError, "table name must be str or bytes"),
        (None, TypeError, "table name must be str or bytes"),
    ],
)
def test_bad_table_names(stash: Stash, name: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        stash.table(name)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("key", "error"),
    [(3, TypeError), (None, TypeError), ("x" * (MAX_TABLE_KEY + 1), ValueError), (b"\xff", ValueError)],
)
def test_bad_table_keys(table: Table, key: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="table key"):
        table[key] = 1  # type: ignore[index]
    with pytest.raises(error, match="table key"):
        table.get(key)  # type: ignore[arg-type]
    assert len(table) == 0


def test_bad_patterns_and_ttls(stash: Stash, table: Table) -> None:
    with pytest.raises(TypeError, match="pattern must be str"):
        table.keys(b"*")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ttl must be a positive number"):
        stash.table("t", ttl=0)
    with pytest.raises(ValueError, match="ttl must be a positive number"):
        table.set("k", 1, ttl=-1)
    assert len(table) == 0


@pytest.mark.parametrize("ttl", [-1.0, 0.0, math.nan], ids=repr)
def test_the_store_refuses_a_bad_ttl_before_changing_a_cell(ttl: float) -> None:
    """What a client that skipped the API's checks sends the stash server: nothing changes."""
    store = StashStore()
    store.table_append("t", "log", b"a")
    version = store.table_get("t", "log")
    for write in (
        lambda: store.table_append("t", "log", b"b", ttl),
        lambda: store.table_set("t", "log", b"c", ttl),
        lambda: store.table_cas("t", "log", version[0] if version else None, b"c", ttl),
    ):
        with pytest.raises(ValueError, match="TTL must be a positive number"):
            write()
        assert store.table_get("t", "log") == version


def test_repr_names_the_table(table: Table) -> None:
    assert repr(table) == "<Table 'sessions'>"
