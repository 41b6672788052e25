"""harness.stash.envconfig: HARNESS_STASH_CONFIG in and out, with errors that name it."""

from __future__ import annotations

import base64
import json

import pytest

from harness.stash import ENV_VAR, StashUnavailable, load_env_config, store_env_config
from harness.stash.envconfig import check_address, decode_env_config, encode_env_config


@pytest.fixture(autouse=True)
def _no_inherited_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)


def _set(monkeypatch: pytest.MonkeyPatch, value: object) -> None:
    monkeypatch.setenv(ENV_VAR, value if isinstance(value, str) else json.dumps(value))


def _key(raw: bytes = b"secret") -> str:
    return base64.b64encode(raw).decode()


@pytest.mark.parametrize(
    "address", ["/run/harness/stash.sock", ("127.0.0.1", 4000), ("::1", 1), ("localhost", 65535)], ids=repr
)
@pytest.mark.parametrize("authkey", [b"secret", b"\x00\xff" * 16], ids=["text", "binary"])
def test_store_then_load_round_trips(monkeypatch: pytest.MonkeyPatch, address: object, authkey: bytes) -> None:
    monkeypatch.setenv(ENV_VAR, "placeholder")  # registered with monkeypatch, so the test's value is undone
    store_env_config(address, authkey)  # type: ignore[arg-type]
    assert load_env_config() == (address, authkey)


def test_stored_value_is_the_wptserve_shape(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, "placeholder")
    store_env_config(("127.0.0.1", 4000), b"secret")
    import os

    assert json.loads(os.environ[ENV_VAR]) == [["127.0.0.1", 4000], _key()]


def test_list_address_loads_as_a_tuple(monkeypatch: pytest.MonkeyPatch) -> None:
    _set(monkeypatch, [["127.0.0.1", 4000], _key()])
    address, authkey = load_env_config()
    assert address == ("127.0.0.1", 4000)
    assert isinstance(address, tuple)
    assert authkey == b"secret"


@pytest.mark.parametrize("value", [None, ""], ids=["unset", "empty"])
def test_missing_variable_is_stash_unavailable_naming_it(monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    if value is not None:
        monkeypatch.setenv(ENV_VAR, value)
    with pytest.raises(
        StashUnavailable, match=f"no stash is configured: the environment variable {ENV_VAR} is not set"
    ):
        load_env_config()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("{not json", "is not JSON; expected \\[address, base64\\(authkey\\)\\]"),
        ("[", "is not JSON"),
        ('{"address": "/s", "authkey": "c2VjcmV0"}', "must be the JSON \\[address, base64\\(authkey\\)\\]"),
        (["/s"], "must be the JSON \\[address"),
        (["/s", "c2VjcmV0", "extra"], "must be the JSON \\[address"),
        (["/s", 5], "must be the JSON \\[address"),
        ("null", "must be the JSON \\[address"),
        (["", _key()], "a stash address is a unix socket path or \\[host, port\\], not ''"),
        ([5, _key()], "a stash address is a unix socket path or \\[host, port\\], not 5"),
        ([["h"], _key()], "not \\['h'\\]"),
        ([["h", 1, 2], _key()], "a stash address is"),
        ([[1, 4000], _key()], "a stash address is"),
        ([["h", "4000"], _key()], "a stash address is"),
        ([["h", 0], _key()], "a stash address is"),
        ([["h", -1], _key()], "a stash address is"),
        ([["h", 65536], _key()], "a stash address is"),
        ([["h", True], _key()], "a stash address is"),
        ([["h", 4000.0], _key()], "a stash address is"),
        (["/s", "not base64!"], "the authkey is not valid base64"),
        (["/s", "c2VjcmV"], "the authkey is not valid base64"),
        (["/s", "\u00e9"], "the authkey is not valid base64"),
        (["/s", ""], "the authkey is empty"),
    ],
    ids=repr,
)
def test_malformed_variable_is_stash_unavailable_naming_it(
    monkeypatch: pytest.MonkeyPatch, value: object, message: str
) -> None:
    _set(monkeypatch, value)
    with pytest.raises(StashUnavailable, match=message) as info:
        load_env_config()
    assert str(info.value).startswith(ENV_VAR)


def test_decode_names_the_given_source() -> None:
    with pytest.raises(StashUnavailable, match=r"^state file: the authkey is empty$"):
        decode_env_config(json.dumps(["/s", ""]), source="state file")


@pytest.mark.parametrize("authkey", [b"", "secret", None], ids=repr)
def test_encode_refuses_an_authkey_that_is_not_non_empty_bytes(authkey: object) -> None:
    with pytest.raises(TypeError, match="the stash authkey must be non-empty bytes"):
        encode_env_config("/s", authkey)  # type: ignore[arg-type]


@pytest.mark.parametrize("address", ["", ("h", 0), ("h", 70000), ("h",), 5, None], ids=repr)
def test_encode_refuses_a_bad_address_and_leaves_the_environment_alone(
    monkeypatch: pytest.MonkeyPatch, address: object
) -> None:
    with pytest.raises(ValueError, match="a stash address is a unix socket path or \\[host, port\\]"):
        store_env_config(address, b"k")  # type: ignore[arg-type]
    with pytest.raises(StashUnavailable, match="is not set"):
        load_env_config()


@pytest.mark.parametrize(
    ("address", "expected"), [("/s", "/s"), (["h", 1], ("h", 1)), (("h", 65535), ("h", 65535))], ids=repr
)
def test_check_address_accepts_paths_and_host_port(address: object, expected: object) -> None:
    assert check_address(address) == expected
