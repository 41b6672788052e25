"""TTLs, expired(), the stash clock and tables: the backend contract, on every backend.

Runs through ``any_stash`` (local store, manager server, real redis-server) at the level of
the :class:`~harness.stash.StashBackend` methods, so the three transports are held to the
same results.
"""

from __future__ import annotations

import math

import pytest

from harness.stash import Stash, StashError

KEY = "6f0d3c3a-9c1b-4a86-8f61-1c4e8b5a2d10"
OTHER = "00000000-0000-4000-8000-000000000002"


def test_a_value_expires_when_the_clock_passes_its_ttl(any_stash: Stash) -> None:
    backend = any_stash.backend
    backend.put("/ttl", KEY, "short", 30)
    backend.put("/ttl", OTHER, "forever", math.inf)
    (listed,) = [e for e in any_stash.entries(path="/ttl") if e.key == KEY]
    assert listed.expires_in is not None and 0 < listed.expires_in <= 30
    assert backend.advance_clock(31) >= 31
    assert backend.take("/ttl", KEY, None) is None
    assert [e.key for e in any_stash.entries(path="/ttl")] == [OTHER]
    (gone,) = backend.expired("/ttl", "*")
    assert (gone.path, gone.key) == ("/ttl", KEY)
    assert gone.expires_in is not None and gone.expires_in <= 0
    assert backend.take("/ttl", OTHER, None) == "forever"


def test_an_expired_key_can_be_put_again(any_stash: Stash) -> None:
    backend = any_stash.backend
    backend.put("/ttl", KEY, "old", 5)
    with pytest.raises(StashError, match="already holds a value"):
        backend.put("/ttl", KEY, "too soon")
    backend.advance_clock(6)
    backend.put("/ttl", KEY, "new")
    assert backend.take("/ttl", KEY, None) == "new"


def test_advance_clock_zero_reads_and_negative_is_refused(any_stash: Stash) -> None:
    backend = any_stash.backend
    before = backend.advance_clock(0)
    with pytest.raises(ValueError, match="only moves forward"):
        backend.advance_clock(-1)
    with pytest.raises(ValueError, match="only moves forward"):
        backend.advance_clock(math.nan)
    assert backend.advance_clock(0) == before


def test_table_set_get_delete_pop(any_stash: Stash) -> None:
    backend = any_stash.backend
    assert backend.table_get("t", "a") == (False, None)
    backend.table_set("t", "a", {"n": 1}, None)
    assert backend.table_get("t", "a") == (True, {"n": 1})
    assert backend.table_len("t") == 1
    assert backend.tables() == ["t"]
    assert backend.table_pop("t", "a") == (True, {"n": 1})
    assert backend.table_pop("t", "a") == (False, None)
    backend.table_set("t", "b", 2, None)
    assert backend.table_delete("t", "b") is True
    assert backend.table_delete("t", "b") is False
    assert backend.tables() == []


def test_table_versions_and_cas(any_stash: Stash) -> None:
    backend = any_stash.backend
    assert backend.table_cas("t", "k", None, 1, None) is True
    assert backend.table_cas("t", "k", None, 2, None) is False
    version, value = backend.table_get_versioned("t", "k")
    assert value == 1 and version is not None
    assert backend.table_cas("t", "k", version, 2, None) is True
    assert backend.table_cas("t", "k", version, 3, None) is False
    new_version, value = backend.table_get_versioned("t", "k")
    assert value == 2 and new_version != version


def test_table_append_builds_a_list_and_refuses_a_non_list(any_stash: Stash) -> None:
    backend = any_stash.backend
    assert backend.table_append("t", "log", "a", None) == 1
    assert backend.table_append("t", "log", "b", None) == 2
    assert backend.table_get("t", "log") == (True, ["a", "b"])
    backend.table_set("t", "n", 5, None)
    with pytest.raises(StashError):
        backend.table_append("t", "n", "x", None)
    assert backend.table_get("t", "n") == (True, 5)


def test_table_keys_items_clear_and_cell_ttl(any_stash: Stash) -> None:
    backend = any_stash.backend
    backend.table_set("t", "a1", 1, None)
    backend.table_set("t", "a2", 2, 10)
    backend.table_set("t", "b*[x]", 3, None)
    assert sorted(backend.table_keys("t", "a*")) == ["a1", "a2"]
    assert sorted(backend.table_items("t", "*")) == [("a1", 1), ("a2", 2), ("b*[x]", 3)]
    backend.advance_clock(11)
    assert sorted(backend.table_keys("t", "*")) == ["a1", "b*[x]"]
    assert backend.table_clear("t") == 2
    assert backend.table_len("t") == 0


def test_tables_hold_plain_values_only(any_stash: Stash) -> None:
    backend = any_stash.backend
    with pytest.raises(TypeError, match="cannot be pickled"):
        backend.table_set("t", "lock", __import__("threading").Lock(), None)
    assert backend.table_len("t") == 0
