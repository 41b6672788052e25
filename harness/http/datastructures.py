"""Multi-valued mappings with wptserve's surface: query and form fields, request headers, cookies.

Names may be given as ``str`` or ``bytes`` (``str`` is encoded as UTF-8, so ASCII names
match either way); values are ``bytes``, as in wptserve.

>>> query = MultiDict([(b"id", b"1"), (b"id", b"2")])
>>> query.first("id"), query.last(b"id"), query.get_list("id")
(b'1', b'2', [b'1', b'2'])
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Generic, TypeVar

__all__ = ["CookieValue", "Cookies", "MultiDict", "RequestHeaders", "as_bytes", "header_key"]

V = TypeVar("V")
_MISSING: Any = object()


def as_bytes(name: str | bytes) -> bytes:
    """A mapping key as bytes: ``str`` is UTF-8 encoded (identical to latin-1 for ASCII)."""
    if isinstance(name, bytes):
        return name
    if isinstance(name, str):
        return name.encode("utf-8")
    raise TypeError(f"names are str or bytes, not {type(name).__name__}: {name!r}")


def header_key(name: str | bytes) -> bytes:
    """A header name as a case-insensitive lookup key, for request and response headers.

    ``str`` is encoded as latin-1, like header bytes on the wire and like the names a
    response stores; a character outside latin-1 becomes ``?``, which no header name holds,
    so such a name simply matches nothing.
    """
    if isinstance(name, bytes):
        return name.lower()
    if isinstance(name, str):
        return name.encode("latin-1", "replace").lower()
    raise TypeError(f"header names are str or bytes, not {type(name).__name__}: {name!r}")


class MultiDict(Generic[V]):
    """An ordered mapping from a name to one or more values.

    ``m[name]``, ``m.get(name)`` and ``m.first(name)`` give the first value; ``first`` and
    ``last`` without a default raise :class:`KeyError` for a missing name.
    """

    __slots__ = ("_data",)

    def __init__(self, items: Iterable[tuple[str | bytes, V]] = ()) -> None:
        self._data: dict[bytes, list[V]] = {}
        for name, value in items:
            self.add(name, value)

    def add(self, name: str | bytes, value: V) -> None:
        """Append a value for ``name``."""
        self._data.setdefault(as_bytes(name), []).append(value)

    def __setitem__(self, name: str | bytes, value: V) -> None:
        self._data[as_bytes(name)] = [value]

    def __delitem__(self, name: str | bytes) -> None:
        del self._data[as_bytes(name)]

    def first(self, name: str | bytes, default: Any = _MISSING) -> V:
        """The first value for ``name``; ``default`` or :class:`KeyError` if absent."""
        values = self._data.get(as_bytes(name))
        if values:
            return values[0]
        if default is _MISSING:
            raise KeyError(name)
        return default  # type: ignore[no-any-return]

    def last(self, name: str | bytes, default: Any = _MISSING) -> V:
        """The last value for ``name``; ``default`` or :class:`KeyError` if absent."""
        values = self._data.get(as_bytes(name))
        if values:
            return values[-1]
        if default is _MISSING:
            raise KeyError(name)
        return default  # type: ignore[no-any-return]

    def __getitem__(self, name: str | bytes) -> V:
        return self.first(name)

    def get(self, name: str | bytes, default: Any = None) -> V | None:
        """The first value for ``name``, or ``default``."""
        return self.first(name, default)

    def get_list(self, name: str | bytes) -> list[V]:
        """Every value for ``name`` (an empty list if absent)."""
        return list(self._data.get(as_bytes(name), ()))

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, (str, bytes)):
            return False
        return as_bytes(name) in self._data

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def keys(self) -> list[bytes]:
        """Names, in first-seen order."""
        return list(self._data)

    def items(self) -> list[tuple[bytes, list[V]]]:
        """``(name, [values])`` pairs, as wptserve's dict-of-lists gives them."""
        return [(name, list(values)) for name, values in self._data.items()]

    def values(self) -> list[list[V]]:
        """Lists of values, one per name."""
        return [list(values) for values in self._data.values()]

    def multi_items(self) -> list[tuple[bytes, V]]:
        """Every ``(name, value)`` pair in order of arrival."""
        return [(name, value) for name, values in self._data.items() for value in values]

    def to_dict(self) -> dict[bytes, V]:
        """``{name: first value}``."""
        return {name: values[0] for name, values in self._data.items() if values}

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MultiDict):
            return self._data == other._data
        return NotImplemented

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.multi_items()!r})"


class RequestHeaders(dict[bytes, list[bytes]]):
    """Read-only, case-insensitive request headers; names ``str`` or ``bytes``, values ``bytes``.

    Like wptserve's, it is a dict from lower-cased names to lists of values, so iteration,
    ``items()``, ``values()`` and ``dict(headers)`` give what wptserve gives.
    ``headers[name]`` joins repeated headers with ``b", "``; :meth:`get_list` keeps them apart.

    >>> headers = RequestHeaders([(b"Accept", b"text/html"), (b"accept", b"*/*")])
    >>> headers["ACCEPT"], headers.get_list("accept"), headers.items()
    (b'text/html, */*', [b'text/html', b'*/*'], dict_items([(b'accept', [b'text/html', b'*/*'])]))
    """

    def __init__(self, raw: Iterable[tuple[bytes, bytes]]) -> None:
        super().__init__()
        self.raw: list[tuple[bytes, bytes]] = list(raw)
        for name, value in self.raw:
            key = name.lower()
            values = dict.get(self, key)
            if values is None:
                dict.__setitem__(self, key, [value])
            else:
                values.append(value)

    def _values(self, name: str | bytes) -> list[bytes] | None:
        return dict.get(self, header_key(name))

    def __getitem__(self, name: str | bytes) -> bytes:  # type: ignore[override]
        values = self._values(name)
        if not values:
            raise KeyError(name)
        return values[0] if len(values) == 1 else b", ".join(values)

    def __setitem__(self, name: object, value: object) -> None:
        raise TypeError("request headers are read-only")

    def __delitem__(self, name: object) -> None:
        raise TypeError("request headers are read-only")

    def get(self, name: str | bytes, default: Any = None) -> Any:
        """The (joined) value of ``name``, or ``default``."""
        try:
            return self[name]
        except KeyError:
            return default

    def get_list(self, name: str | bytes, default: Any = _MISSING) -> list[bytes]:
        """Each value of ``name``; ``default`` or :class:`KeyError` if absent."""
        values = self._values(name)
        if values:
            return list(values)
        if default is _MISSING:
            raise KeyError(name)
        return default  # type: ignore[no-any-return]

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, (str, bytes)):
            return False
        return self._values(name) is not None

    def iteritems(self) -> Iterator[tuple[bytes, bytes]]:
        """``(lower-cased name, joined value)`` pairs."""
        for name in self:
            yield name, self[name]

    def itervalues(self) -> Iterator[bytes]:
        """Each name's joined value."""
        for name in self:
            yield self[name]

    def __repr__(self) -> str:
        return f"RequestHeaders({self.raw!r})"


class CookieValue:
    """One request cookie: ``.key`` (str) and ``.value`` (bytes); compares equal to its value."""

    __slots__ = ("key", "value")

    def __init__(self, key: str, value: bytes) -> None:
        self.key = key
        self.value = value

    def __eq__(self, other: object) -> bool:
        if isinstance(other, CookieValue):
            return self.value == other.value
        return self.value == other

    def __hash__(self) -> int:
        return hash(self.value)

    def __str__(self) -> str:
        return f"{self.key}={self.value.decode('latin-1')}"

    def __repr__(self) -> str:
        return f"CookieValue({self.key!r}, {self.value!r})"


class Cookies(MultiDict[CookieValue]):
    """Request cookies by name; ``cookies[name]`` is the last one sent, as in wptserve."""

    __slots__ = ()

    def __getitem__(self, name: str | bytes) -> CookieValue:
        return self.last(name)
