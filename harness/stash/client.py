"""The client side of the manager transport: pooled, authenticated connections.

One :class:`ManagerBackend` per ``(address, authkey)`` per process. Each operation borrows
an idle connection, sends one request, reads one reply and gives the connection back, so a
server process pays for an authenticated connection once per concurrent operation, not once
per HTTP connection or thread.

>>> backend = ManagerBackend.shared(address, authkey)   # doctest: +SKIP
>>> backend.put("/a.py", key, 42)                       # doctest: +SKIP

A process whose threads can be interrupted (a server with a handler timeout) installs its
interrupt guard with :func:`set_interrupt_guard`: a take or a lock request then finishes its
exchange before the interrupt lands, and undoes what the reply gave (puts the value back,
releases the lock) before letting it go on.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.managers as managers
import os
import pickle
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from multiprocessing import connection as mpc
from multiprocessing.managers import Token
from typing import Any, ClassVar, Protocol

from . import codec
from .envconfig import Address
from .errors import StashError, StashUnavailable
from .identity import current_owner, process_identity
from .manager import PROTOCOL_VERSION, STASH_CONNECTION, StashManager
from .store import EntryInfo, table_value_too_large, value_too_large
from .wire import FrameReader, write_frame

__all__ = ["InterruptGuard", "ManagerBackend", "Pending", "interrupt_guard", "set_interrupt_guard"]

_MAX_IDLE = 32
# Not in typeshed, public in the module since Python 3.0.
_dispatch: Any = getattr(managers, "dispatch")  # noqa: B009
_AUTO_PROXY: Any = getattr(managers, "AutoProxy")  # noqa: B009


class Pending(Protocol):
    """What an interrupt guard tells once its block ends: the interrupt held back, if any."""

    @property
    def exception(self) -> type[BaseException] | None: ...


InterruptGuard = Callable[[], AbstractContextManager[Pending]]
"""Holds back interrupts of this thread for the duration of a ``with`` block."""


class _NothingPending:
    exception: type[BaseException] | None = None


@contextmanager
def _unguarded() -> Iterator[Pending]:
    yield _NothingPending()


_guard: InterruptGuard = _unguarded


def set_interrupt_guard(guard: InterruptGuard | None) -> None:
    """Install this process's interrupt guard (``None``: none, the default).

    A server process that interrupts handler threads installs the one its interrupts
    respect (:func:`harness.net.interrupts.deferred`) before it serves.
    """
    global _guard
    _guard = _unguarded if guard is None else guard


def interrupt_guard() -> AbstractContextManager[Pending]:
    """Enter this process's interrupt guard (any transport's take or lock request uses it)."""
    return _guard()


def _describe_address(address: Address) -> str:
    return address if isinstance(address, str) else f"{address[0]}:{address[1]}"


class _PooledConnection:
    """A pooled connection: the authenticated manager connection, framed by :mod:`.wire`."""

    __slots__ = ("_conn", "_fd", "_reader")

    def __init__(self, conn: mpc.Connection) -> None:
        self._conn = conn
        self._fd = conn.fileno()
        self._reader = FrameReader(self._fd)

    def call(self, request: tuple[Any, ...]) -> Any:
        """Send one request, return the ``(kind, result)`` reply."""
        write_frame(self._fd, pickle.dumps(request, pickle.HIGHEST_PROTOCOL))
        return pickle.loads(self._reader.read())

    def close(self) -> None:
        self._conn.close()


class ManagerBackend:
    """Stash operations over pooled connections to a :mod:`harness.stash.manager` server."""

    _shared: ClassVar[dict[tuple[Any, bytes], ManagerBackend]] = {}
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()
    _all: ClassVar[weakref.WeakSet[ManagerBackend]] = weakref.WeakSet()

    def __init__(self, address: Address, authkey: bytes) -> None:
        self.address = address
        self._authkey = authkey
        self._idle: list[_PooledConnection] = []
        self._idle_lock = threading.Lock()
        self._manager: StashManager | None = None
        self.max_value_bytes: int | None = None
        ManagerBackend._all.add(self)
        self._handshake()

    @classmethod
    def shared(cls, address: Address, authkey: bytes) -> ManagerBackend:
        """The process-wide backend for this stash, created on first use."""
        key = (tuple(address) if isinstance(address, (list, tuple)) else address, authkey)
        backend = cls._shared.get(key)
        if backend is not None:
            return backend
        with cls._shared_lock:
            backend = cls._shared.get(key)
            if backend is None:
                backend = cls(address, authkey)
                cls._shared[key] = backend
            return backend

    # -- connections ----------------------------------------------------------------------

    def _gone(self, exc: BaseException) -> StashUnavailable:
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return StashUnavailable(
            f"the stash server at {_describe_address(self.address)} is gone or unreachable ({detail})"
        )

    def _open(self) -> mpc.Connection:
        try:
            return mpc.Client(self.address, authkey=self._authkey)
        except multiprocessing.AuthenticationError:
            raise StashUnavailable(
                f"the stash server at {_describe_address(self.address)} refused this client's authkey"
            ) from None
        except (OSError, EOFError) as exc:
            raise self._gone(exc) from None

    def _connect(self) -> _PooledConnection:
        """A new authenticated connection, served by the stash's lean loop."""
        conn = self._open()
        try:
            _dispatch(conn, None, "accept_connection", (f"{STASH_CONNECTION}/{process_identity()}",))
        except (OSError, EOFError) as exc:
            conn.close()
            raise self._gone(exc) from None
        return _PooledConnection(conn)

    def _handshake(self) -> None:
        try:
            info = self._call("describe")
        except StashUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever another kind of server answered
            raise StashUnavailable(
                f"the server at {_describe_address(self.address)} is not a harness stash ({exc})"
            ) from None
        if not isinstance(info, dict) or info.get("protocol") != PROTOCOL_VERSION:
            raise StashUnavailable(f"the server at {_describe_address(self.address)} speaks another stash protocol")
        self.max_value_bytes = info.get("max_value_bytes")

    def _call(self, method: str, *args: Any) -> Any:
        with self._idle_lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = self._connect()
        try:
            kind, result = conn.call((None, method, args, {}))
        except BaseException as exc:
            # The reply may still be on its way; this connection cannot be reused.
            conn.close()
            if isinstance(exc, (OSError, EOFError)):
                raise self._gone(exc) from None
            raise
        with self._idle_lock:
            if len(self._idle) < _MAX_IDLE:
                self._idle.append(conn)
                conn = None
        if conn is not None:
            conn.close()
        if kind == "#RETURN":
            return result
        if kind == "#ERROR" and isinstance(result, BaseException):
            raise result
        raise StashError(f"the stash server failed on {method}: {result}")

    def close(self) -> None:
        """Close the idle connections (the backend reconnects if used again)."""
        with self._idle_lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def _forget_inherited(self) -> None:
        # After fork the child must not share the parent's sockets.
        self._idle = []
        self._idle_lock = threading.Lock()
        self._manager = None

    # -- operations -----------------------------------------------------------------------

    def put(self, path: str, key: str, value: object, ttl: float | None = None) -> None:
        payload, refs = codec.dumps(value, manager_address=self.address)
        if self.max_value_bytes is not None and len(payload) > self.max_value_bytes:
            raise value_too_large(path, key, len(payload), self.max_value_bytes)
        if ttl is None:
            self._call("put", path, key, payload, refs, self._owner())
        else:
            self._call("put", path, key, payload, refs, self._owner(), ttl)

    def take(self, path: str, key: str, timeout: float | None) -> Any:
        # A handler timeout waits until the reply is in; the value then goes back.
        with _guard() as pending:
            found = self._call("take", path, key, timeout, self._owner())
        if pending.exception is not None:
            if found is not None:
                self._call("restore", path, key, found[0], found[1], found[2])
            raise pending.exception()
        if found is None:
            return None
        payload, held, deadline = found
        try:
            value = codec.loads(payload, self._rebuild_proxy if held else None)
        except codec.CannotUnpickle:
            self._call("restore", path, key, payload, held, deadline)  # the value stays for a taker that can
            raise
        if held:
            self._call("release", held)
        return value

    def acquire_lock(self, timeout: float | None) -> bool:
        # A handler timeout waits until the reply is in; a granted lock is then released.
        with _guard() as pending:
            granted = bool(self._call("acquire_lock", self._owner(), timeout))
        if pending.exception is not None:
            if granted:
                self._call("release_lock", self._owner())
            raise pending.exception()
        return granted

    def release_lock(self) -> None:
        self._call("release_lock", self._owner())

    def entries(self, path_pattern: str, key_pattern: str) -> list[EntryInfo]:
        return list(self._call("entries", path_pattern, key_pattern))

    def expired(self, path_pattern: str, key_pattern: str) -> list[EntryInfo]:
        return list(self._call("expired", path_pattern, key_pattern))

    def waiting(self, path: str, key: str) -> int:
        return int(self._call("waiting", path, key))

    def advance_clock(self, seconds: float) -> float:
        return float(self._call("advance_clock", seconds))

    # -- tables: values are pickled here, the server only stores bytes --------------------

    def table_get(self, table: str, key: str) -> tuple[bool, Any]:
        found = self._call("table_get", table, key)
        return (False, None) if found is None else (True, codec.loads_cell(found[1]))

    def table_get_versioned(self, table: str, key: str) -> tuple[int | None, Any]:
        found = self._call("table_get", table, key)
        return (None, None) if found is None else (found[0], codec.loads_cell(found[1]))

    def table_set(self, table: str, key: str, value: object, ttl: float | None) -> None:
        self._call("table_set", table, key, self._cell(table, key, value), ttl)

    def table_cas(self, table: str, key: str, version: int | None, value: object, ttl: float | None) -> bool:
        return bool(self._call("table_cas", table, key, version, self._cell(table, key, value), ttl))

    def table_delete(self, table: str, key: str) -> bool:
        return bool(self._call("table_delete", table, key))

    def table_pop(self, table: str, key: str) -> tuple[bool, Any]:
        data = self._call("table_pop", table, key)
        if data is None:
            return False, None
        try:
            return True, codec.loads_cell(data)
        except codec.CannotUnpickle:
            self._call("table_cas", table, key, None, data, None)  # back, unless rewritten meanwhile
            raise

    def table_append(self, table: str, key: str, item: object, ttl: float | None) -> int:
        payload = codec.dumps(item, in_table=True)[0]
        self._check_cell_size(table, key, len(payload))
        return int(self._call("table_append", table, key, payload, ttl))

    def table_keys(self, table: str, pattern: str) -> list[str]:
        return list(self._call("table_keys", table, pattern))

    def table_items(self, table: str, pattern: str) -> list[tuple[str, Any]]:
        return [(key, codec.loads_cell(data)) for key, data in self._call("table_items", table, pattern)]

    def table_len(self, table: str) -> int:
        return int(self._call("table_len", table))

    def table_clear(self, table: str) -> int:
        return int(self._call("table_clear", table))

    def tables(self) -> list[str]:
        return list(self._call("tables"))

    def _cell(self, table: str, key: str, value: object) -> codec.CellData:
        data = codec.dumps_cell(value)
        self._check_cell_size(table, key, len(data) if isinstance(data, bytes) else sum(map(len, data)))
        return data

    def _check_cell_size(self, table: str, key: str, size: int) -> None:
        # Refused here too, so an oversized value never travels.
        if self.max_value_bytes is not None and size > self.max_value_bytes:
            raise table_value_too_large(table, key, size, self.max_value_bytes)

    def forget_process(self, identity: str) -> None:
        self._call("forget_process", identity)

    def new_queue(self) -> Any:
        return self._get_manager().Queue()  # type: ignore[attr-defined]

    # -- manager proxies ------------------------------------------------------------------

    def _owner(self) -> str:
        return current_owner()

    def _get_manager(self) -> StashManager:
        if self._manager is None:
            manager = StashManager(address=self.address, authkey=self._authkey)
            try:
                manager.connect()
            except (OSError, EOFError) as exc:
                raise self._gone(exc) from None
            self._manager = manager
        return self._manager

    def _rebuild_proxy(self, ref: codec.ProxyRef) -> Any:
        token = Token(ref.typeid, ref.address, ref.ident)
        if ref.auto:
            return _AUTO_PROXY(token, "pickle", authkey=self._authkey, exposed=ref.exposed, incref=True)
        module_name, _, qualname = ref.proxytype.partition(":")
        module = __import__(module_name, fromlist=["_"])
        proxytype: Any = module
        for part in qualname.split("."):
            proxytype = getattr(proxytype, part)
        return proxytype(token, "pickle", authkey=self._authkey, exposed=ref.exposed, incref=True)


def _after_fork_in_child() -> None:
    for backend in list(ManagerBackend._all):
        backend._forget_inherited()


os.register_at_fork(after_in_child=_after_fork_in_child)
