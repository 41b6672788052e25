"""The stash server under misuse: bad arguments, huge values, strangers without the authkey."""

from __future__ import annotations

import math
import os
import pickle
import socket
import struct
import uuid
from pathlib import Path

import pytest

from harness.stash import Stash, StashError, StashUnavailable
from harness.stash.envconfig import decode_env_config
from pytest_harness import Harness

pytestmark = pytest.mark.usefixtures("stash_sentinel")


@pytest.fixture
def stash(strict_harness: Harness) -> Stash:
    return strict_harness.stash("/attacks")


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda s: s.put("definitely-not-a-uuid", 1), ValueError, "is not a UUID"),
        (lambda s: s.put(b"\xff\xfe", 1), ValueError, "is not a UUID"),
        (lambda s: s.put(12345, 1), TypeError, "stash key must be a UUID"),
        (lambda s: s.put(uuid.uuid4(), None), ValueError, "cannot stash None"),
        (lambda s: s.put(uuid.uuid4(), lambda: 1), TypeError, "of type function cannot be pickled"),
        (lambda s: s.put(uuid.uuid4(), b"x" * 70_000), ValueError, "over the limit of 65536 bytes"),
        (lambda s: s.put(uuid.uuid4(), 1, path=3.5), TypeError, "stash path must be str or bytes"),
        (lambda s: s.take(uuid.uuid4(), timeout=-1), ValueError, "non-negative"),
        (lambda s: s.take(uuid.uuid4(), timeout="soon"), TypeError, "number of seconds"),
        (lambda s: s.take(uuid.uuid4(), timeout=math.nan), ValueError, "non-negative"),
    ],
)
def test_bad_arguments_raise_clear_errors_and_store_nothing(stash: Stash, call, error: type, message: str) -> None:
    before = len(stash.entries())
    with pytest.raises(error, match=message):
        call(stash)
    assert len(stash.entries()) == before


def test_a_second_put_is_refused_and_keeps_the_first(stash: Stash) -> None:
    key = uuid.uuid4()
    stash.put(key, "first")
    with pytest.raises(StashError, match="already holds a value"):
        stash.put(str(key).upper(), "second")
    assert stash.take(key) == "first"


def test_a_value_at_the_limit_round_trips(stash: Stash) -> None:
    key = uuid.uuid4()
    value = b"y" * 60_000
    stash.put(key, value)
    assert stash.take(key) == value


def test_a_wrong_authkey_is_refused(strict_harness: Harness) -> None:
    address, _authkey = decode_env_config(strict_harness.stash_config)
    with pytest.raises(StashUnavailable, match="refused this client's authkey"):
        Stash("/x", address, os.urandom(32)).put(uuid.uuid4(), 1)


class _Tripwire:
    """Unpickling this creates a file: proof that someone unpickled untrusted bytes."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (open, (self.path, "w"))


def test_nothing_a_client_sends_before_authenticating_is_unpickled(strict_harness: Harness, tmp_path: Path) -> None:
    address, _authkey = decode_env_config(strict_harness.stash_config)
    assert isinstance(address, str)
    tripwire = tmp_path / "unpickled"
    payload = pickle.dumps(_Tripwire(str(tripwire)))
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(10)
        sock.connect(address)
        # multiprocessing frames are a 4-byte length and the bytes; send the pickle where the
        # answer to the server's challenge belongs, then again as if we were in.
        for _ in range(2):
            try:
                sock.sendall(struct.pack("!i", len(payload)) + payload)
            except OSError:
                break
        try:
            while sock.recv(4096):
                pass
        except OSError:
            pass
    assert not tripwire.exists()
    # And the stash still works for those who have the key.
    key = uuid.uuid4()
    strict_harness.stash("/attacks").put(key, "still fine")
    assert strict_harness.stash("/attacks").take(key) == "still fine"


def test_unknown_or_malformed_calls_get_errors_and_the_connection_goes_on(strict_harness: Harness) -> None:
    backend = strict_harness.stash("/attacks").backend
    with pytest.raises(AttributeError, match="the stash has no method 'drop_everything'"):
        backend._call("drop_everything")  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        backend._call("put", "only one argument")  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match="path must be str"):
        backend._call("put", 1, "key", b"payload", (), "owner")  # type: ignore[attr-defined]
    key = uuid.uuid4()
    strict_harness.stash("/attacks").put(key, "after the bad calls")
    assert strict_harness.stash("/attacks").take(key) == "after the bad calls"
