"""Named tables: mutable, dict-like namespaces of the run's stash, shared by every process.

A :class:`Table` is a cheap view (a name, a default TTL and the backend); the data lives in
the stash server. Every operation is one atomic step there, so racing processes get exact
results, and :meth:`Table.update` and :meth:`Table.append` replace wpt's take-then-put
idioms::

    sessions = stash.table("sessions")
    sessions["user:1"] = {"name": "Alice"}
    sessions.update("hits", lambda n: n + 1, default=0)   # read-modify-write, no lock
    sessions.append("log", "page loaded")                 # a list pages can poll
    sessions.keys("user:*")                               # ['user:1']
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import StashError
from .keys import normalize_table_key, normalize_table_name, normalize_ttl

if TYPE_CHECKING:
    from .backend import StashBackend

__all__ = ["MAX_UPDATE_ATTEMPTS", "Table"]

MAX_UPDATE_ATTEMPTS = 10_000  # compare-and-set retries before update() gives up

_T = TypeVar("_T")


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Any = _Missing()


class Table:
    """A named table of the stash: any ``str`` keys, values stored as copies.

    ``ttl`` (seconds) is the lifetime each write gives its key (``None``: keys never
    expire); :meth:`set` and :meth:`append` take their own. A key written again gets a new
    deadline.

    >>> scores = stash.table("scores", ttl=60)   # doctest: +SKIP
    >>> scores["alice"] = 3                      # doctest: +SKIP
    >>> scores.update("alice", lambda n: n + 1)  # doctest: +SKIP
    4
    """

    __slots__ = ("_backend", "name", "ttl")

    def __init__(self, backend: StashBackend, name: str | bytes, ttl: float | None = None) -> None:
        self._backend = backend
        self.name = normalize_table_name(name)
        self.ttl = normalize_ttl(ttl)

    def __repr__(self) -> str:
        return f"<Table {self.name!r}>"

    def _ttl(self, ttl: float | _Missing | None) -> float | None:
        return self.ttl if ttl is _MISSING else normalize_ttl(ttl)

    # -- mapping --------------------------------------------------------------------------

    def __getitem__(self, key: str | bytes) -> Any:
        found, value = self._backend.table_get(self.name, normalize_table_key(key))
        if not found:
            raise KeyError(key)
        return value

    def __setitem__(self, key: str | bytes, value: object) -> None:
        self._backend.table_set(self.name, normalize_table_key(key), value, self.ttl)

    def __delitem__(self, key: str | bytes) -> None:
        if not self._backend.table_delete(self.name, normalize_table_key(key)):
            raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        found, _value = self._backend.table_get(self.name, normalize_table_key(key))
        return found

    def __len__(self) -> int:
        return self._backend.table_len(self.name)

    def __iter__(self) -> Iterator[str]:
        """The keys as they are now (a snapshot)."""
        return iter(self.keys())

    def get(self, key: str | bytes, default: Any = None) -> Any:
        """The value of ``key``, or ``default`` when it is absent (or expired)."""
        found, value = self._backend.table_get(self.name, normalize_table_key(key))
        return value if found else default

    def set(self, key: str | bytes, value: object, ttl: float | _Missing | None = _MISSING) -> None:
        """``table[key] = value`` with its own ``ttl`` (default: the table's)."""
        self._backend.table_set(self.name, normalize_table_key(key), value, self._ttl(ttl))

    def add(self, key: str | bytes, value: object, ttl: float | _Missing | None = _MISSING) -> bool:
        """Set ``key`` only if it is absent; ``True`` if this call set it (a lock-free claim)."""
        return self._backend.table_cas(self.name, normalize_table_key(key), None, value, self._ttl(ttl))

    def pop(self, key: str | bytes, default: Any = _MISSING) -> Any:
        """Remove ``key`` and return its value; ``default`` (or :class:`KeyError`) when absent."""
        found, value = self._backend.table_pop(self.name, normalize_table_key(key))
        if found:
            return value
        if default is _MISSING:
            raise KeyError(key)
        return default

    def keys(self, pattern: str = "*") -> list[str]:
        """The keys matching the glob ``pattern`` (:mod:`fnmatch`: ``*``, ``?``, ``[...]``)."""
        return self._backend.table_keys(self.name, _pattern(pattern))

    def items(self, pattern: str = "*") -> list[tuple[str, Any]]:
        """``(key, value)`` pairs of the keys matching ``pattern``, read in one step."""
        return self._backend.table_items(self.name, _pattern(pattern))

    def values(self, pattern: str = "*") -> list[Any]:
        """The values of the keys matching ``pattern``, read in one step."""
        return [value for _key, value in self.items(pattern)]

    def clear(self) -> int:
        """Remove every key at once; return how many there were."""
        return self._backend.table_clear(self.name)

    # -- atomic read-modify-write ---------------------------------------------------------

    def update(self, key: str | bytes, fn: Callable[[Any], _T], default: Any = _MISSING) -> _T:
        """Replace the value of ``key`` by ``fn(value)`` atomically; return the new value.

        ``fn`` runs here, in the caller; the write only lands if nobody wrote ``key``
        meanwhile, else ``fn`` runs again on the newer value (so it must not have side
        effects). An absent key gets ``fn(default)``, or :class:`KeyError` without a default.

        >>> counters.update("visits", lambda n: n + 1, default=0)   # doctest: +SKIP
        1
        """
        name, normalized = self.name, normalize_table_key(key)
        backend = self._backend
        for _attempt in range(MAX_UPDATE_ATTEMPTS):
            version, value = backend.table_get_versioned(name, normalized)
            if version is None:
                if default is _MISSING:
                    raise KeyError(key)
                value = default
            new = fn(value)
            if backend.table_cas(name, normalized, version, new, self.ttl):
                return new
        raise StashError(f"table {name!r} key {normalized!r} changed {MAX_UPDATE_ATTEMPTS} times during one update()")

    def append(self, key: str | bytes, item: object, ttl: float | _Missing | None = _MISSING) -> int:
        """Append ``item`` to the list at ``key`` (created if absent); return its new length.

        :class:`~harness.stash.StashError` if ``key`` holds a value that is not a list.

        >>> events.append("log", {"type": "load"})   # doctest: +SKIP
        1
        """
        return self._backend.table_append(self.name, normalize_table_key(key), item, self._ttl(ttl))


def _pattern(pattern: object) -> str:
    if not isinstance(pattern, str):
        raise TypeError(f"a key pattern must be str, not {type(pattern).__name__}")
    return pattern
