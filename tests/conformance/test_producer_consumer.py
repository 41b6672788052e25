"""Every producer/consumer pair over {http, https, ws, wss, test}: a value put by one is taken
by the other under an explicit shared path, and is then gone for everybody."""

from __future__ import annotations

import itertools

import pytest

from bench.endpoints import PROTOCOLS

PAIRS = list(itertools.product(PROTOCOLS, PROTOCOLS))


@pytest.mark.parametrize(("producer", "consumer"), PAIRS, ids=[f"{p}->{c}" for p, c in PAIRS])
def test_value_crosses_and_is_read_once(endpoint, tokens, producer: str, consumer: str) -> None:
    key, path = tokens(), "/conformance/shared"
    source, sink = endpoint(producer), endpoint(consumer)
    value = f"from {producer} to {consumer} ✓"
    assert source.put(key, value, path) is None
    assert sink.take(key, path) == value
    for name in PROTOCOLS:
        assert endpoint(name).take(key, path) is None, f"{name} still sees the value"
