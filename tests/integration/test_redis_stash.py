"""The Redis backend against a real redis-server: security, isolation, leases, queues, faults.

What the shared suite (``tests/unit/test_stash_api.py`` over ``any_stash``) cannot show:
signed payloads, runs that share one Redis, key expiry, credentials and TLS, a lock holder
whose machine dies, queues used from another process, and an unreachable server.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import time
import uuid
from pathlib import Path

import pytest
import redis
import trustme

from harness.stash import Stash, StashError, StashUnavailable
from harness.stash.redis_backend import RedisBackend
from harness.stash.seal import seal
from tests.redis_support import REDIS_SERVER, RedisServer, free_port
from tests.support import wait_until

KEY = "6f0d3c3a-9c1b-4a86-8f61-1c4e8b5a2d10"
PATH = "/redis.py"


def _backend(url: str, run: str | None = None, secret: bytes = b"run-secret", **options: object) -> RedisBackend:
    return RedisBackend(url, run or uuid.uuid4().hex, secret, **options)  # type: ignore[arg-type]


def _raw(server: RedisServer) -> redis.Redis:
    return redis.Redis(host=server.bind, port=server.port, password=server.password)


class _Boom:
    """Unpickling this would create a file: proof that a payload was (not) unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.marker), "w"))


# -- signed payloads ---------------------------------------------------------------------------


def test_a_tampered_payload_is_refused_and_never_unpickled(redis_server: RedisServer, tmp_path: Path) -> None:
    backend = _backend(redis_server.url)
    backend.put(PATH, KEY, "honest")
    name = backend._value_keys(PATH, KEY)[3]
    marker = tmp_path / "unpickled"
    evil = pickle.dumps(_Boom(marker))
    _raw(redis_server).hset(name, "p", seal(b"not the run's secret", name, evil))
    with pytest.raises(StashError, match=r"failed its signature check .* it was not unpickled"):
        backend.take(PATH, KEY, None)
    assert not marker.exists()
    assert backend.take(PATH, KEY, None) is None  # the refused value was still taken (read-once)
    _raw(redis_server).hset(name, mapping={"p": b"short", "c": 0, "d": 0})  # not even a MAC's length
    with pytest.raises(StashError, match="signature check"):
        backend.take(PATH, KEY, None)


def test_a_signed_value_moved_to_another_key_is_refused(redis_server: RedisServer) -> None:
    backend = _backend(redis_server.url)
    other = "00000000-0000-4000-8000-000000000002"
    backend.put(PATH, KEY, "meant for KEY")
    raw = _raw(redis_server)
    source, target = backend._value_keys(PATH, KEY)[3], backend._value_keys(PATH, other)[3]
    raw.hset(target, mapping=raw.hgetall(source))
    with pytest.raises(StashError, match="signature check"):
        backend.take(PATH, other, None)
    assert backend.take(PATH, KEY, None) == "meant for KEY"


def test_another_runs_secret_cannot_read_this_runs_values(redis_server: RedisServer) -> None:
    run = uuid.uuid4().hex
    _backend(redis_server.url, run, b"secret-a").put(PATH, KEY, "private")
    with pytest.raises(StashError, match="signature check"):
        _backend(redis_server.url, run, b"secret-b").take(PATH, KEY, None)


# -- runs sharing one Redis --------------------------------------------------------------------


def test_two_runs_on_one_redis_never_meet(redis_server: RedisServer) -> None:
    first, second = _backend(redis_server.url), _backend(redis_server.url)
    first.put(PATH, KEY, "first run")
    second.put(PATH, KEY, "second run")
    assert [e.key for e in second.entries("*", "*")] == [KEY]
    assert first.take(PATH, KEY, None) == "first run"
    assert second.take(PATH, KEY, None) == "second run"


def test_every_key_of_a_run_expires_after_the_configured_time(redis_server: RedisServer) -> None:
    backend = _backend(redis_server.url, key_ttl=120)
    stash = Stash(PATH, backend=backend)
    stash.put(
        KEY,
        "value",
    )
    backend.put(PATH, "00000000-0000-4000-8000-000000000003", "short", 5)
    assert stash.take("00000000-0000-4000-8000-000000000004", timeout=0.05) is None
    with stash.lock:
        queue = stash.get_queue()
        queue.put("item")
    backend.table_set("t", "k", 1, None)
    backend.advance_clock(0)
    raw = _raw(redis_server)
    names = list(raw.scan_iter(match=backend.prefix + b"*"))
    assert len(names) >= 4
    for name in names:
        assert 0 < raw.pttl(name) <= 120_000, name


def test_globs_in_paths_are_matched_literally_when_escaped(redis_server: RedisServer) -> None:
    stash = Stash(backend=_backend(redis_server.url))
    tricky = "/a*b?[c]\\d:e"
    stash.put(KEY, 1, path=tricky)
    stash.put(KEY, 2, path="/aXb")
    literal = "".join(f"[{char}]" if char in "*?[" else char for char in tricky)
    assert [(e.path, e.key) for e in stash.entries(path=literal)] == [(tricky, KEY)]
    assert {e.path for e in stash.entries(path="/a*")} == {tricky, "/aXb"}
    assert {e.path for e in stash.entries(key=KEY.upper()[:4] + "*")} == set()
    assert {e.path for e in stash.entries(key=KEY[:4] + "*")} == {tricky, "/aXb"}


# -- other processes -----------------------------------------------------------------------------


def _hold_lock_then_hang(url: str, run: str, ready: multiprocessing.synchronize.Event) -> None:
    backend = _backend(url, run, lock_lease=1.0)
    assert backend.acquire_lock(5)
    ready.set()
    time.sleep(60)


def test_a_lock_whose_holder_dies_frees_itself_after_its_lease(redis_server: RedisServer) -> None:
    run = uuid.uuid4().hex
    context = multiprocessing.get_context("fork")
    ready = context.Event()
    holder = context.Process(target=_hold_lock_then_hang, args=(redis_server.url, run, ready), daemon=True)
    holder.start()
    try:
        assert ready.wait(10)
        backend = _backend(redis_server.url, run, lock_lease=1.0)
        assert backend.acquire_lock(0) is False
        os.kill(holder.pid, signal.SIGKILL)  # its machine "dies": nobody renews the lease
        started = time.monotonic()
        assert backend.acquire_lock(10) is True
        assert time.monotonic() - started < 5
        backend.release_lock()
    finally:
        holder.kill()
        holder.join(5)


def test_a_held_lock_outlives_its_lease_while_its_holder_lives(redis_server: RedisServer) -> None:
    run = uuid.uuid4().hex
    holder = _backend(redis_server.url, run, lock_lease=0.3)
    assert holder.acquire_lock(1)
    other = Stash(PATH, backend=_backend(redis_server.url, run, lock_lease=0.3))
    from tests.support import Worker

    assert Worker(lambda: other.lock.acquire(timeout=1.0)).start().join(5) is False  # 3 leases
    holder.release_lock()


def _take_queue_and_reply(url: str, run: str, secret: bytes, key: str) -> None:
    stash = Stash(PATH, backend=_backend(url, run, secret))
    channel = stash.take(key, timeout=10)
    channel.put(("from the child", os.getpid()))


def test_a_queue_stashed_in_redis_is_used_by_another_process(redis_server: RedisServer) -> None:
    run, secret = uuid.uuid4().hex, b"queue-secret"
    stash = Stash(PATH, backend=_backend(redis_server.url, run, secret))
    channel = stash.get_queue()
    context = multiprocessing.get_context("spawn")
    child = context.Process(target=_take_queue_and_reply, args=(redis_server.url, run, secret, KEY))
    child.start()
    try:
        stash.put(KEY, channel)
        message, pid = channel.get(timeout=30)
        assert message == "from the child" and pid == child.pid
        with pytest.raises(__import__("queue").Empty):
            channel.get(timeout=0.05)
    finally:
        child.join(30)
    assert child.exitcode == 0


def _put_later(url: str, run: str, secret: bytes) -> None:
    stash = Stash(PATH, backend=_backend(url, run, secret))
    assert wait_until(lambda: stash.waiting(KEY) == 1)
    stash.put(KEY, "woken by another process")


def test_a_blocking_take_is_woken_by_a_put_from_another_process(redis_server: RedisServer) -> None:
    run, secret = uuid.uuid4().hex, b"wake-secret"
    stash = Stash(PATH, backend=_backend(redis_server.url, run, secret))
    child = multiprocessing.get_context("spawn").Process(target=_put_later, args=(redis_server.url, run, secret))
    child.start()
    try:
        assert stash.take(KEY, timeout=30) == "woken by another process"
    finally:
        child.join(30)
    assert child.exitcode == 0
    assert stash.waiting(KEY) == 0


# -- credentials and TLS -------------------------------------------------------------------------


@pytest.fixture
def acl_server(tmp_path: Path):
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path / "acl", acl=("default off", "harness on >s3cret-pass ~harness:* &* +@all"))
    server.start()
    yield server
    server.stop()


def test_acl_credentials_work_and_never_appear_in_errors(acl_server: RedisServer) -> None:
    good = f"redis://harness:s3cret-pass@127.0.0.1:{acl_server.port}/0"
    stash = Stash(PATH, backend=_backend(good))
    stash.put(KEY, "authenticated")
    assert stash.take(KEY) == "authenticated"
    bad = _backend(f"redis://harness:wrong-pass@127.0.0.1:{acl_server.port}/0")
    with pytest.raises(StashUnavailable, match="refused the credentials") as info:
        bad.put(PATH, KEY, 1)
    assert "wrong-pass" not in str(info.value) and "s3cret" not in str(info.value)
    assert "wrong-pass" not in repr(bad) and "wrong-pass" not in repr(bad.url)
    anonymous = _backend(f"redis://127.0.0.1:{acl_server.port}/0")
    with pytest.raises(StashError):
        anonymous.put(PATH, KEY, 1)


@pytest.fixture
def tls_server(tmp_path: Path):
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    files = tmp_path / "tls"
    files.mkdir()
    cert.cert_chain_pems[0].write_to_path(files / "cert.pem")
    for blob in cert.cert_chain_pems[1:]:
        blob.write_to_path(files / "cert.pem", append=True)
    cert.private_key_pem.write_to_path(files / "key.pem")
    ca.cert_pem.write_to_path(files / "ca.pem")
    server = RedisServer(tmp_path / "redis-tls", tls=(files / "cert.pem", files / "key.pem", files / "ca.pem"))
    try:
        server.start()
    except RuntimeError as exc:
        pytest.skip(f"this redis-server cannot serve TLS: {exc}")
    yield server
    server.stop()


def test_rediss_verifies_the_server_against_the_given_ca(tls_server: RedisServer, tmp_path: Path) -> None:
    stash = Stash(PATH, backend=_backend(tls_server.url))
    stash.put(KEY, "over TLS")
    assert stash.take(KEY) == "over TLS"
    stranger = trustme.CA()
    stranger.cert_pem.write_to_path(tmp_path / "other-ca.pem")
    untrusted = f"rediss://127.0.0.1:{tls_server.port}/0?ssl_ca_certs={tmp_path / 'other-ca.pem'}"
    with pytest.raises(StashUnavailable, match="unreachable"):
        _backend(untrusted).put(PATH, KEY, 1)


# -- an unreachable or stalled server ------------------------------------------------------------


def test_an_unreachable_redis_is_stash_unavailable_naming_it_without_the_password() -> None:
    port = free_port()
    backend = _backend(f"redis://user:topsecret@127.0.0.1:{port}/0?timeout=1")
    started = time.monotonic()
    with pytest.raises(StashUnavailable, match=f"127.0.0.1:{port}") as info:
        backend.take(PATH, KEY, 5)
    assert time.monotonic() - started < 3
    assert "topsecret" not in str(info.value)


@pytest.mark.parametrize("transport", ["tcp", "unix"])
def test_a_stalled_redis_does_not_hold_a_take_past_its_timeout(tmp_path: Path, transport: str) -> None:
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path / "stalled").start()
    try:
        url = server.url + "?timeout=1" if transport == "tcp" else server.unix_url + "&timeout=1"
        backend = _backend(url)
        backend.put(PATH, KEY, "before the stall")
        assert server.process is not None
        server.process.send_signal(signal.SIGSTOP)
        try:
            started = time.monotonic()
            with pytest.raises(StashUnavailable, match="did not answer in time"):
                backend.take(PATH, "00000000-0000-4000-8000-000000000002", 1)
            assert time.monotonic() - started < 4
        finally:
            server.process.send_signal(signal.SIGCONT)
        assert backend.take(PATH, KEY, None) == "before the stall"
    finally:
        server.stop()


@pytest.mark.parametrize("transport", ["tcp", "unix"])
def test_a_blocking_take_outlives_the_reply_timeout_and_is_woken(redis_server: RedisServer, transport: str) -> None:
    # The URL's timeout bounds each reply; a take's wait in BLPOP gets its own, longer one.
    from tests.support import Worker

    url = redis_server.url + "?timeout=0.3" if transport == "tcp" else redis_server.unix_url + "&timeout=0.3"
    run = uuid.uuid4().hex
    taker, putter = _backend(url, run), _backend(url, run)
    waiting = Worker(lambda: taker.take(PATH, KEY, 10)).start()
    wait_until(lambda: putter.waiting(PATH, KEY) == 1)
    time.sleep(0.6)  # longer than the reply timeout: the blocked take must still be there
    assert putter.waiting(PATH, KEY) == 1 and not waiting.finished.is_set()
    putter.put(PATH, KEY, "after the reply timeout")
    assert waiting.join(5) == "after the reply timeout"


@pytest.mark.parametrize(
    "reply", ["LOADING Redis is loading the dataset in memory", "BUSY Redis is busy running a script"]
)
def test_a_server_still_loading_or_busy_is_unavailable_not_a_refusal(redis_server: RedisServer, reply: str) -> None:
    from harness.stash.redis_wire import _error

    error = _backend(redis_server.url)._stash_error(_error(reply), "a put")
    assert isinstance(error, StashUnavailable)
    assert f"127.0.0.1:{redis_server.port}" in str(error)
