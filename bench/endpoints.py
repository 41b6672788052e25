"""One interface for the five places a stash value can come from or go to.

``http``, ``https``, ``ws`` and ``wss`` go through the conformance handlers (so the put or
take runs inside that server's process); ``test`` is the test process's own stash client.
Values are text here and travel as UTF-8 bytes everywhere. The conformance tests
(tests/conformance/) and the soak (:mod:`bench.soak`) use them; it lives with the benchmarks
so that they need nothing from the tests.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from pytest_harness import Harness

PROTOCOLS = ("http", "https", "ws", "wss", "test")
HANDLER_TIMEOUT_SLACK = 10.0


class Endpoint(Protocol):
    name: str

    def put(self, key: str, value: str, path: str) -> str | None:
        """``None`` when stored, else the refusal message."""

    def take(self, key: str, path: str, timeout: float | None = None) -> str | None:
        """The value, or ``None`` when absent."""

    def close(self) -> None: ...


class HTTPEndpoint:
    def __init__(self, harness: Harness, scheme: str) -> None:
        self.name = scheme
        self.session = harness.http_session()

    def put(self, key: str, value: str, path: str) -> str | None:
        response = self.session.post(
            f"/conformance/stash.py?op=put&id={key}&path={path}", data=value.encode(), scheme=self.name, timeout=30
        )
        return None if response.status_code == 201 else response.text

    def take(self, key: str, path: str, timeout: float | None = None) -> str | None:
        query = f"/conformance/stash.py?op=take&id={key}&path={path}" + (f"&timeout={timeout}" if timeout else "")
        response = self.session.get(query, scheme=self.name, timeout=(timeout or 0) + HANDLER_TIMEOUT_SLACK)
        return None if response.status_code == 404 else response.content.decode()

    def close(self) -> None:
        self.session.close()


class WSEndpoint:
    def __init__(self, harness: Harness, scheme: str) -> None:
        self.name = scheme
        self.connection = harness.ws_connect("/conformance/stash", scheme)

    def _command(self, command: dict[str, Any], wait: float | None = None) -> dict[str, Any]:
        self.connection.send(json.dumps(command))
        reply: dict[str, Any] = json.loads(self.connection.recv(timeout=(wait or 0) + HANDLER_TIMEOUT_SLACK))
        return reply

    def put(self, key: str, value: str, path: str) -> str | None:
        reply = self._command({"op": "put", "id": key, "path": path, "value": value})
        return None if reply["ok"] else str(reply["error"])

    def take(self, key: str, path: str, timeout: float | None = None) -> str | None:
        reply = self._command({"op": "take", "id": key, "path": path, "timeout": timeout}, wait=timeout)
        value = reply["value"]
        return None if value is None else str(value)

    def close(self) -> None:
        self.connection.close()


class TestProcessEndpoint:
    __test__ = False

    def __init__(self, harness: Harness) -> None:
        self.name = "test"
        self.stash = harness.stash()

    def put(self, key: str, value: str, path: str) -> str | None:
        from harness.stash import StashError

        try:
            self.stash.put(key, value.encode(), path=path)
        except StashError as exc:
            return str(exc)
        return None

    def take(self, key: str, path: str, timeout: float | None = None) -> str | None:
        value = self.stash.take(key, path=path, timeout=timeout)
        return None if value is None else bytes(value).decode()

    def close(self) -> None:
        pass


def open_endpoint(harness: Harness, name: str) -> Endpoint:
    if name in ("http", "https"):
        return HTTPEndpoint(harness, name)
    if name in ("ws", "wss"):
        return WSEndpoint(harness, name)
    return TestProcessEndpoint(harness)
