"""The public stash: :class:`Stash` and its lock.

A :class:`Stash` is a cheap view: a default path plus a backend shared by the whole process.
Handlers get one bound to their URL path as ``request.server.stash``; any other process of
the run makes one from ``HARNESS_STASH_CONFIG``.

Example (a handler that records a beacon and one that waits for it)::

    def main(request, response):             # /beacon.py, over HTTPS
        key = request.GET.first(b"id")
        request.server.stash.put(key, request.body, path="/beacons")
        return "stored"

    def main(ws, request):                   # /wait_wsh.py, over WSS
        key = request.GET.first(b"id")
        ws.send(request.server.stash.take(key, path="/beacons", timeout=10))
"""

from __future__ import annotations

import copy
import math
import uuid
from collections.abc import Iterable
from types import TracebackType
from typing import Any
from urllib.parse import quote

from .backend import StashBackend
from .capabilities import ENDPOINT_PATH, Capability, sign
from .client import ManagerBackend
from .connect import env_backend
from .envconfig import Address, load_env_config
from .keys import (
    RESERVED_TABLE_PREFIX,
    normalize_key,
    normalize_path,
    normalize_table_name,
    normalize_timeout,
    normalize_ttl,
)
from .runinfo import clock_now, run_info
from .store import EntryInfo
from .tables import Table

__all__ = ["Stash", "StashLock"]


class StashLock:
    """The run's one global lock, shared by every process and thread; not reentrant.

    ``put`` and ``take`` never take it, so a handler can hold it around a take-then-put::

        with stash.lock:
            count = stash.take(key) or 0
            stash.put(key, count + 1)
    """

    def __init__(self, backend: StashBackend) -> None:
        self._backend = backend

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        """Acquire as :meth:`threading.Lock.acquire` does; ``True`` once held."""
        if not blocking:
            if timeout != -1:
                raise ValueError("can't specify a timeout for a non-blocking call")
            return self._backend.acquire_lock(0.0)
        if timeout == -1:
            return self._backend.acquire_lock(math.inf)
        return self._backend.acquire_lock(normalize_timeout(timeout))

    def release(self) -> None:
        """Release the lock; :class:`~harness.stash.StashError` if this thread does not hold it."""
        self._backend.release_lock()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


class Stash:
    """Write-once, read-once values under UUID keys, scoped by path, shared by the run.

    ``Stash(default_path)`` finds the run's stash (any backend) through
    ``HARNESS_STASH_CONFIG``; ``Stash(default_path, address, authkey)`` names a manager one,
    and ``backend=open_backend(config)`` any other. Keys are UUIDs in any spelling
    :class:`uuid.UUID` accepts, as ``str`` or ``bytes``; paths are ``str`` or ``bytes``.

    >>> from harness.stash import LocalBackend
    >>> stash = Stash("/a.py", backend=LocalBackend())
    >>> key = stash.new_key()
    >>> stash.put(key, {"seen": True})
    >>> stash.take(key)
    {'seen': True}
    """

    def __init__(
        self,
        default_path: str | bytes | None = None,
        address: Address | None = None,
        authkey: bytes | None = None,
        *,
        backend: StashBackend | None = None,
    ) -> None:
        if backend is None and address is None and authkey is None:
            backend = env_backend()
        elif backend is None:
            if address is None:
                address, env_authkey = load_env_config()
                authkey = authkey if authkey is not None else env_authkey
            elif authkey is None:
                raise ValueError("a stash address needs its authkey")
            backend = ManagerBackend.shared(address, authkey)
        self._backend = backend
        self.default_path: str | None = None if default_path is None else normalize_path(default_path)

    def __repr__(self) -> str:
        return f"<Stash default_path={self.default_path!r}>"

    @property
    def backend(self) -> StashBackend:
        """The transport this view uses."""
        return self._backend

    def at(self, path: str | bytes) -> Stash:
        """A view of the same stash whose default path is ``path``.

        >>> from harness.stash import LocalBackend
        >>> stash = Stash("/a.py", backend=LocalBackend())
        >>> key = stash.new_key()
        >>> stash.put(key, "ping", path="/beacon.py")
        >>> beacons = stash.at("/beacon.py")
        >>> beacons.take(key, timeout=5)
        'ping'
        """
        view = copy.copy(self)
        view.default_path = normalize_path(path)
        return view

    def _resolve_path(self, path: str | bytes | None) -> str:
        if path is not None:
            return normalize_path(path)
        if self.default_path is None:
            raise ValueError("this stash has no default path: pass path=..., or use stash.at(path)")
        return self.default_path

    def put(
        self,
        key: str | bytes | uuid.UUID,
        value: object,
        path: str | bytes | None = None,
        ttl: float | None = None,
    ) -> None:
        """Store a copy of ``value`` under ``key`` at ``path`` (default: this view's path).

        ``ttl``: seconds after which an untaken value expires (gone for ``take``,
        ``entries()`` and the leftover report, which lists it as expired); ``None`` uses the
        run's ``stash.default_ttl`` (no expiry if unset), ``math.inf`` never expires.

        Raises :class:`~harness.stash.StashError` if the key already holds a value,
        :class:`ValueError` for ``None`` (``take`` uses ``None`` for "absent"), a key that is
        not a UUID, a TTL that is not positive or a value over the size limit, and
        :class:`TypeError` for a value that cannot be pickled. Nothing is stored when it
        raises.

        >>> stash.put(key, report, ttl=30)   # doctest: +SKIP
        """
        resolved_path = self._resolve_path(path)
        normalized_key = normalize_key(key)
        if value is None:
            raise ValueError(f"cannot stash None under key {normalized_key}: take() returns None for a missing key")
        if ttl is None:
            self._backend.put(resolved_path, normalized_key, value)
        else:
            self._backend.put(resolved_path, normalized_key, value, normalize_ttl(ttl))

    def take(self, key: str | bytes | uuid.UUID, path: str | bytes | None = None, timeout: float | None = None) -> Any:
        """Remove and return the value under ``key`` at ``path``; ``None`` if absent.

        With ``timeout`` (seconds, ``math.inf`` for no limit) an absent value is waited for:
        the put that stores it wakes this take, from any process or protocol, and ``None``
        comes back if the time runs out. A value this process cannot unpickle (its class is
        not importable here) raises :class:`pickle.UnpicklingError` and stays in the stash.
        """
        resolved_path = self._resolve_path(path)
        return self._backend.take(resolved_path, normalize_key(key), normalize_timeout(timeout))

    @property
    def lock(self) -> StashLock:
        """The run's global lock (see :class:`StashLock`)."""
        return StashLock(self._backend)

    def get_queue(self) -> Any:
        """A new queue living in the stash server; put it in the stash to share it.

        It needs the manager-backed stash of a run (``harness serve``)::

            queue = stash.get_queue()
            stash.put(key, queue)   # another process takes it and shares the queue
        """
        return self._backend.new_queue()

    def entries(self, key: str = "*", path: str | bytes = "*") -> list[EntryInfo]:
        """List live entries (without taking them) whose key and path match glob patterns.

        >>> from harness.stash import LocalBackend
        >>> stash = Stash("/beacon.py", backend=LocalBackend())
        >>> stash.put("6f0d3c3a-9c1b-4a86-8f61-1c4e8b5a2d10", 1)
        >>> [entry.key for entry in stash.entries(path="/beacon.py")]
        ['6f0d3c3a-9c1b-4a86-8f61-1c4e8b5a2d10']
        """
        return self._backend.entries(normalize_path(path), _key_pattern(key))

    def expired(self, key: str = "*", path: str | bytes = "*") -> list[EntryInfo]:
        """Values that expired before anyone took them (the run's most recent ones).

        Each :class:`EntryInfo` has ``expired`` true and ``expires_in`` <= 0.
        """
        return self._backend.expired(normalize_path(path), _key_pattern(key))

    # -- tables ---------------------------------------------------------------------------

    def table(self, name: str | bytes, ttl: float | None = None) -> Table:
        """The dict-like table ``name`` (created by its first write); see :class:`Table`.

        ``ttl``: seconds each write keeps its key (``None``: forever). Names starting with
        ``harness/`` are the harness's own.

        >>> sessions = stash.table("sessions")      # doctest: +SKIP
        >>> sessions["user:1"] = {"name": "Alice"}  # doctest: +SKIP
        """
        return Table(self._backend, name, ttl)

    def tables(self) -> list[str]:
        """The names of the tables that hold at least one key, sorted."""
        return [name for name in self._backend.tables() if not name.startswith(RESERVED_TABLE_PREFIX)]

    # -- pages: share links and capabilities ----------------------------------------------

    def share(self, key: str | bytes | uuid.UUID, path: str | bytes | None = None, ttl: float = 60.0) -> str:
        """An HTTPS URL on the harness that hands the value under ``key`` to whoever GETs it.

        The value is taken (so the link works once, like any take) by the first GET within
        ``ttl`` seconds; later the link answers 403. A value that is not there yet answers
        404 (``?timeout=S`` waits for it). ``bytes`` come back as they are, ``str`` as
        UTF-8 text, anything else as JSON.

        >>> url = stash.share(key, ttl=30)          # doctest: +SKIP
        >>> requests.get(url, verify=ca).json()     # doctest: +SKIP
        """
        capability = Capability(
            frozenset({"take"}),
            expires=self._expiry(ttl),
            path=self._resolve_path(path),
            key=normalize_key(key),
        )
        token = sign(run_info(self._backend).secret, capability)
        return f"{run_info(self._backend).urls['https']}{ENDPOINT_PATH}?cap={quote(token)}"

    def capability(
        self,
        *,
        path: str | bytes | None = None,
        table: str | bytes | None = None,
        ops: Iterable[str] | None = None,
        ttl: float = 300.0,
    ) -> str:
        """A token that lets a page on another origin use the stash endpoint, in scope only.

        Scope: one ``path`` (ops ``put``, ``take``; default both) or one ``table`` (ops
        ``read``, ``write``; default both), for ``ttl`` seconds. Give it to the page, whose
        ``new HarnessStash({base, capability})`` sends it with each call.

        >>> token = stash.capability(table="events", ops=["write"], ttl=60)   # doctest: +SKIP
        """
        if (path is None) == (table is None):
            raise ValueError("a capability is for a path or for a table: pass exactly one of path=, table=")
        if table is not None:
            default_ops = {"read", "write"}
            target = {"table": normalize_table_name(table)}
            if target["table"].startswith(RESERVED_TABLE_PREFIX):
                raise ValueError(f"tables named {RESERVED_TABLE_PREFIX}* belong to the harness; not for pages")
        else:
            default_ops = {"put", "take"}
            target = {"path": self._resolve_path(path)}
        try:
            chosen = frozenset(default_ops if ops is None else ([ops] if isinstance(ops, str) else ops))
        except TypeError:  # not iterable, or unhashable items
            raise TypeError(f"ops must be operation names (an iterable of str), not {ops!r}") from None
        capability = Capability(chosen, expires=self._expiry(ttl), **target)
        return sign(run_info(self._backend).secret, capability)

    def _expiry(self, ttl: float) -> float:
        seconds = normalize_ttl(ttl)
        if seconds is None or math.isinf(seconds):
            raise ValueError("a share link or capability needs a finite ttl")
        return clock_now(self._backend) + seconds

    def waiting(self, key: str | bytes | uuid.UUID, path: str | bytes | None = None) -> int:
        """How many takes (in any process) are blocked waiting for ``key`` at ``path``.

        Lets a test know a handler is already waiting before it puts::

            assert wait_until(lambda: stash.waiting(key, path="/wake") == 1)
        """
        return self._backend.waiting(self._resolve_path(path), normalize_key(key))

    @staticmethod
    def new_key() -> str:
        """A fresh UUID string to use as a key."""
        return str(uuid.uuid4())


def _key_pattern(key: object) -> str:
    """A key glob for ``entries()``/``expired()``: one UUID in any spelling is made canonical."""
    if not isinstance(key, str):
        raise TypeError(f"key pattern must be str, not {type(key).__name__}")
    try:
        return normalize_key(key)
    except ValueError:
        return key  # a glob, not one UUID
