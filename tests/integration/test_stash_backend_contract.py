"""The StashBackend contract of harness/stash/backend.py, run against every backend.

Each test talks to a backend directly, so a new backend (Redis, ...) proves it keeps the same
semantics by adding its factory to ``BACKENDS``. Backends need the test clock on: TTL tests
move it with ``advance_clock`` and keep a wide margin against real time passing.
"""

from __future__ import annotations

import json
import math
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.run.launcher import HarnessProcess
from harness.stash import LocalBackend, StashError, StashStore
from harness.stash.backend import StashBackend
from pytest_harness import Harness

BACKENDS = ["local", "manager"]


@pytest.fixture(scope="module")
def manager_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    config = tmp_path_factory.mktemp("contract") / "config.json"
    config.write_text(json.dumps({"stash": {"max_value_bytes": 65536, "test_clock": True}}))
    process = HarnessProcess(config=config, doc_root=Path(__file__).resolve().parents[1] / "handlers" / "static")
    try:
        yield Harness(process.start())
    finally:
        process.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> StashBackend:
    if request.param == "local":
        return LocalBackend(StashStore(max_value_bytes=65536, test_clock=True))
    harness: Harness = request.getfixturevalue("manager_harness")
    return harness.stash().backend


def fresh() -> str:
    return str(uuid.uuid4())


def test_put_take_with_ttl_and_entries(backend: StashBackend) -> None:
    path, key, other = f"/contract/{fresh()}", fresh(), fresh()
    backend.put(path, key, {"v": 1}, 600.0)
    backend.put(path, other, "forever", math.inf)
    listed = {entry.key: entry for entry in backend.entries(path, "*")}
    assert 590 < listed[key].expires_in <= 600  # type: ignore[operator]
    assert listed[other].expires_in is None
    with pytest.raises(StashError):
        backend.put(path, key, "again", None)
    backend.advance_clock(600)
    assert backend.take(path, key, None) is None
    assert [entry.key for entry in backend.entries(path, "*")] == [other]
    (expired,) = backend.expired(path, key)
    assert expired.expires_in is not None and expired.expires_in <= 0
    assert backend.take(path, other, None) == "forever"


def test_advance_clock_reads_with_zero_and_refuses_going_back(backend: StashBackend) -> None:
    offset = backend.advance_clock(0)
    assert backend.advance_clock(1) == pytest.approx(offset + 1)
    with pytest.raises(ValueError, match="only moves forward"):
        backend.advance_clock(-1)


def test_table_get_set_delete_pop(backend: StashBackend) -> None:
    table = f"contract-{fresh()}"
    assert backend.table_get(table, "k") == (False, None)
    backend.table_set(table, "k", {"a": [1]}, None)
    assert backend.table_get(table, "k") == (True, {"a": [1]})
    assert backend.table_len(table) == 1
    assert table in backend.tables()
    assert backend.table_pop(table, "k") == (True, {"a": [1]})
    assert backend.table_pop(table, "k") == (False, None)
    assert not backend.table_delete(table, "k")
    assert table not in backend.tables()
    backend.table_set(table, "none", None, None)  # None is a value in a table
    assert backend.table_get(table, "none") == (True, None)
    assert backend.table_delete(table, "none")


def test_versions_change_on_every_write_and_cas_checks_them(backend: StashBackend) -> None:
    table = f"contract-{fresh()}"
    assert backend.table_get_versioned(table, "k") == (None, None)
    assert backend.table_cas(table, "k", None, 1, None)
    assert not backend.table_cas(table, "k", None, 2, None)  # no longer absent
    version, value = backend.table_get_versioned(table, "k")
    assert (version is not None, value) == (True, 1)
    assert backend.table_cas(table, "k", version, 2, None)
    assert not backend.table_cas(table, "k", version, 3, None)  # stale version
    backend.table_delete(table, "k")
    backend.table_set(table, "k", 2, None)
    assert not backend.table_cas(table, "k", version, 9, None)  # same value, new version
    assert backend.table_get(table, "k") == (True, 2)
    backend.table_clear(table)


def test_append_lists_and_refusals(backend: StashBackend) -> None:
    table = f"contract-{fresh()}"
    assert backend.table_append(table, "log", "a", None) == 1
    backend.table_set(table, "list", [1], None)
    assert backend.table_append(table, "list", 2, None) == 2
    assert backend.table_get(table, "list") == (True, [1, 2])
    backend.table_set(table, "n", 5, None)
    with pytest.raises(StashError):
        backend.table_append(table, "n", 6, None)
    assert backend.table_get(table, "n") == (True, 5)
    with pytest.raises(ValueError, match="over the limit"):
        backend.table_append(table, "log", b"x" * 70000, None)
    assert backend.table_get(table, "log") == (True, ["a"])
    assert backend.table_clear(table) == 3


def test_keys_items_patterns_and_clear(backend: StashBackend) -> None:
    table = f"contract-{fresh()}"
    for key in ("user:1", "user:2", "other"):
        backend.table_set(table, key, key.upper(), None)
    assert sorted(backend.table_keys(table, "user:*")) == ["user:1", "user:2"]
    assert sorted(backend.table_items(table, "*")) == [("other", "OTHER"), ("user:1", "USER:1"), ("user:2", "USER:2")]
    assert backend.table_clear(table) == 3
    assert backend.table_keys(table, "*") == []


def test_table_ttls_and_rewrites(backend: StashBackend) -> None:
    table = f"contract-{fresh()}"
    backend.table_set(table, "short", 1, 600.0)
    backend.table_set(table, "kept", 2, 600.0)
    backend.advance_clock(300)
    backend.table_set(table, "kept", 3, 600.0)  # a new deadline
    backend.table_append(table, "log", "x", 600.0)
    backend.advance_clock(300)
    assert sorted(backend.table_keys(table, "*")) == ["kept", "log"]
    assert backend.table_get(table, "short") == (False, None)
    backend.table_set(table, "kept", 4, None)  # no deadline any more
    backend.advance_clock(600)
    assert backend.table_keys(table, "*") == ["kept"]
    backend.table_clear(table)


def test_concurrent_cas_loops_lose_no_update(backend: StashBackend) -> None:
    table = f"contract-{fresh()}"

    def bump() -> None:
        for _ in range(50):
            while True:
                version, value = backend.table_get_versioned(table, "n")
                if backend.table_cas(table, "n", version, (value or 0) + 1, None):
                    break

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert backend.table_get(table, "n") == (True, 400)
    backend.table_clear(table)


@pytest.mark.parametrize(
    ("operation", "error"),
    [
        (lambda b, t: b.table_set(t, "k", threading.Lock(), None), TypeError),
        (lambda b, t: b.table_set(t, "k", b"x" * 70000, None), ValueError),
        (lambda b, t: b.put("/contract", fresh(), b"x" * 70000, None), ValueError),
        (lambda b, t: b.put("/contract", fresh(), threading.Lock(), None), TypeError),
    ],
    ids=["unpicklable", "oversized", "path-oversized", "path-unpicklable"],
)
def test_bad_values_store_nothing(
    backend: StashBackend, operation: Callable[[StashBackend, str], Any], error: type[Exception]
) -> None:
    table = f"contract-{fresh()}"
    with pytest.raises(error):
        operation(backend, table)
    assert backend.table_len(table) == 0
