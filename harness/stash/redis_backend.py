"""The Redis transport: one stash for every harness and test process of a run, on any machine.

Each operation is one Lua script (:mod:`.redis_scripts`), so it is atomic in Redis and costs
one round trip. Keys live under ``harness:RUN_ID:`` and expire ``key_ttl`` seconds after
their last write, so runs sharing a Redis never meet and a crashed run leaves nothing
forever. Every payload is sealed with the run's secret (:mod:`.seal`) and checked before it
is unpickled.

A blocked take registers in a sorted set with a lease and sleeps in ``BLPOP`` on a wake list;
the put that stores its value pushes a token there, so the wake-up is the put itself. A take
renews its lease every ``wait_slice`` seconds while it waits, so a taker whose machine died
stops counting in ``waiting()`` within a lease. The lock is a key holding its owner's token
with a lease that its process renews while it holds it: if that machine dies, the lock frees
itself when the lease runs out.

>>> backend = RedisBackend("redis://127.0.0.1:6379/0", run_id="r1", secret=b"k")   # doctest: +SKIP
>>> backend.put("/a.py", key, {"ok": True})                                        # doctest: +SKIP
"""

from __future__ import annotations

import contextvars
import fnmatch
import hashlib
import logging
import math
import os
import queue
import threading
import time
import uuid
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, cast

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from . import codec, redis_scripts
from .client import interrupt_guard
from .envconfig import StashConfig, load_stash_config
from .errors import StashError, StashUnavailable
from .identity import current_owner
from .redis_wire import Prepacked, RespConnection, bulk, pack
from .seal import MAC_BYTES, Sealer
from .store import EntryInfo, value_too_large
from .url import BackendURL, describe_endpoint, parse_backend_url

__all__ = ["RedisBackend", "RedisQueue"]

_logger = logging.getLogger("harness.stash.redis")
_loading: contextvars.ContextVar[RedisBackend | None] = contextvars.ContextVar("harness_redis_loading", default=None)
_GLOB = frozenset("*?[")
_INFO_BATCH = 500
_MAX_IDLE = 32
_QUEUE_MARK = b"_restore_queue"  # in the pickle of a value holding a RedisQueue


def _redis_literal(text: bytes) -> bytes:
    """``text`` escaped for a Redis ``MATCH`` pattern, matching only itself."""
    out = bytearray()
    for byte in text:
        if byte in b"*?[]\\":
            out += b"\\"
        out.append(byte)
    return bytes(out)


def _literal_prefix(pattern: str) -> str:
    """The part of an fnmatch pattern before its first wildcard."""
    for index, char in enumerate(pattern):
        if char in _GLOB:
            return pattern[:index]
    return pattern


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


class RedisBackend:
    """Stash operations on a Redis server (see the module docstring for the design).

    ``url`` is a ``redis://``, ``rediss://`` or ``unix://`` URL; ``run_id`` names the run (its
    key prefix) and ``secret`` signs its values. ``lock_lease`` is how long a lock survives
    a holder that stopped renewing it, ``wait_slice`` how often a waiting take renews its lease.
    """

    _shared: ClassVar[dict[tuple[str, str, bytes], RedisBackend]] = {}
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()
    _all: ClassVar[weakref.WeakSet[RedisBackend]] = weakref.WeakSet()

    def __init__(
        self,
        url: str | BackendURL,
        run_id: str,
        secret: bytes,
        *,
        key_ttl: float = 86400.0,
        max_value_bytes: int | None = None,
        default_ttl: float | None = None,
        test_clock: bool = False,
        lock_lease: float = 10.0,
        wait_slice: float = 5.0,
    ) -> None:
        self.url = url if isinstance(url, BackendURL) else parse_backend_url(url)
        if self.url.kind != "redis":
            raise ValueError(f"{self.url.redacted} is not a Redis URL")
        if not run_id or not secret:
            raise ValueError("a Redis stash needs the run's id and secret")
        self.endpoint = describe_endpoint(self.url)
        self.run_id = run_id
        self._sealer = Sealer(secret)
        self.key_ttl_ms = max(1000, int(key_ttl * 1000))
        self.max_value_bytes = max_value_bytes
        self.lock_lease_ms = max(100, int(lock_lease * 1000))
        self.wait_slice = wait_slice
        self.default_ttl = default_ttl
        self.test_clock = test_clock
        self.prefix = b"harness:" + _encode(run_id) + b":"
        self._clock_keys = [self.prefix + b"clock", self.prefix + b"deadlines", self.prefix + b"expired"]
        self._clock_packed = Prepacked(*self._clock_keys)
        self._key_ttl_arg = bulk(b"%d" % self.key_ttl_ms)
        self._version_key = self.prefix + b"versions"
        self._lock_key = self.prefix + b"lock"
        self._lock_wake_key = self.prefix + b"lock-wake"
        self.client = self._make_client()
        self._idle: list[RespConnection] = []
        self._idle_lock = threading.Lock()
        self._put = self._registered(redis_scripts.PUT)
        self._take = self._registered(redis_scripts.TAKE)
        self._waiting = self._registered(redis_scripts.WAITING)
        self._entry_info = self._registered(redis_scripts.ENTRY_INFO)
        self._acquire = self._registered(redis_scripts.ACQUIRE_LOCK)
        self._release = self._registered(redis_scripts.RELEASE_LOCK)
        self._renew = self._registered(redis_scripts.RENEW_LOCK)
        self._sweep = self._registered(redis_scripts.SWEEP)
        self._advance = self._registered(redis_scripts.ADVANCE_CLOCK)
        self._table = self._registered(redis_scripts.TABLE)
        self._held: set[str] = set()
        self._held_lock = threading.Lock()
        self._renewer: threading.Thread | None = None
        self._renewer_stop = threading.Event()
        RedisBackend._all.add(self)

    def _registered(self, script: str) -> _Script:
        return _Script(self, script)

    # -- connections ----------------------------------------------------------------------
    #
    # The hot path skips redis-py's client layer (retries, events, metrics: most of the cost
    # of a command on a busy machine) and uses pooled lean connections (:mod:`.redis_wire`):
    # one write, one read per operation.

    def _borrow(self) -> RespConnection:
        with self._idle_lock:
            if self._idle:
                return self._idle.pop()
        try:
            return RespConnection(self.url)
        except (redis.RedisError, OSError) as exc:
            raise self._stash_error(exc, "connecting") from None

    def _give_back(self, connection: RespConnection) -> None:
        with self._idle_lock:
            if len(self._idle) < _MAX_IDLE:
                self._idle.append(connection)
                return
        connection.close()

    def _forget_inherited(self) -> None:
        # After fork the child must not share the parent's sockets (nor their locks).
        self._idle = []
        self._idle_lock = threading.Lock()
        self._held_lock = threading.Lock()
        self._held = set()
        self._renewer = None

    def _command(self, *args: Any, what: str = "a stash operation", read_timeout: float | None = None) -> Any:
        """Send one command on a pooled connection and return its reply; errors as stash errors.

        A ``NOSCRIPT`` reply is raised as is, for :class:`_Script` to load the script.
        """
        return self._send(pack(args), what, read_timeout)

    def _send(self, command: bytes, what: str, read_timeout: float | None = None) -> Any:
        """:meth:`_command` for a command already packed."""
        connection = self._borrow()
        try:
            reply = connection.send(command, timeout=read_timeout)
        except redis.exceptions.NoScriptError:
            self._give_back(connection)
            raise
        except redis.ResponseError as exc:
            self._give_back(connection)  # an error reply leaves the connection in step
            raise self._stash_error(exc, what) from None
        except (redis.RedisError, OSError) as exc:
            connection.close()  # a reply may still be on its way: never reuse it
            raise self._stash_error(exc, what) from None
        except BaseException:
            connection.close()
            raise
        self._give_back(connection)
        return reply

    def _stash_error(self, exc: BaseException, what: str) -> BaseException:
        """A client error as the stash error that names the server (never its password)."""
        if isinstance(exc, redis.AuthenticationError):
            return StashUnavailable(f"the Redis stash at {self.endpoint} refused the credentials ({what})")
        if isinstance(exc, (redis.ConnectionError, redis.TimeoutError, OSError)):
            detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            return StashUnavailable(
                f"the Redis stash at {self.endpoint} is unreachable or did not answer in time during {what} ({detail})"
            )
        if isinstance(exc, redis.ResponseError):
            return StashError(f"the Redis stash at {self.endpoint} refused {what}: {exc}")
        return exc

    def _make_client(self) -> redis.Redis:
        url = self.url
        common: dict[str, Any] = {
            "db": url.db,
            "username": url.username,
            "password": url.password,
            "socket_timeout": url.timeout,
            "socket_connect_timeout": url.timeout,
            # A retried put or take could run twice: every failure is reported instead.
            "retry": Retry(NoBackoff(), 0),
            "retry_on_error": [],
            "health_check_interval": 0,
        }
        if url.scheme == "unix":
            return redis.Redis(unix_socket_path=url.socket_path, **common)
        if url.scheme == "rediss":
            common["ssl"] = True
            common["ssl_cert_reqs"] = "required"
            for name, value in url.tls_files.items():
                common[name] = value
        return redis.Redis(host=url.host, port=url.port, **common)

    @classmethod
    def shared(cls, url: str, run_id: str, secret: bytes, **options: Any) -> RedisBackend:
        """The process-wide backend for this run on this Redis, created on first use."""
        key = (url, run_id, secret)
        backend = cls._shared.get(key)
        if backend is None:
            with cls._shared_lock:
                backend = cls._shared.get(key)
                if backend is None:
                    backend = cls._shared[key] = cls(url, run_id, secret, **options)
        return backend

    @classmethod
    def for_run(cls, config: StashConfig, **options: Any) -> RedisBackend:
        """The process-wide backend of the run that ``config`` (a Redis stash config) describes."""
        return cls.shared(
            config.backend,
            config.run_id,
            config.secret,
            key_ttl=config.key_ttl,
            max_value_bytes=config.max_value_bytes,
            default_ttl=config.default_ttl,
            test_clock=config.test_clock,
            **options,
        )

    def __repr__(self) -> str:
        return f"<RedisBackend {self.endpoint} run={self.run_id}>"

    # -- errors ---------------------------------------------------------------------------

    @contextmanager
    def _translated(self, what: str) -> Iterator[None]:
        """Redis client errors as stash errors that name the server (never its password)."""
        try:
            yield
        except (redis.RedisError, OSError) as exc:
            raise self._stash_error(exc, what) from None

    def ping(self) -> None:
        """Check that the server answers and accepts our credentials; :class:`StashUnavailable` if not."""
        with self._translated("a ping"):
            self.client.ping()

    # -- keys -----------------------------------------------------------------------------

    def _slot(self, kind: bytes, path: str, key: str) -> bytes:
        return self.prefix + kind + b":" + _encode(key) + b":" + _encode(path)

    def _value_keys(self, path: str, key: str) -> list[bytes]:
        """clock, deadlines, expired, value, wake list, waiters."""
        tail = b":" + _encode(key) + b":" + _encode(path)
        prefix = self.prefix
        return [*self._clock_keys, prefix + b"v" + tail, prefix + b"w" + tail, prefix + b"z" + tail]

    def _sealed(self, place: bytes, value: object, path: str, key: str) -> bytes:
        payload, _refs = codec.dumps(value)
        if self.max_value_bytes is not None and len(payload) > self.max_value_bytes:
            raise value_too_large(path, key, len(payload), self.max_value_bytes)
        return self._sealer.seal(place, payload)

    def _opened(self, place: bytes, sealed: bytes, what: str) -> Any:
        payload = self._sealer.open(place, sealed, what)
        if _QUEUE_MARK not in payload:
            return codec.loads(payload)
        token = _loading.set(self)
        try:
            return codec.loads(payload)
        finally:
            _loading.reset(token)

    # -- values ---------------------------------------------------------------------------

    def _ttl_ms(self, ttl: float | None) -> int:
        """A TTL as the scripts take it: ms, or -1 for none."""
        if ttl is None or math.isinf(ttl):
            return -1
        if not ttl > 0:
            raise ValueError(f"a stash TTL must be a positive number of seconds, got {ttl!r}")
        return max(1, math.ceil(ttl * 1000))

    def put(self, path: str, key: str, value: object, ttl: float | None = None) -> None:
        keys = self._value_keys(path, key)
        ttl_ms = self._ttl_ms(self.default_ttl if ttl is None else ttl)
        sealed = self._sealed(keys[3], value, path, key)
        args = b"%b%b%b%b" % (bulk(sealed), bulk(b"%d" % ttl_ms), self._key_ttl_arg, self._key_ttl_arg)
        stored = self._put.on_value(keys, args, 4, "a put")
        if not stored:
            raise StashError(f"stash key {key} at path {path!r} already holds a value (values are write-once)")

    def _take_step(self, keys: list[bytes], mode: bytes, owner: str) -> bytes | None:
        lease_ms = int((self.wait_slice * 2 + self.url.timeout) * 1000)
        args = b"%b%b%b%b" % (bulk(mode), bulk(_encode(owner)), bulk(b"%d" % lease_ms), self._key_ttl_arg)
        with interrupt_guard() as pending:
            found: bytes | None = self._take.on_value(keys, args, 4, "a take")
        if pending.exception is not None:
            if found is not None:
                self._restore(keys, found)
            raise pending.exception()
        return found

    def _restore(self, keys: list[bytes], sealed: bytes) -> None:
        """Put back a value whose taker was interrupted (lost if the key was meanwhile refilled)."""
        with self._translated("putting back an interrupted take"):
            self._put(keys, [sealed, -1, self.key_ttl_ms, self.key_ttl_ms])

    def take(self, path: str, key: str, timeout: float | None) -> Any:
        keys = self._value_keys(path, key)
        if not timeout:
            found = self._take_step(keys, b"take", "")
        else:
            found = self._wait_for(keys, timeout, current_owner() + "/" + uuid.uuid4().hex[:8])
        return None if found is None else self._opened(keys[3], found, f"stash value of key {key} at path {path!r}")

    def _wait_for(self, keys: list[bytes], timeout: float, waiter: str) -> bytes | None:
        deadline = time.monotonic() + timeout
        found = self._take_step(keys, b"wait", waiter)
        try:
            while found is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._block_pop(keys[4], min(remaining, self.wait_slice))
                found = self._take_step(keys, b"wait", waiter)
        finally:
            if found is None:
                # Timed out or interrupted: leave the waiters, taking a value that just came.
                found = self._take_step(keys, b"leave", waiter)
        return found

    def _block_pop(self, key: bytes, seconds: float) -> bytes | None:
        """``BLPOP key seconds`` whose reply may take that long (plus the usual timeout)."""
        seconds = max(seconds, 0.001)
        reply = self._command(
            "BLPOP", key, f"{seconds:.3f}", what="a blocking wait", read_timeout=seconds + self.url.timeout
        )
        return None if reply is None else bytes(reply[1])

    def entries(self, path_pattern: str, key_pattern: str) -> list[EntryInfo]:
        head = self.prefix + b"v:"
        match = _redis_literal(head + _encode(_literal_prefix(key_pattern)))
        if not (_GLOB & set(key_pattern)):
            match += _redis_literal(b":" + _encode(_literal_prefix(path_pattern)))
        match += b"*"
        named: list[tuple[bytes, str, str]] = []
        with self._translated("a listing"):
            for name in self.client.scan_iter(match=match, count=1000):
                key, _, path = bytes(name)[len(head) :].decode("utf-8", "surrogatepass").partition(":")
                if fnmatch.fnmatchcase(key, key_pattern) and fnmatch.fnmatchcase(path, path_pattern):
                    named.append((bytes(name), path, key))
            found: list[EntryInfo] = []
            for start in range(0, len(named), _INFO_BATCH):
                batch = named[start : start + _INFO_BATCH]
                reply = self._entry_info(self._clock_keys + [name for name, _, _ in batch], [])
                now = int(reply[0])
                for index, size, created, deadline in reply[1:]:
                    _name, path, key = batch[int(index) - 1]
                    found.append(self._entry(path, key, int(size), now, int(created), int(deadline)))
        return found

    def _entry(self, path: str, key: str, size: int, now: int, created: int, deadline: int) -> EntryInfo:
        expires_in = None if not deadline else (deadline - now) / 1000
        return EntryInfo(path, key, max(0, size - MAC_BYTES), max(0.0, (now - created) / 1000), expires_in)

    def expired(self, path_pattern: str, key_pattern: str) -> list[EntryInfo]:
        head = self.prefix + b"v:"
        with self._translated("a listing of expired values"):
            reply = self._sweep(self._clock_keys, [])
        now, found = int(reply[0]), []
        for record in reply[1:]:
            created, deadline, size, name = bytes(record).split(b":", 3)
            if not name.startswith(head):
                continue
            key, _, path = name[len(head) :].decode("utf-8", "surrogatepass").partition(":")
            if fnmatch.fnmatchcase(key, key_pattern) and fnmatch.fnmatchcase(path, path_pattern):
                found.append(self._entry(path, key, int(size), now, int(created), int(deadline)))
        return found

    def advance_clock(self, seconds: float) -> float:
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise TypeError(f"seconds must be a number, not {type(seconds).__name__}")
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"the stash clock only moves forward by a finite number of seconds, got {seconds!r}")
        if seconds and not self.test_clock:
            raise StashError("this run's stash clock cannot be advanced: set stash.test_clock to true in its config")
        with self._translated("moving the stash clock"):
            offset = int(self._advance(self._clock_keys, [math.ceil(seconds * 1000), self.key_ttl_ms]))
        return offset / 1000

    def waiting(self, path: str, key: str) -> int:
        with self._translated("counting waiters"):
            return int(self._waiting([self._slot(b"z", path, key)], []))

    # -- the lock -------------------------------------------------------------------------

    def acquire_lock(self, timeout: float | None) -> bool:
        owner = current_owner()
        deadline = None if timeout is None or math.isinf(timeout) else time.monotonic() + timeout
        while True:
            with interrupt_guard() as pending, self._translated("acquiring the lock"):
                left = int(self._acquire([self._lock_key], [owner, self.lock_lease_ms]))
            if pending.exception is not None:
                if left == 0:
                    self._release_owned(owner)
                raise pending.exception()
            if left == 0:
                self._hold(owner)
                return True
            if left < 0:
                raise StashError("the stash lock is already held by this thread; it is not reentrant")
            remaining = math.inf if deadline is None else deadline - time.monotonic()
            if remaining <= 0:
                return False
            # Woken by a release, or when the holder's lease would run out (its machine died).
            self._block_pop(self._lock_wake_key, min(remaining, left / 1000 + 0.01, self.wait_slice))

    def release_lock(self) -> None:
        owner = current_owner()
        outcome = self._release_owned(owner)
        if outcome != 1:
            held = "is not held" if outcome == 0 else "is held by another thread or process"
            raise StashError(f"cannot release the stash lock: it {held}")

    def _release_owned(self, owner: str) -> int:
        with self._held_lock:
            self._held.discard(owner)
        with self._translated("releasing the lock"):
            return int(self._release([self._lock_key, self._lock_wake_key], [owner, self.lock_lease_ms]))

    def _hold(self, owner: str) -> None:
        with self._held_lock:
            self._held.add(owner)
            if self._renewer is None or not self._renewer.is_alive():
                self._renewer = threading.Thread(
                    target=_renew_leases, args=(weakref.ref(self),), name="harness-redis-lease", daemon=True
                )
                self._renewer.start()

    def renew_leases(self) -> None:
        """Extend the lease of the lock held by this process, if any (the renewer thread does it)."""
        with self._held_lock:
            owners = list(self._held)
        for owner in owners:
            try:
                with self._translated("renewing the lock's lease"):
                    still = int(self._renew([self._lock_key], [owner, self.lock_lease_ms]))
            except StashError as exc:
                _logger.warning("could not renew the stash lock's lease: %s", exc)
                continue
            if not still:
                with self._held_lock:
                    self._held.discard(owner)
                _logger.warning("the stash lock's lease ran out before it was renewed; another holder may have it")

    # -- tables ---------------------------------------------------------------------------

    def _table_keys(self, table: str) -> list[bytes]:
        return [*self._clock_keys, self.prefix + b"t:" + _encode(table), self._version_key]

    def _cell_place(self, table: str, key: str) -> bytes:
        return self.prefix + b"t:" + _encode(table) + b"\0" + _encode(key)

    def _table_call(self, table: str, *args: object) -> Any:
        with self._translated(f"an operation on table {table!r}"):
            return self._table(self._table_keys(table), list(args))

    def _seal_cell(self, table: str, key: str, value: object) -> bytes:
        payload = codec.dumps(value, in_table=True)[0]
        if self.max_value_bytes is not None and len(payload) > self.max_value_bytes:
            raise ValueError(
                f"table {table!r} value for key {key!r} is {len(payload)} bytes pickled, "
                f"over the limit of {self.max_value_bytes} bytes (stash.max_value_bytes)"
            )
        return self._sealer.seal(self._cell_place(table, key), payload)

    def _open_cell(self, table: str, key: str, sealed: bytes) -> Any:
        return self._opened(self._cell_place(table, key), bytes(sealed), f"value of table {table!r} key {key!r}")

    def table_get(self, table: str, key: str) -> tuple[bool, Any]:
        version, value = self.table_get_versioned(table, key)
        return (version is not None, value)

    def table_get_versioned(self, table: str, key: str) -> tuple[int | None, Any]:
        found = self._table_call(table, "get", key)
        if not found:
            return (None, None)
        return int(found[0]), self._open_cell(table, key, found[1])

    def table_set(self, table: str, key: str, value: object, ttl: float | None) -> None:
        self._table_call(table, "set", key, self._seal_cell(table, key, value), self._ttl_ms(ttl), self.key_ttl_ms)

    def table_cas(self, table: str, key: str, version: int | None, value: object, ttl: float | None) -> bool:
        sealed = self._seal_cell(table, key, value)
        expected = "" if version is None else str(version)
        return bool(self._table_call(table, "cas", key, expected, sealed, self._ttl_ms(ttl), self.key_ttl_ms))

    def table_delete(self, table: str, key: str) -> bool:
        return bool(self._table_call(table, "delete", key)[0])

    def table_pop(self, table: str, key: str) -> tuple[bool, Any]:
        found = self._table_call(table, "delete", key)
        if not found[0]:
            return (False, None)
        return (True, self._open_cell(table, key, found[1]))

    def table_append(self, table: str, key: str, item: object, ttl: float | None) -> int:
        # Optimistic: read the list and its version, write it back only if nobody wrote meanwhile.
        codec.dumps(item, in_table=True)
        while True:
            version, current = self.table_get_versioned(table, key)
            if version is not None and type(current) is not list:
                raise StashError(
                    f"table {table!r} key {key!r} holds a {type(current).__name__}, not a list: cannot append to it"
                )
            items = [*(current or []), item]
            if self.table_cas(table, key, version, items, ttl):
                return len(items)

    def _table_scan(self, table: str) -> list[tuple[str, bytes]]:
        reply = self._table_call(table, "scan")
        return [
            (bytes(reply[i]).decode("utf-8", "surrogatepass"), bytes(reply[i + 2])) for i in range(0, len(reply), 3)
        ]

    def table_keys(self, table: str, pattern: str) -> list[str]:
        return [key for key, _ in self._table_scan(table) if fnmatch.fnmatchcase(key, pattern)]

    def table_items(self, table: str, pattern: str) -> list[tuple[str, Any]]:
        return [
            (key, self._open_cell(table, key, sealed))
            for key, sealed in self._table_scan(table)
            if fnmatch.fnmatchcase(key, pattern)
        ]

    def table_len(self, table: str) -> int:
        return len(self._table_scan(table))

    def table_clear(self, table: str) -> int:
        return int(self._table_call(table, "clear"))

    def tables(self) -> list[str]:
        head = self.prefix + b"t:"
        with self._translated("listing tables"):
            names = [bytes(name)[len(head) :] for name in self.client.scan_iter(match=_redis_literal(head) + b"*")]
        return sorted(
            table for table in (name.decode("utf-8", "surrogatepass") for name in names) if self.table_len(table)
        )

    # -- queues ---------------------------------------------------------------------------

    def new_queue(self) -> RedisQueue:
        return RedisQueue(self, self.prefix + b"q:" + uuid.uuid4().hex.encode())

    def close(self) -> None:
        """Close the connections (they reopen if the backend is used again)."""
        self._renewer_stop.set()
        with self._idle_lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()
        self.client.close()


class _Script:
    """A Lua script run with ``EVALSHA`` (loaded on a ``NOSCRIPT`` reply, e.g. after a restart)."""

    def __init__(self, backend: RedisBackend, text: str) -> None:
        self._backend = backend
        self.text = text
        self.sha = hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()
        self._head = Prepacked("EVALSHA", self.sha)
        # EVALSHA, its SHA, numkeys 6 and the run's clock keys: the start of every put and take.
        self._value_head = self._head.data + Prepacked(6, *backend._clock_keys).data

    def on_value(self, keys: list[bytes], args: bytes, arg_count: int, what: str) -> Any:
        """Run on a value's six keys (``_value_keys``) with ``args`` packed by hand (:func:`bulk`).

        The put and take hot path: one formatting of the whole command, no generic packing.
        """
        head, value, wake, waiters = self._value_head, keys[3], keys[4], keys[5]
        size = len(value)  # the three names differ only in one letter
        command = b"*%d\r\n%b$%d\r\n%b\r\n$%d\r\n%b\r\n$%d\r\n%b\r\n%b" % (
            arg_count + 9,
            head,
            size,
            value,
            size,
            wake,
            size,
            waiters,
            args,
        )
        backend = self._backend
        try:
            return backend._send(command, what)
        except redis.exceptions.NoScriptError:
            backend._command("SCRIPT", "LOAD", self.text, what=what)
            return backend._send(command, what)

    def __call__(self, keys: list[bytes], args: list[Any], what: str = "a stash operation") -> Any:
        backend = self._backend
        count = len(keys)
        clock = backend._clock_keys
        head: list[Any] = keys
        if count >= 3 and keys[0] is clock[0] and keys[1] is clock[1] and keys[2] is clock[2]:
            head = [backend._clock_packed, *keys[3:]]  # the run's fixed keys, packed once
        try:
            return backend._command(self._head, count, *head, *args, what=what)
        except redis.exceptions.NoScriptError:
            backend._command("SCRIPT", "LOAD", self.text, what=what)
            return backend._command(self._head, count, *head, *args, what=what)


def _renew_leases(ref: weakref.ReferenceType[RedisBackend]) -> None:
    while True:
        backend = ref()
        if backend is None:
            return
        stop, interval = backend._renewer_stop, backend.lock_lease_ms / 3000
        with backend._held_lock:
            if not backend._held:
                backend._renewer = None
                return
        backend.renew_leases()
        del backend
        if stop.wait(interval):
            return


class RedisQueue:
    """A FIFO queue living in the run's Redis, from ``stash.get_queue()`` on a Redis stash.

    It has the methods of :class:`queue.Queue` that cross processes (``put``, ``get``,
    ``put_nowait``, ``get_nowait``, ``qsize``, ``empty``, ``full``). Stash it to hand it to
    any process of the run, on any machine: it is pickled by name, and its items are sealed.

    >>> channel = stash.get_queue()             # doctest: +SKIP
    >>> stash.put(key, channel)                 # doctest: +SKIP
    >>> stash.take(key).get(timeout=5)          # doctest: +SKIP
    """

    def __init__(self, backend: RedisBackend, name: bytes) -> None:
        self._backend = backend
        self.name = name

    def __repr__(self) -> str:
        return f"<RedisQueue {self.name.decode(errors='replace')}>"

    def __reduce__(self) -> tuple[Any, tuple[bytes]]:
        return (_restore_queue, (self.name,))

    def put(self, item: object, block: bool = True, timeout: float | None = None) -> None:
        """Append ``item`` (a copy); never blocks, a Redis list has no size limit."""
        sealed = self._backend._sealed(self.name, item, "<queue>", self.name.decode())
        with self._backend._translated("a queue put"):
            pipe = self._backend.client.pipeline(transaction=True)
            pipe.rpush(self.name, sealed)
            pipe.pexpire(self.name, self._backend.key_ttl_ms)
            pipe.execute()

    def put_nowait(self, item: object) -> None:
        self.put(item, block=False)

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        """Remove and return the first item; :class:`queue.Empty` if none comes in time."""
        backend = self._backend
        if not block:
            with backend._translated("a queue get"):
                sealed = cast("bytes | None", backend.client.lpop(self.name))
        else:
            deadline = None if timeout is None else time.monotonic() + timeout
            sealed = None
            while sealed is None:
                remaining = math.inf if deadline is None else deadline - time.monotonic()
                if remaining <= 0:
                    break
                sealed = backend._block_pop(self.name, min(remaining, backend.wait_slice))
        if sealed is None:
            raise queue.Empty
        return backend._opened(self.name, bytes(sealed), "queue item")

    def get_nowait(self) -> Any:
        return self.get(block=False)

    def qsize(self) -> int:
        with self._backend._translated("a queue size"):
            return int(self._backend.client.llen(self.name))

    def empty(self) -> bool:
        return self.qsize() == 0

    def full(self) -> bool:
        return False


def _after_fork_in_child() -> None:
    for backend in list(RedisBackend._all):
        backend._forget_inherited()


os.register_at_fork(after_in_child=_after_fork_in_child)


def _restore_queue(name: bytes) -> RedisQueue:
    """Unpickling a :class:`RedisQueue`: bind it to the backend that loads it."""
    backend = _loading.get()
    if backend is None:
        config = load_stash_config()
        if parse_backend_url(config.backend).kind != "redis":
            raise StashError("a Redis stash queue can only be used by a process of a run with a Redis stash")
        backend = RedisBackend.for_run(config)
    if not name.startswith(backend.prefix):
        raise StashError("this Redis stash queue belongs to another run")
    return RedisQueue(backend, name)
