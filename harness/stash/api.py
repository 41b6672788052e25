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
from types import TracebackType
from typing import Any

from .backend import StashBackend
from .client import ManagerBackend
from .connect import env_backend
from .envconfig import Address, load_env_config
from .keys import normalize_key, normalize_path, normalize_timeout
from .store import EntryInfo

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

    >>> stash = Stash("/a.py", backend=LocalBackend())   # doctest: +SKIP
    >>> key = stash.new_key()                            # doctest: +SKIP
    >>> stash.put(key, {"seen": True})                   # doctest: +SKIP
    >>> stash.take(key)                                  # doctest: +SKIP
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

        >>> beacons = stash.at("/beacon.py")   # doctest: +SKIP
        >>> beacons.take(key, timeout=5)       # doctest: +SKIP
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

    def put(self, key: str | bytes | uuid.UUID, value: object, path: str | bytes | None = None) -> None:
        """Store a copy of ``value`` under ``key`` at ``path`` (default: this view's path).

        Raises :class:`~harness.stash.StashError` if the key already holds a value,
        :class:`ValueError` for ``None`` (``take`` uses ``None`` for "absent"), a key that is
        not a UUID or a value over the size limit, and :class:`TypeError` for a value that
        cannot be pickled. Nothing is stored when it raises.
        """
        resolved_path = self._resolve_path(path)
        normalized_key = normalize_key(key)
        if value is None:
            raise ValueError(f"cannot stash None under key {normalized_key}: take() returns None for a missing key")
        self._backend.put(resolved_path, normalized_key, value)

    def take(self, key: str | bytes | uuid.UUID, path: str | bytes | None = None, timeout: float | None = None) -> Any:
        """Remove and return the value under ``key`` at ``path``; ``None`` if absent.

        With ``timeout`` (seconds, ``math.inf`` for no limit) an absent value is waited for:
        the put that stores it wakes this take, from any process or protocol, and ``None``
        comes back if the time runs out.
        """
        resolved_path = self._resolve_path(path)
        return self._backend.take(resolved_path, normalize_key(key), normalize_timeout(timeout))

    @property
    def lock(self) -> StashLock:
        """The run's global lock (see :class:`StashLock`)."""
        return StashLock(self._backend)

    def get_queue(self) -> Any:
        """A new queue living in the stash server; put it in the stash to share it.

        >>> queue = stash.get_queue()          # doctest: +SKIP
        >>> stash.put(key, queue)              # doctest: +SKIP
        """
        return self._backend.new_queue()

    def entries(self, key: str = "*", path: str | bytes = "*") -> list[EntryInfo]:
        """List live entries (without taking them) whose key and path match glob patterns.

        >>> [entry.key for entry in stash.entries(path="/beacon.py")]   # doctest: +SKIP
        """
        if not isinstance(key, str):
            raise TypeError(f"key pattern must be str, not {type(key).__name__}")
        try:
            key = normalize_key(key)
        except ValueError:
            pass  # a glob, not one UUID
        return self._backend.entries(normalize_path(path), key)

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
