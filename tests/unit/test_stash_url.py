"""harness.stash.url and the object shape of HARNESS_STASH_CONFIG: backends named by URL."""

from __future__ import annotations

import json

import pytest

from harness.stash import StashUnavailable
from harness.stash.envconfig import StashConfig, decode_stash_config, encode_stash_config
from harness.stash.url import describe_endpoint, harness_backend_problem, parse_backend_url, redact_url

GOOD = [
    ("manager", "manager", ""),
    ("memory://", "memory", ""),
    ("redis://127.0.0.1:6379/0", "redis", "redis://127.0.0.1:6379/0"),
    ("redis://u:p%40ss@10.231.0.1:7000/3", "redis", "redis://10.231.0.1:7000/3"),
    ("redis://localhost", "redis", "redis://localhost:6379/0"),
    ("rediss://[::1]:6380/1?ssl_ca_certs=/ca.pem", "redis", "rediss://[::1]:6380/1"),
    ("unix:///run/redis.sock?db=2", "redis", "unix:///run/redis.sock?db=2"),
]


@pytest.mark.parametrize(("text", "kind", "endpoint"), GOOD)
def test_backend_urls_parse(text: str, kind: str, endpoint: str) -> None:
    url = parse_backend_url(text)
    assert url.kind == kind
    if kind == "redis":
        assert describe_endpoint(url) == endpoint


def test_credentials_are_decoded_and_never_in_repr() -> None:
    url = parse_backend_url("redis://user:p%40ss@host:1/0?timeout=2.5")
    assert (url.username, url.password, url.timeout) == ("user", "p@ss", 2.5)
    assert "p%40ss" not in repr(url) and "p@ss" not in repr(url)
    assert url.redacted == "redis://user:***@host:1/0?timeout=2.5"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is a URL string"),
        ("http://x", "expected manager, memory://"),
        ("redis://", "no host"),
        ("redis://h:99999/0", "out of range"),
        ("redis://h/x", "database must be a number"),
        ("redis://h/0?bogus=1", "unknown parameter 'bogus'"),
        ("redis://h/0?ssl_ca_certs=/ca.pem", "need a rediss:// URL"),
        ("redis://h/0?timeout=-1", "timeout must be a positive"),
        ("redis://h/0?db=1", "give the database as the path"),
        ("unix://relative.sock", "expected unix:///absolute"),
        ("redis://:secret@h/x", "redis://***@h/x"),
    ],
)
def test_bad_backend_urls_name_the_problem_without_the_password(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=r"stash backend|is a URL string") as info:
        parse_backend_url(text)
    assert message in str(info.value)
    assert "secret" not in str(info.value)


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("redis://a:b@h:1/0", "redis://a:***@h:1/0"),
        ("redis://:b@h:1/0", "redis://***@h:1/0"),
        ("redis://h:1/0", "redis://h:1/0"),
        ("manager", "manager"),
    ],
)
def test_redact_url(text: str, redacted: str) -> None:
    assert redact_url(text) == redacted


def test_memory_cannot_back_a_harness_and_env_can() -> None:
    assert "one process" in str(harness_backend_problem("memory://"))
    assert harness_backend_problem("env") is None
    assert harness_backend_problem("redis://h:1/0") is None
    problem = harness_backend_problem("redis://u:hunter2@h:1/x")
    assert problem is not None and "hunter2" not in problem


def test_the_object_shape_round_trips() -> None:
    config = StashConfig(
        backend="redis://u:p@h:1/0", run_id="r1", secret=b"\x00s", key_ttl=60, default_ttl=5.0, test_clock=True
    )
    text = encode_stash_config(config)
    assert json.loads(text)["backend"] == "redis://u:p@h:1/0"
    assert decode_stash_config(text) == config
    assert "\\x00s" not in repr(config) and "u:p@" not in repr(config) and "u:***@" in repr(config)


def test_the_manager_keeps_the_old_list_shape() -> None:
    text = encode_stash_config(StashConfig(address=("127.0.0.1", 4000), authkey=b"k"))
    assert json.loads(text) == [["127.0.0.1", 4000], "aw=="]
    assert decode_stash_config(text).address == ("127.0.0.1", 4000)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"backend": "http://x", "run": "r", "secret": "cw=="}, "expected manager"),
        ({"backend": "redis://h/0", "secret": "cw=="}, "run id"),
        ({"backend": "redis://h/0", "run": "r", "secret": "!!"}, "not valid base64"),
        ({"backend": "redis://h/0", "run": "r", "secret": ""}, "secret is empty"),
        ({"backend": "redis://h/0", "run": "r", "secret": "cw==", "key_ttl": 0}, "key_ttl"),
        ({"backend": "redis://h/0", "run": "r", "secret": "cw==", "key_ttl": 1, "test_clock": 1}, "test_clock"),
        ({"address": "/s", "authkey": "cw=="}, "must be the JSON"),
    ],
)
def test_a_malformed_object_is_stash_unavailable(value: dict[str, object], message: str) -> None:
    with pytest.raises(StashUnavailable, match=message):
        decode_stash_config(json.dumps(value))
