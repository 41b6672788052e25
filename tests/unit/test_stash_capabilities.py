"""Signed capabilities for pages (harness.stash.capabilities) and the JSON form of values."""

from __future__ import annotations

import base64
import json
import math

import pytest

from harness.site.stash_json import NotJSON, from_json_value, to_json, to_json_value
from harness.stash.capabilities import MAX_TOKEN_LENGTH, Capability, CapabilityRefused, sign, verify

SECRET = b"k" * 32
NOW = 1_800_000_000.0


def share_link(**changes: object) -> Capability:
    fields: dict[str, object] = {"ops": frozenset({"take"}), "expires": NOW + 60, "path": "/p", "key": "k1"}
    fields.update(changes)
    return Capability(**fields)  # type: ignore[arg-type]


def test_a_signed_capability_verifies_and_keeps_its_scope() -> None:
    capability = verify(SECRET, sign(SECRET, share_link()), NOW)
    assert capability == share_link()
    assert capability.allows("take", path="/p", key="k1")
    assert not capability.allows("take", path="/p", key="k2")
    assert not capability.allows("take", path="/other", key="k1")
    assert not capability.allows("put", path="/p", key="k1")
    assert not capability.allows("read", table="t")


def test_path_and_table_scopes() -> None:
    path_wide = Capability(frozenset({"put", "take"}), NOW + 1, path="/p")
    assert path_wide.allows("put", path="/p", key="anything")
    table = Capability(frozenset({"read"}), NOW + 1, table="events")
    assert table.allows("read", table="events")
    assert not table.allows("write", table="events")
    assert not table.allows("read", table="other")
    assert not table.allows("read", path="/p")
    assert table.describe() == "read on table 'events'"


def test_expiry_is_exclusive_at_the_deadline() -> None:
    token = sign(SECRET, share_link(expires=NOW))
    assert verify(SECRET, token, NOW - 0.001).key == "k1"
    with pytest.raises(CapabilityRefused, match=r"expired 0\.0 s ago"):
        verify(SECRET, token, NOW)


def test_another_secret_is_a_forgery() -> None:
    with pytest.raises(CapabilityRefused, match="signature does not match"):
        verify(b"x" * 32, sign(SECRET, share_link()), NOW)


def test_a_tampered_body_breaks_the_signature() -> None:
    body, mac = sign(SECRET, share_link()).split(".")
    fields = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    fields["path"] = "/"  # widen the scope
    forged = base64.urlsafe_b64encode(json.dumps(fields).encode()).rstrip(b"=").decode()
    with pytest.raises(CapabilityRefused, match="signature does not match"):
        verify(SECRET, f"{forged}.{mac}", NOW)


@pytest.mark.parametrize(
    "token",
    ["", "nodot", "a.b.c", "é.x", "abc.!!!", "x" * (MAX_TOKEN_LENGTH + 1), None, 3],
    ids=repr,
)
def test_malformed_tokens_are_refused(token: object) -> None:
    with pytest.raises(CapabilityRefused):
        verify(SECRET, token, NOW)  # type: ignore[arg-type]


def test_a_validly_signed_but_meaningless_body_is_refused() -> None:
    import hashlib
    import hmac

    from harness.stash.capabilities import _CONTEXT

    body = base64.urlsafe_b64encode(b'{"ops":"not a list"}').rstrip(b"=").decode()
    mac = base64.urlsafe_b64encode(hmac.new(SECRET, _CONTEXT + body.encode(), hashlib.sha256).digest()).decode()
    with pytest.raises(CapabilityRefused, match="malformed"):
        verify(SECRET, f"{body}.{mac.rstrip('=')}", NOW)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"path": None}, "either a path or a table"),
        ({"table": "t"}, "either a path or a table"),
        ({"ops": frozenset({"read"})}, "path capability allows"),
        ({"ops": frozenset()}, "path capability allows"),
        ({"expires": math.inf}, "must expire"),
    ],
)
def test_inconsistent_capabilities_cannot_be_made(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        share_link(**fields)
    with pytest.raises(ValueError, match="only a path capability"):
        Capability(frozenset({"read"}), NOW, table="t", key="k")


def test_json_values_round_trip_with_bytes() -> None:
    value = {"text": "é", "n": [1, 2.5, True, None], "raw": b"\x00\xff", "tuple": (1, 2)}
    encoded = json.loads(to_json(value))
    assert encoded["raw"] == {"$bytes": "AP8="}
    assert from_json_value(encoded) == {**value, "tuple": [1, 2]}


@pytest.mark.parametrize(
    "value", [{1, 2}, {1: "int key"}, math.nan, object(), [math.inf]], ids=["set", "int-key", "nan", "object", "inf"]
)
def test_values_without_json_form_are_named(value: object) -> None:
    with pytest.raises(NotJSON, match="JSON form"):
        to_json_value(value)


def test_deep_nesting_is_refused_not_a_recursion_error() -> None:
    value: list[object] = []
    for _ in range(200):
        value = [value]
    with pytest.raises(NotJSON, match="nested too deeply"):
        to_json(value)
    with pytest.raises(NotJSON, match="nested too deeply"):  # what a page sends: no RecursionError either
        from_json_value(json.loads('{"a":' * 900 + "1" + "}" * 900))


def test_bad_base64_in_bytes_is_value_error() -> None:
    with pytest.raises(ValueError, match="not valid base64"):
        from_json_value({"$bytes": "!!"})


def test_share_links_need_the_run_information_a_harness_publishes() -> None:
    from harness.stash import LocalBackend, Stash, StashError
    from harness.stash.runinfo import publish_run_info

    stash = Stash("/p", backend=LocalBackend())
    key = "6f0d3c3a-9c1b-4a86-8f61-1c4e8b5a2d10"
    with pytest.raises(StashError, match="need a running harness"):
        stash.share(key)
    info = publish_run_info(stash.backend, {"https": "https://localhost:1234"})
    url = stash.share(key, ttl=10)
    assert url.startswith("https://localhost:1234/harness/stash?cap=")
    token = url.split("cap=")[1]
    capability = verify(info.secret, token.replace("%3D", "="), NOW - 10**9)
    assert capability.allows("take", path="/p", key=key)
    assert "secret" not in repr(info)
