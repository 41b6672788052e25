"""Shared fixtures of the project's own test suite.

The pytest plugin's ``harness`` fixture serves the default document root (``handlers/``:
examples and the conformance handlers). Tests of the handler API use ``api_harness``: a
second harness, one per xdist worker, serving a temporary copy of ``tests/handlers`` so
tests may edit handler files in it.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.run.launcher import HarnessProcess
from pytest_harness import Harness

from .redis_support import REDIS_SERVER, RedisServer

pytest_plugins = ["pytester"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--test-order",
        default="file",
        metavar="ORDER",
        help="file (default), reverse, or random:SEED: run the suite in another order to prove no test "
        "depends on another (every xdist worker gets the same order)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    order = config.getoption("--test-order")
    if order == "reverse":
        items.reverse()
    elif order.startswith("random:"):
        random.Random(order.removeprefix("random:")).shuffle(items)
    elif order != "file":
        raise pytest.UsageError(f"--test-order={order}: expected file, reverse or random:SEED")


TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
BIG_FILE_SIZE = 2 * 1024 * 1024 + 17  # over the 1 MiB inline limit: streamed from disk


@pytest.fixture(scope="session")
def api_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("api-root") / "handlers"
    shutil.copytree(TESTS / "handlers", root)
    (root / "static" / "big.bin").write_bytes(bytes(range(256)) * (BIG_FILE_SIZE // 256) + b"x" * (BIG_FILE_SIZE % 256))
    return root


@pytest.fixture(scope="session")
def api_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("api-config") / "config.json"
    path.write_text('{"http": {"handler_timeout": 3.0, "header_timeout": 2.0}}')
    return path


@pytest.fixture(scope="session")
def api_harness(api_root: Path, api_config: Path) -> Iterator[Harness]:
    process = HarnessProcess(config=api_config, doc_root=api_root)
    try:
        yield Harness(process.start())
    finally:
        process.close()


@pytest.fixture
def api_client(api_harness: Harness) -> Iterator[object]:
    session = api_harness.http_session()
    yield session
    session.close()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real redis-server for this session (per xdist worker); skips if none is installed."""
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    try:
        yield server
    finally:
        server.stop()
