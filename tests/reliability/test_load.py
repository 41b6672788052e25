"""Load on loopback, each loop bounded in time: a soak of put/take pairs across all four
protocols, and hundreds of concurrent WS and keep-alive HTTP connections."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from websockets.asyncio.client import connect as async_connect

from bench.soak import run_soak
from harness.run.launcher import HarnessProcess
from pytest_harness import Harness
from tests.support import wait_until

from .conftest import port_of

pytestmark = pytest.mark.slow

SOAK_SECONDS = float(os.environ.get("HARNESS_SOAK_SECONDS", "5"))
RSS_GROWTH_BOUND = 64 * 1024 * 1024  # across the supervisor, stash and four servers
CONNECTIONS = 300


@pytest.fixture(scope="module")
def load_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    """A harness of its own (default config and document root), so load here disturbs no one."""
    process = HarnessProcess(workdir=tmp_path_factory.mktemp("load"))
    try:
        yield Harness(process.start())
    finally:
        process.close()


def test_soak_every_value_taken_exactly_once(load_harness: Harness) -> None:
    result = run_soak(load_harness, SOAK_SECONDS)
    assert result.errors == []
    assert result.wrong_values == []
    assert result.double_takes == []
    assert result.left_over == 0
    assert result.pairs > 100
    assert result.rss_growth < RSS_GROWTH_BOUND, f"RSS grew by {result.rss_growth / 2**20:.1f} MiB"


def _thread_count(harness: Harness, scheme: str) -> int:
    return int(psutil.Process(harness.server_pids[scheme]).num_threads())


def test_hundreds_of_keep_alive_http_connections(load_harness: Harness) -> None:
    baseline = _thread_count(load_harness, "http")
    port = port_of(load_harness, "http")
    sockets = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(CONNECTIONS)]
    try:
        for round_number in range(2):  # the second round reuses every connection
            for sock in sockets:
                sock.sendall(b"GET /examples/hello.py HTTP/1.1\r\nHost: localhost\r\n\r\n")
            for sock in sockets:
                reply = b""
                while not reply.endswith(b"\r\n\r\nok"):
                    chunk = sock.recv(4096)
                    assert chunk, f"connection closed in round {round_number}"
                    reply += chunk
                assert reply.startswith(b"HTTP/1.1 200 OK")
        # One thread per open connection, and no more.
        assert _thread_count(load_harness, "http") <= baseline + CONNECTIONS + 2
    finally:
        for sock in sockets:
            sock.close()
    assert wait_until(lambda: _thread_count(load_harness, "http") <= baseline + 2, timeout=15)


@pytest.mark.parametrize("scheme", ["ws", "wss"])
def test_hundreds_of_concurrent_websocket_connections(load_harness: Harness, scheme: str) -> None:
    baseline = _thread_count(load_harness, scheme)
    peak: list[int] = []

    async def main() -> None:
        ssl_context = load_harness.ssl_context if scheme == "wss" else None
        connections = [
            await async_connect(load_harness.url(scheme, "/examples/echo"), ssl=ssl_context, compression=None)
            for _ in range(CONNECTIONS)
        ]
        try:
            await asyncio.gather(*(ws.send(f"hello {i}") for i, ws in enumerate(connections)))
            replies = await asyncio.gather(*(ws.recv() for ws in connections))
            assert replies == [f"hello {i}" for i in range(CONNECTIONS)]
            peak.append(_thread_count(load_harness, scheme))
        finally:
            await asyncio.gather(*(ws.close() for ws in connections))

    asyncio.run(main())
    # Two threads per open connection (the handler and websockets' reader), bounded by ws.max_connections.
    assert peak[0] <= baseline + 2 * CONNECTIONS + 2
    assert wait_until(lambda: _thread_count(load_harness, scheme) <= baseline + 2, timeout=15)


def test_connection_limit_turns_away_the_excess(tmp_path: Path) -> None:
    """Past http.max_connections a client gets 503 at once instead of waiting in a queue."""
    config = tmp_path / "config.json"
    config.write_text('{"http": {"max_connections": 4}}')
    process = HarnessProcess(config=config, workdir=tmp_path)
    try:
        harness = Harness(process.start())
        port = port_of(harness, "http")
        held = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(4)]
        try:
            for sock in held:  # make sure each is being served (idle keep-alive)
                sock.sendall(b"GET /examples/hello.py HTTP/1.1\r\nHost: localhost\r\n\r\n")
                assert sock.recv(4096).startswith(b"HTTP/1.1 200")
            with socket.create_connection(("127.0.0.1", port), timeout=10) as extra:
                reply = extra.recv(4096)
            assert reply.startswith(b"HTTP/1.1 503")
            assert b"already has 4 connections open" in reply
        finally:
            for sock in held:
                sock.close()
    finally:
        process.close()
