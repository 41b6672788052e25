"""Fixtures of the cross-protocol conformance suite."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from bench.endpoints import Endpoint, open_endpoint
from pytest_harness import Harness


@pytest.fixture
def endpoint(harness: Harness) -> Iterator[Callable[[str], Endpoint]]:
    """``endpoint("wss")`` opens an endpoint of that protocol; all are closed at teardown."""
    opened: list[Endpoint] = []

    def open_one(name: str) -> Endpoint:
        opened.append(open_endpoint(harness, name))
        return opened[-1]

    yield open_one
    for each in opened:
        each.close()
