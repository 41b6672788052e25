"""Targets for the conformance catalogue: the harness over WS and WSS, and a reference server.

The harness runs with a 1 MiB message limit (the limit cases reach it) and a close_timeout of
5 s, far above the 2 s in which every case wants the TCP connection closed: a server that
waited for the client instead of closing at once would fail. The reference is an echo
server built on the ``websockets`` library (its own sync server, same limit, its default
permessage-deflate), started here in a thread.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from websockets.sync.server import ServerConnection, serve

from harness.run.launcher import HarnessProcess
from pytest_harness import Harness

from .rawclient import RawClient

MAX_MESSAGE = 1024 * 1024


@dataclass(frozen=True)
class Target:
    name: str
    host: str
    port: int
    context: ssl.SSLContext | None
    path: str

    def connect(self, extensions: str | None = None) -> RawClient:
        return RawClient.connect(self.host, self.port, self.context, self.path, extensions)


@pytest.fixture(scope="session")
def conformance_harness(api_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    workdir = tmp_path_factory.mktemp("ws-conformance")
    config = workdir / "config.json"
    config.write_text(json.dumps({"ws": {"max_message_bytes": MAX_MESSAGE, "close_timeout": 5.0}}))
    process = HarnessProcess(config=config, doc_root=api_root, workdir=workdir)
    try:
        yield Harness(process.start())
    finally:
        process.close()


def _echo(ws: ServerConnection) -> None:
    for message in ws:
        ws.send(message)


@pytest.fixture(scope="session")
def reference_server() -> Iterator[int]:
    with serve(_echo, "127.0.0.1", 0, max_size=MAX_MESSAGE) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield server.socket.getsockname()[1]
        finally:
            server.shutdown()
            thread.join(10)


@pytest.fixture(params=["ws", "wss", "reference"])
def target(request: pytest.FixtureRequest) -> Target:
    name = str(request.param)
    if name == "reference":
        return Target(name, "127.0.0.1", request.getfixturevalue("reference_server"), None, "/")
    harness: Harness = request.getfixturevalue("conformance_harness")
    port = int(harness.urls[name].rsplit(":", 1)[1])
    context = None
    if name == "wss":
        context = ssl.create_default_context(cafile=str(harness.ca_cert))
    return Target(name, "127.0.0.1", port, context, "/ws/echo")


Connect = Callable[..., RawClient]
