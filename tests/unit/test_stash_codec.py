"""harness.stash.codec: values become pickled bytes and come back as equal copies."""

from __future__ import annotations

import collections
import datetime
import decimal
import fractions
import io
import pickle
import threading
import uuid

import pytest

from harness.stash.codec import ProxyRef, dumps, loads

ROUND_TRIPS = [
    0,
    0.0,
    False,
    True,
    "",
    b"",
    [],
    (),
    {},
    set(),
    frozenset(),
    42,
    -(2**100),
    1.5,
    float("inf"),
    "text \u00e9\U0001f600",
    "\ud800",  # a lone surrogate still pickles
    b"\x00\xff",
    bytearray(b"ab"),
    [1, [2, [3, {"four": (5, {6})}]]],
    {"nested": {"list": [None, b"x", 1.25], "tuple": (1, (2, 3))}, 7: "int key"},
    {"a": None},
    [None],
    collections.OrderedDict([("b", 1), ("a", 2)]),
    collections.Counter("hello"),
    datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
    decimal.Decimal("1.10"),
    fractions.Fraction(1, 3),
    uuid.UUID("6f0d3c3a-9c1b-4a86-8f61-1c4e8b5a2d10"),
    complex(1, -2),
    range(3),
    "harness-proxy",  # the marker text itself, as ordinary data
    {"harness-proxy": [b"harness-proxy"]},
]


@pytest.mark.parametrize("value", ROUND_TRIPS, ids=repr)
def test_round_trip_gives_an_equal_value_of_the_same_type(value: object) -> None:
    payload, refs = dumps(value)
    assert isinstance(payload, bytes)
    assert refs == ()
    restored = loads(payload)
    assert type(restored) is type(value)
    assert restored == value


def test_none_round_trips() -> None:
    """The codec itself has no opinion on None (Stash.put refuses it earlier)."""
    payload, _ = dumps(None)
    assert loads(payload) is None


def test_nan_round_trips() -> None:
    payload, _ = dumps(float("nan"))
    restored = loads(payload)
    assert restored != restored


def test_shared_and_recursive_structure_survives() -> None:
    inner = [1]
    value: list[object] = [inner, inner]
    value.append(value)
    restored = loads(dumps(value)[0])
    assert restored[0] is restored[1]
    assert restored[2] is restored


def test_loads_gives_a_copy() -> None:
    original = {"list": [1, 2]}
    payload, _ = dumps(original)
    first, second = loads(payload), loads(payload)
    first["list"].append(3)
    assert second == {"list": [1, 2]}
    assert original == {"list": [1, 2]}


def _generator():
    yield 1


def _local_class() -> type:
    class Local:
        pass

    return Local


_Local = _local_class()


@pytest.mark.parametrize(
    ("value", "type_name"),
    [
        (lambda: 1, "function"),
        (threading.Lock(), "lock"),
        (_generator(), "generator"),
        (threading.Event(), "Event"),
        (_Local(), r"_local_class\.<locals>\.Local"),
    ],
    ids=["lambda", "lock", "generator", "event", "local-class"],
)
def test_unpicklable_value_is_type_error_naming_its_type(value: object, type_name: str) -> None:
    with pytest.raises(TypeError, match=rf"stash value of type {type_name} cannot be pickled"):
        dumps(value)


def test_unpicklable_value_inside_a_container_names_the_container_and_the_cause() -> None:
    with pytest.raises(TypeError, match=r"stash value of type dict cannot be pickled: .*lock") as info:
        dumps({"lock": threading.Lock()})
    assert isinstance(info.value.__cause__, Exception)


def test_lambda_in_a_list_is_type_error() -> None:
    with pytest.raises(TypeError, match="stash value of type list cannot be pickled"):
        dumps([1, lambda: 2])


# -- manager proxies -----------------------------------------------------------------------

_REF = ProxyRef(
    typeid="Queue", address="/tmp/stash.sock", ident="7f00-1", exposed=("get", "put"), auto=True, proxytype=""
)


class _Marker:
    """Stands for a manager proxy: pickled as a harness-proxy persistent id."""


class _ProxyPickler(pickle.Pickler):
    def persistent_id(self, obj: object) -> object:
        if isinstance(obj, _Marker):
            return ("harness-proxy", 0, tuple(_REF))
        return None


def _payload_with_proxy(value: object) -> bytes:
    buffer = io.BytesIO()
    _ProxyPickler(buffer, pickle.HIGHEST_PROTOCOL).dump(value)
    return buffer.getvalue()


def test_loads_of_a_proxy_without_rebuild_is_unpickling_error() -> None:
    payload = _payload_with_proxy({"queue": _Marker()})
    with pytest.raises(pickle.UnpicklingError, match="holds a manager proxy, which this stash cannot rebuild"):
        loads(payload)


def test_loads_of_a_proxy_calls_rebuild_with_its_ref() -> None:
    seen: list[ProxyRef] = []

    def rebuild(ref: ProxyRef) -> str:
        seen.append(ref)
        return "rebuilt"

    assert loads(_payload_with_proxy({"queue": _Marker(), "n": 1}), rebuild) == {"queue": "rebuilt", "n": 1}
    assert seen == [_REF]


def test_loads_of_an_unknown_persistent_id_is_unpickling_error() -> None:
    class Other(pickle.Pickler):
        def persistent_id(self, obj: object) -> object:
            return ("something-else", 1) if isinstance(obj, _Marker) else None

    buffer = io.BytesIO()
    Other(buffer, pickle.HIGHEST_PROTOCOL).dump(["harness-proxy", _Marker()])
    with pytest.raises(pickle.UnpicklingError, match="unknown persistent id in a stash value"):
        loads(buffer.getvalue(), rebuild=lambda ref: ref)


def test_dumps_of_a_manager_proxy_in_a_local_stash_is_value_error() -> None:
    from multiprocessing.managers import BaseProxy, Token

    class FakeProxy(BaseProxy):
        def __init__(self) -> None:  # no connection: only what persistent_id reads
            self._token = Token("Queue", "/tmp/x.sock", "1")

        def __del__(self) -> None:
            pass

    with pytest.raises(
        ValueError, match=r"a manager proxy \(FakeProxy\) can only be stashed in a manager-backed stash"
    ):
        dumps([FakeProxy()])
