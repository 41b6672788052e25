"""Fixtures of the cross-protocol conformance suite.

Every conformance test runs twice: on the plugin's harness (the manager stash) and on a
harness whose stash is a real redis-server (``--stash redis://...``). The ``harness``
fixture below overrides the plugin's in this folder, so ``stash``, ``token``,
``http_client`` and ``ws_connect`` follow it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from bench.endpoints import Endpoint, open_endpoint
from harness.run.launcher import HarnessProcess
from pytest_harness import Harness


@pytest.fixture(scope="session")
def redis_harness(redis_server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    """A harness serving the default document root, its stash in the session's redis-server."""
    process = HarnessProcess(extra_args=["--stash", redis_server.url], workdir=tmp_path_factory.mktemp("on-redis"))
    try:
        yield Harness(process.start())
    finally:
        process.close()


@pytest.fixture(scope="session", params=["manager", "redis"])
def harness(request: pytest.FixtureRequest, harness: Harness) -> Harness:
    """The plugin's harness (manager stash), then one on Redis."""
    if request.param == "manager":
        return harness
    redis_one: Harness = request.getfixturevalue("redis_harness")
    return redis_one


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
