"""harness.stash.keys: one canonical spelling per UUID key, str paths, validated timeouts."""

from __future__ import annotations

import math
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.stash.keys import normalize_key, normalize_path, normalize_timeout

CANONICAL = "6f0d3c3a-9c1b-4a86-8f61-1c4e8b5a2d10"
HEX = CANONICAL.replace("-", "")

SPELLINGS = [
    CANONICAL,
    CANONICAL.upper(),
    "{" + CANONICAL + "}",
    "{" + CANONICAL.upper() + "}",
    "urn:uuid:" + CANONICAL,
    "urn:uuid:" + CANONICAL.upper(),
    HEX,
    HEX.upper(),
    "6F0d3C3a-9c1B-4A86-8f61-1C4E8b5A2d10",
    CANONICAL.encode("ascii"),
    CANONICAL.upper().encode("ascii"),
    b"{" + HEX.encode("ascii") + b"}",
    b"urn:uuid:" + CANONICAL.encode("ascii"),
    uuid.UUID(CANONICAL),
]


@pytest.mark.parametrize("spelling", SPELLINGS, ids=repr)
def test_every_uuid_spelling_gives_the_canonical_key(spelling: object) -> None:
    assert normalize_key(spelling) == CANONICAL


def test_canonical_key_is_returned_unchanged() -> None:
    key = str(uuid.uuid4())
    assert normalize_key(key) == key


def test_digit_only_uuid_is_accepted() -> None:
    """A canonical key without letters is not "lower case" to str.islower, but still valid."""
    key = "12345678-1234-1234-1234-123456789012"
    assert normalize_key(key) == key


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "not-a-uuid",
        CANONICAL[:-1],
        CANONICAL + "0",
        CANONICAL.replace("6f", "zz", 1),
        "g" * 32,
        "urn:uuid:" + CANONICAL[:-2],
        "{" + CANONICAL[:-1] + "}",
        "x" * 100,
        b"not-a-uuid",
        b"",
        "\u00e9" * 32,
    ],
    ids=repr,
)
def test_non_uuid_key_is_value_error_naming_the_key(bad: str | bytes) -> None:
    with pytest.raises(ValueError, match="is not a UUID") as info:
        normalize_key(bad)
    shown = bad[:64] if isinstance(bad, (str, bytes)) else bad
    assert repr(shown) in str(info.value)


def test_canonical_length_lower_case_non_uuid_is_value_error() -> None:
    """The 36-character lower-case fast path still validates."""
    bad = "zzzzzzzz-9c1b-4a86-8f61-1c4e8b5a2d10"
    with pytest.raises(ValueError, match=r"stash key 'zzzzzzzz-.*' is not a UUID"):
        normalize_key(bad)


def test_bytes_key_that_is_not_ascii_is_value_error() -> None:
    with pytest.raises(ValueError, match="is not a UUID") as info:
        normalize_key(b"\xff" * 32)
    assert repr(b"\xff" * 32) in str(info.value)


def test_overlong_key_is_refused_without_parsing_it_whole() -> None:
    with pytest.raises(ValueError, match=r"\.\.\. is not a UUID"):
        normalize_key("a" * 10_000)


@pytest.mark.parametrize("bad", [None, 42, 4.2, ["a"], bytearray(CANONICAL.encode()), memoryview(b"x"), object()])
def test_key_of_wrong_type_is_type_error(bad: object) -> None:
    with pytest.raises(TypeError, match=f"stash key must be a UUID as str or bytes, not {type(bad).__name__}"):
        normalize_key(bad)


@settings(max_examples=200, deadline=None)
@given(st.uuids())
def test_any_uuid_in_any_standard_spelling_is_canonical(value: uuid.UUID) -> None:
    canonical = str(value)
    for spelling in (value, canonical.upper(), value.hex, "{" + canonical + "}", value.urn, canonical.encode()):
        assert normalize_key(spelling) == canonical


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=64) | st.text(alphabet="0123456789abcdefABCDEF-{}urn:id", max_size=64))
def test_short_keys_are_accepted_exactly_when_uuid_accepts_them(text: str) -> None:
    try:
        expected: str | None = str(uuid.UUID(text))
    except ValueError:
        expected = None
    if expected is None:
        with pytest.raises(ValueError, match="is not a UUID"):
            normalize_key(text)
    else:
        assert normalize_key(text) == expected


# -- paths ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/a.py", "/a.py"),
        (b"/a.py", "/a.py"),
        ("", ""),
        (b"", ""),
        ("/\u00e9", "/\u00e9"),
        ("/\u00e9".encode(), "/\u00e9"),
    ],
    ids=repr,
)
def test_path_str_and_bytes_give_the_same_str(path: str | bytes, expected: str) -> None:
    assert normalize_path(path) == expected


def test_path_bytes_that_are_not_utf8_is_value_error() -> None:
    with pytest.raises(ValueError, match=r"stash path b'/\\xff' is not valid UTF-8"):
        normalize_path(b"/\xff")


@pytest.mark.parametrize("bad", [None, 1, 1.5, ["/a"], bytearray(b"/a"), object()])
def test_path_of_wrong_type_is_type_error_naming_it(bad: object) -> None:
    with pytest.raises(TypeError, match=f"stash path must be str or bytes, not {type(bad).__name__}"):
        normalize_path(bad)


# -- timeouts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timeout", "expected"),
    [(None, None), (0, 0.0), (0.0, 0.0), (1, 1.0), (2.5, 2.5), (1e-9, 1e-9), (math.inf, math.inf)],
)
def test_valid_timeouts(timeout: object, expected: float | None) -> None:
    result = normalize_timeout(timeout)
    assert result == expected
    assert result is None or type(result) is float


@pytest.mark.parametrize("bad", [-1, -0.001, -math.inf, math.nan])
def test_negative_or_nan_timeout_is_value_error(bad: float) -> None:
    with pytest.raises(ValueError, match="timeout must be a non-negative number of seconds"):
        normalize_timeout(bad)


@pytest.mark.parametrize("bad", [True, False, "1", b"1", [1], object()])
def test_non_number_timeout_is_type_error(bad: object) -> None:
    with pytest.raises(TypeError, match=f"timeout must be a number of seconds or None, not {type(bad).__name__}"):
        normalize_timeout(bad)


def test_timeout_too_large_for_a_float_is_refused_or_infinite() -> None:
    """An int beyond float range is "wait forever" or a ValueError, never an OverflowError."""
    outcome: object
    try:
        outcome = normalize_timeout(10**400)
    except ValueError as error:
        outcome = error
    assert outcome == math.inf or (isinstance(outcome, ValueError) and "timeout" in str(outcome))
