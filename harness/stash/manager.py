"""The stash server: a :class:`~multiprocessing.managers.BaseManager` hosting one store.

Each stash operation is one method call on one shared :class:`StashService`, so it runs as
one atomic step inside this process: a put or a take costs a client one round trip (a take
of a value holding manager proxies one more, to release the stash's hold on them).
Clients authenticate with the run's authkey before the server unpickles anything they send.

>>> run_stash_server("/tmp/stash.sock", os.urandom(32))   # doctest: +SKIP
"""

from __future__ import annotations

import pickle
import queue
import signal
import sys
import threading
from collections.abc import Callable
from multiprocessing import process
from multiprocessing.managers import BaseManager
from multiprocessing.managers import Server as ManagerServer
from typing import Any

from .codec import ProxyRef
from .errors import StashError
from .store import CellData, Entry, EntryInfo, StashStore
from .wire import FrameReader, write_frame

__all__ = ["SERVICE_TYPEID", "StashManager", "StashService", "run_stash_server"]

SERVICE_TYPEID = "StashService"
PROTOCOL_VERSION = 2


class StashService:
    """The store as clients see it: checks the wire arguments, and keeps proxies alive.

    A value holding a manager proxy (say a queue) must outlive the process that put it, so
    the service takes a reference on each object the value names when it is put, and drops
    it once the taker has built its own proxy (:meth:`release`).
    """

    def __init__(self, store: StashStore) -> None:
        self.store = store
        store.on_expire = self._expired

    def describe(self) -> dict[str, Any]:
        """What a client needs to know once: the protocol version and the value limit."""
        return {"protocol": PROTOCOL_VERSION, "max_value_bytes": self.store.max_value_bytes}

    def put(
        self, path: str, key: str, payload: bytes, refs: tuple[ProxyRef, ...], owner: str, ttl: float | None = None
    ) -> None:
        if not (type(path) is str and type(key) is str and type(payload) is bytes and type(owner) is str):
            _check_types(path=(path, str), key=(key, str), payload=(payload, bytes), owner=(owner, str))
        if ttl is not None:
            _check_ttl(ttl)
        idents = self._hold(refs)
        try:
            self.store.put(path, key, payload, idents, owner, ttl)
        except BaseException:
            self._drop(idents)
            raise

    def take(
        self, path: str, key: str, timeout: float | None, owner: str
    ) -> tuple[bytes, tuple[str, ...], float | None] | None:
        """``(payload, held proxy idents, deadline)``; the deadline lets a restore keep the TTL."""
        if not (type(path) is str and type(key) is str and type(owner) is str):
            _check_types(path=(path, str), key=(key, str), owner=(owner, str))
        if timeout is not None and not isinstance(timeout, float):
            raise TypeError("timeout must be a float or None")
        entry = self.store.take(path, key, timeout, owner)
        if entry is None:
            return None
        return entry.payload, entry.refs, entry.deadline

    def restore(
        self, path: str, key: str, payload: bytes, held: tuple[str, ...], deadline: float | None = None
    ) -> bool:
        """Put back a value its taker could not keep (interrupted); ``False`` if its place is taken.

        It keeps the ``deadline`` it had (on the stash clock).
        """
        if deadline is not None and not isinstance(deadline, float):
            raise TypeError("deadline must be a float or None")
        if self.store.restore(path, key, Entry(payload, held, deadline=deadline)):
            return True
        self._drop(held)
        return False

    def release(self, idents: tuple[str, ...]) -> None:
        """Drop the stash's hold on objects a taker now references itself."""
        self._drop(idents)

    def acquire_lock(self, owner: str, timeout: float | None) -> bool:
        _check_types(owner=(owner, str))
        return self.store.acquire_lock(owner, timeout)

    def release_lock(self, owner: str) -> None:
        _check_types(owner=(owner, str))
        self.store.release_lock(owner)

    def entries(self, path_pattern: str, key_pattern: str) -> list[EntryInfo]:
        _check_types(path_pattern=(path_pattern, str), key_pattern=(key_pattern, str))
        return self.store.entries(path_pattern, key_pattern)

    def expired(self, path_pattern: str, key_pattern: str) -> list[EntryInfo]:
        _check_types(path_pattern=(path_pattern, str), key_pattern=(key_pattern, str))
        return self.store.expired(path_pattern, key_pattern)

    def waiting(self, path: str, key: str) -> int:
        _check_types(path=(path, str), key=(key, str))
        return self.store.waiting(path, key)

    def advance_clock(self, seconds: float) -> float:
        return self.store.advance_clock(seconds)

    def _expired(self, entry: Entry) -> None:
        """A stored value expired: drop the proxies it held (runs under the store's mutex)."""
        self._drop(entry.refs)

    # -- tables (payloads are pickled by the client; see harness.stash.codec.dumps_cell) ---

    def table_get(self, table: str, key: str) -> tuple[int, CellData] | None:
        _check_types(table=(table, str), key=(key, str))
        return self.store.table_get(table, key)

    def table_set(self, table: str, key: str, data: CellData, ttl: float | None) -> int:
        _check_types(table=(table, str), key=(key, str))
        _check_cell(data, ttl)
        return self.store.table_set(table, key, data, ttl)

    def table_cas(self, table: str, key: str, version: int | None, data: CellData, ttl: float | None) -> bool:
        _check_types(table=(table, str), key=(key, str))
        if version is not None and type(version) is not int:
            raise TypeError("version must be an int or None")
        _check_cell(data, ttl)
        return self.store.table_cas(table, key, version, data, ttl)

    def table_delete(self, table: str, key: str) -> bool:
        _check_types(table=(table, str), key=(key, str))
        return self.store.table_delete(table, key)

    def table_pop(self, table: str, key: str) -> CellData | None:
        _check_types(table=(table, str), key=(key, str))
        return self.store.table_pop(table, key)

    def table_append(self, table: str, key: str, item: bytes, ttl: float | None) -> int:
        _check_types(table=(table, str), key=(key, str), item=(item, bytes))
        if ttl is not None:
            _check_ttl(ttl)
        return self.store.table_append(table, key, item, ttl)

    def table_keys(self, table: str, pattern: str) -> list[str]:
        _check_types(table=(table, str), pattern=(pattern, str))
        return self.store.table_keys(table, pattern)

    def table_items(self, table: str, pattern: str) -> list[tuple[str, CellData]]:
        _check_types(table=(table, str), pattern=(pattern, str))
        return self.store.table_items(table, pattern)

    def table_len(self, table: str) -> int:
        _check_types(table=(table, str))
        return self.store.table_len(table)

    def table_clear(self, table: str) -> int:
        _check_types(table=(table, str))
        return self.store.table_clear(table)

    def tables(self) -> list[str]:
        return self.store.tables()

    def forget_process(self, process_identity: str) -> None:
        _check_types(process_identity=(process_identity, str))
        self.store.forget_process(process_identity)

    # -- references held on behalf of stored values ---------------------------------------

    def _hold(self, refs: tuple[ProxyRef, ...]) -> tuple[str, ...]:
        if not refs:
            return ()
        server = _current_server()
        idents: list[str] = []
        try:
            for ref in refs:
                if not isinstance(ref, tuple) or len(ref) != len(ProxyRef._fields):
                    raise TypeError("malformed proxy reference in a stash value")
                ident = ProxyRef(*ref).ident
                try:
                    server.incref(None, ident)
                except KeyError:
                    raise StashError(
                        "the stash value holds a proxy whose object the stash server no longer has"
                    ) from None
                idents.append(ident)
        except BaseException:
            self._drop(tuple(idents))
            raise
        return tuple(idents)

    def _drop(self, idents: tuple[str, ...]) -> None:
        if not idents:
            return
        server = _current_server()
        for ident in idents:
            try:
                server.decref(None, ident)
            except (KeyError, AttributeError):
                pass


def _check_types(**arguments: tuple[object, type]) -> None:
    for name, (value, expected) in arguments.items():
        if not isinstance(value, expected):
            raise TypeError(f"{name} must be {expected.__name__}, not {type(value).__name__}")


def _check_ttl(ttl: object) -> None:
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float)):
        raise TypeError(f"ttl must be a number of seconds or None, not {type(ttl).__name__}")


def _check_cell(data: object, ttl: object) -> None:
    if ttl is not None:
        _check_ttl(ttl)
    if type(data) is bytes:
        return
    if type(data) is not list or any(type(item) is not bytes for item in data):
        raise TypeError("a table cell must be bytes or a list of bytes")


def _current_server() -> Any:
    server = getattr(process.current_process(), "_manager_server", None)
    if server is None:
        raise StashError("proxy references can only be held inside the stash server")
    return server


_service: StashService | None = None


def _get_service() -> StashService:
    if _service is None:
        raise StashError("this manager process hosts no stash")
    return _service


_SERVICE_METHODS = (
    "describe",
    "put",
    "take",
    "release",
    "acquire_lock",
    "release_lock",
    "entries",
    "waiting",
    "forget_process",
    "restore",
    "expired",
    "advance_clock",
    "table_get",
    "table_set",
    "table_cas",
    "table_delete",
    "table_pop",
    "table_append",
    "table_keys",
    "table_items",
    "table_len",
    "table_clear",
    "tables",
)


STASH_CONNECTION = "harness-stash"


class _StashServer(ManagerServer):
    """The manager's server, with a lean loop for the stash's own pooled connections.

    A connection is authenticated as usual first (nothing is unpickled before that). One
    named ``harness-stash/<process identity>`` only calls the plain methods of the one
    :class:`StashService`, so it is served here: one buffered read per request, plain
    pickle both ways. Every other connection (queue proxies) gets the stdlib's loop.

    Two things only this loop can see are handled here: a reply carrying a taken value or
    a granted lock that cannot be delivered (the client is gone) is undone, and when the
    last connection of a process closes, the lock it may hold is released.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._connections: dict[str, int] = {}
        self._connections_lock = threading.Lock()

    def accept_connection(self, c: Any, name: str) -> None:
        kind, _, identity = name.partition("/")
        if kind != STASH_CONNECTION:
            super().accept_connection(c, name)
            return
        threading.current_thread().name = name
        with self._connections_lock:
            self._connections[identity] = self._connections.get(identity, 0) + 1
        try:
            c.send(("#RETURN", None))
            self._serve_stash(c)
        finally:
            with self._connections_lock:
                left = self._connections[identity] - 1
                if left:
                    self._connections[identity] = left
                else:
                    del self._connections[identity]
            if not left and identity:
                _get_service().store.release_lock_of(identity)

    def _serve_stash(self, conn: Any) -> None:
        service = _get_service()
        calls = {name: getattr(service, name) for name in _SERVICE_METHODS}
        fd = conn.fileno()
        reader = FrameReader(fd)
        while True:
            try:
                request = reader.read()
            except (EOFError, OSError):
                return
            name, args = "", ()
            try:
                _ident, name, args, kwds = pickle.loads(request)
                call = calls.get(name)
                if call is None:
                    raise AttributeError(f"the stash has no method {name!r}")
                reply: tuple[str, Any] = ("#RETURN", call(*args, **kwds))
            except Exception as exc:  # noqa: BLE001 - the client re-raises it
                reply = ("#ERROR", exc)
            try:
                payload = pickle.dumps(reply, pickle.HIGHEST_PROTOCOL)
            except Exception as exc:  # noqa: BLE001 - e.g. an exception that does not pickle
                payload = pickle.dumps(("#ERROR", StashError(f"the stash could not send its reply: {exc}")))
            try:
                write_frame(fd, payload)
            except OSError:
                _undo(service, name, args, reply)
                return


def _undo(service: StashService, name: str, args: Any, reply: tuple[str, Any]) -> None:
    """Take back what an undeliverable reply gave: a value goes back, a lock is released."""
    kind, result = reply
    if kind != "#RETURN":
        return
    if name == "take" and result is not None:
        path, key = args[0], args[1]
        payload, held, deadline = result
        service.restore(path, key, payload, held, deadline)
    elif name == "acquire_lock" and result is True:
        try:
            service.release_lock(args[0])
        except StashError:
            pass


SWEEP_INTERVAL = 1.0


def _sweep_forever(store: StashStore) -> None:
    tick = threading.Event()
    while not tick.wait(SWEEP_INTERVAL):
        store.sweep()


class StashManager(BaseManager):
    """The manager class both the stash server and :meth:`Stash.get_queue` clients use."""


StashManager.register(SERVICE_TYPEID, callable=_get_service, exposed=_SERVICE_METHODS)
StashManager.register("Queue", callable=queue.Queue)


def run_stash_server(
    address: Any,
    authkey: bytes,
    max_value_bytes: int | None = None,
    on_listening: Callable[[Any], None] | None = None,
    ignore_sigint: bool = False,
    default_ttl: float | None = None,
    test_clock: bool = False,
) -> None:
    """Serve a new stash at ``address`` until SIGTERM or SIGINT; blocks.

    ``on_listening`` is called with the bound address (a free port replaced by the real
    one) once clients can connect. ``default_ttl`` and ``test_clock`` are the store's
    (:class:`~harness.stash.store.StashStore`); a timer sweeps expired values every
    :data:`SWEEP_INTERVAL` seconds, so an idle stash releases them too.
    """
    global _service
    store = StashStore(max_value_bytes, default_ttl=default_ttl, test_clock=test_clock)
    _service = StashService(store)
    threading.Thread(target=_sweep_forever, args=(store,), name="harness-stash-sweeper", daemon=True).start()
    server = _StashServer(StashManager._registry, address, authkey, "pickle")  # type: ignore[attr-defined]

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN if ignore_sigint else stop)
    if on_listening is not None:
        on_listening(server.address)
    sys.stdout.flush()
    server.serve_forever()
