"""Fixtures for attacking a running harness: tight limits, raw sockets, a stash sentinel."""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.run.launcher import HarnessProcess
from pytest_harness import Harness

STRICT_CONFIG = {
    "http": {
        "max_connections": 8,
        "header_timeout": 1.0,
        "keep_alive_timeout": 5.0,
        "handler_timeout": 1.5,
        "max_header_bytes": 4096,
        "max_headers": 20,
        "max_body_bytes": 1024,
    },
    "ws": {"open_timeout": 2.0, "max_message_bytes": 1024, "close_timeout": 1.0},
    "stash": {"max_value_bytes": 65536},
    "shutdown_timeout": 0.5,
}


@pytest.fixture(scope="session")
def strict_harness(api_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    """A harness whose limits are small enough to reach in a test."""
    workdir = tmp_path_factory.mktemp("strict")
    config = workdir / "config.json"
    config.write_text(json.dumps(STRICT_CONFIG))
    process = HarnessProcess(config=config, doc_root=api_root, workdir=workdir)
    try:
        harness = Harness(process.start())
        harness.process = process  # type: ignore[attr-defined]
        yield harness
    finally:
        process.close()


@pytest.fixture(scope="module")
def stash_sentinel(strict_harness: Harness) -> Iterator[None]:
    """A value put before a module's attacks must still be there after them."""
    key = uuid.uuid4()
    strict_harness.stash().put(key, b"sentinel", path="/sentinel")
    yield
    assert strict_harness.stash().take(key, path="/sentinel") == b"sentinel"


def port_of(harness: Harness, scheme: str) -> int:
    return int(harness.urls[scheme].rsplit(":", 1)[1])


def exchange(port: int, data: bytes, wait: float = 5.0) -> bytes:
    """Send raw bytes, read until the server closes (or ``wait`` passes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.sendall(data)
        return read_until_closed(sock, wait)


def read_until_closed(sock: socket.socket, wait: float) -> bytes:
    deadline = time.monotonic() + wait
    received = b""
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        except ConnectionResetError:
            break
        if not chunk:
            break
        received += chunk
    return received


def status_of(reply: bytes) -> int:
    assert reply.startswith(b"HTTP/1.1 "), reply[:80]
    return int(reply[9:12])
