"""Turning stash values into bytes and back.

Values are stored as pickles, so a taker gets a copy and the stash server never needs the
value's classes. A manager proxy inside a value (a queue from ``stash.get_queue()``) is not
pickled by value: it travels as a :class:`ProxyRef`, and the stash server keeps the object it
names alive until a taker has rebuilt the proxy.

>>> payload, refs = dumps({"count": 3})
>>> loads(payload)
{'count': 3}
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Callable
from multiprocessing.managers import BaseProxy
from typing import Any, NamedTuple, Union

__all__ = ["CannotUnpickle", "CellData", "ProxyRef", "dumps", "dumps_cell", "loads", "loads_cell"]

_PROTOCOL = pickle.HIGHEST_PROTOCOL

CellData = Union[bytes, list[bytes]]
"""A table value as stored: one pickle, or a list of pickled items (made by append)."""
_PLAIN_TYPES = frozenset({str, bytes, int, float, bool, type(None)})


class ProxyRef(NamedTuple):
    """Enough to rebuild a manager proxy in another process."""

    typeid: str
    address: Any
    ident: str
    exposed: tuple[str, ...] | None
    auto: bool
    proxytype: str  # "module:qualname" of the proxy class when not auto-generated


class _Pickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, manager_address: Any, in_table: bool = False) -> None:
        super().__init__(file, _PROTOCOL)
        self.manager_address = manager_address
        self.in_table = in_table
        self.refs: list[ProxyRef] = []

    def persistent_id(self, obj: Any) -> Any:
        if not isinstance(obj, BaseProxy):
            return None
        token = getattr(obj, "_token")  # noqa: B009 - private in typeshed, stable since 3.0
        if self.in_table:
            raise ValueError(
                f"a manager proxy ({type(obj).__name__}) cannot be stored in a stash table: tables hold "
                "plain values; put it in the path space with stash.put()"
            )
        if self.manager_address is None:
            raise ValueError(f"a manager proxy ({type(obj).__name__}) can only be stashed in a manager-backed stash")
        if _same_address(token.address, self.manager_address) is False:
            raise ValueError(
                f"a proxy of the manager at {token.address!r} cannot be stashed in the stash at "
                f"{self.manager_address!r}; use stash.get_queue() to make a shareable queue"
            )
        auto = bool(getattr(obj, "_isauto", False))
        cls = type(obj)
        exposed = getattr(obj, "_exposed_", None)
        ref = ProxyRef(
            typeid=token.typeid,
            address=token.address,
            ident=token.id,
            exposed=tuple(exposed) if exposed is not None else None,
            auto=auto,
            proxytype="" if auto else f"{cls.__module__}:{cls.__qualname__}",
        )
        self.refs.append(ref)
        return ("harness-proxy", len(self.refs) - 1, ref)


def _same_address(left: Any, right: Any) -> bool:
    if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
        return tuple(left) == tuple(right)
    return bool(left == right)


def dumps(value: object, manager_address: Any = None, in_table: bool = False) -> tuple[bytes, tuple[ProxyRef, ...]]:
    """Pickle ``value``; return the bytes and the manager proxies found inside it.

    Raises :class:`TypeError` naming the value's type when it cannot be pickled, and
    :class:`ValueError` for a proxy that cannot be stored (any proxy when ``in_table``).
    """
    if type(value) in _PLAIN_TYPES:
        return pickle.dumps(value, _PROTOCOL), ()
    buffer = io.BytesIO()
    pickler = _Pickler(buffer, manager_address, in_table)
    try:
        pickler.dump(value)
    except ValueError:
        raise
    except Exception as exc:
        raise TypeError(f"stash value of type {type(value).__qualname__} cannot be pickled: {exc}") from exc
    return buffer.getvalue(), tuple(pickler.refs)


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, rebuild: Callable[[ProxyRef], Any] | None) -> None:
        super().__init__(file)
        self.rebuild = rebuild

    def persistent_load(self, pid: Any) -> Any:
        if not (isinstance(pid, tuple) and len(pid) == 3 and pid[0] == "harness-proxy"):
            raise pickle.UnpicklingError(f"unknown persistent id in a stash value: {pid!r}")
        if self.rebuild is None:
            raise pickle.UnpicklingError("this stash value holds a manager proxy, which this stash cannot rebuild")
        return self.rebuild(ProxyRef(*pid[2]))


class CannotUnpickle(pickle.UnpicklingError):
    """A stored value this process cannot rebuild (its class is not importable here, say)."""


def loads(payload: bytes, rebuild: Callable[[ProxyRef], Any] | None = None) -> Any:
    """Unpickle a stash value, rebuilding manager proxies with ``rebuild``.

    Raises :class:`CannotUnpickle` naming the cause when the value cannot be rebuilt here.
    """
    try:
        if b"harness-proxy" not in payload:
            return pickle.loads(payload)
        return _Unpickler(io.BytesIO(payload), rebuild).load()
    except Exception as exc:
        raise CannotUnpickle(f"a stash value cannot be unpickled in this process: {type(exc).__name__}: {exc}") from exc


def dumps_cell(value: object) -> CellData:
    """Encode a table value: a ``list`` item by item (so appends extend it), else one pickle.

    >>> dumps_cell([1, 2]) == [dumps(1)[0], dumps(2)[0]]
    True
    """
    if type(value) is list:
        return [dumps(item, in_table=True)[0] for item in value]
    return dumps(value, in_table=True)[0]


def loads_cell(data: CellData) -> Any:
    """Decode what :func:`dumps_cell` made."""
    if isinstance(data, bytes):
        return loads(data)
    return [loads(item) for item in data]
