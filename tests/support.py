"""Helpers shared by the project's tests: bounded waits, worker threads, response parsing, ports.

Everything here is plain Python (no fixtures), so any test module imports what it needs:

>>> wait_until(lambda: True)
True
>>> ports_of({"http": "http://localhost:40121", "wss": "wss://localhost:40124"})
{'http': 40121, 'wss': 40124}
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

__all__ = ["PROMPT", "REPO", "Worker", "ports_of", "readme_block", "split_head", "wait_until"]

REPO = Path(__file__).resolve().parents[1]

# How long a test may wait for something that should happen at once (a woken thread, ...).
# Only a broken implementation ever waits this long, so it is generous.
PROMPT = 5.0


def wait_until(condition: Callable[[], bool], timeout: float = 10.0, interval: float = 0.01) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` passes; its last value.

    A bounded poll, not a sleep: for what no event reports (a thread reaching a blocking
    call, a process exiting). The caller asserts the result.
    """
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return bool(condition())
        time.sleep(interval)


class Worker:
    """A thread running ``target`` whose result or exception is kept for the test to check."""

    def __init__(self, target: Callable[[], object], name: str = "worker") -> None:
        self.result: object = None
        self.error: BaseException | None = None
        self.finished = threading.Event()
        self._target = target
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        try:
            self.result = self._target()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            self.error = exc
        finally:
            self.finished.set()

    def start(self) -> Worker:
        self.thread.start()
        return self

    def join(self, timeout: float = PROMPT) -> object:
        """Wait (bounded) for the thread, re-raise its exception, return its result."""
        assert self.finished.wait(timeout), f"{self.thread.name} did not finish within {timeout} s"
        self.thread.join(timeout)
        if self.error is not None:
            raise self.error
        return self.result


def split_head(data: bytes) -> tuple[bytes, list[tuple[bytes, bytes]], bytes]:
    """(status line, header pairs, body) of a well-formed response; asserts the framing."""
    head, separator, body = data.partition(b"\r\n\r\n")
    assert separator, f"no blank line ends the head: {data!r}"
    status, *lines = head.split(b"\r\n")
    pairs = []
    for line in lines:
        name, colon, value = line.partition(b": ")
        assert colon and name and b"\n" not in line, f"malformed header line {line!r}"
        pairs.append((name, value))
    return status, pairs, body


def ports_of(urls: dict[str, str]) -> dict[str, int]:
    """The port of each server of a run, from its URLs (a run's ``state.urls``)."""
    ports = {}
    for scheme, url in urls.items():
        port = urlsplit(url).port
        assert port is not None, f"{scheme} URL {url!r} has no port"
        ports[scheme] = port
    return ports


def readme_block(first_line: str) -> str:
    """The README's ```python block that starts with ``first_line``, as text (the test runs it)."""
    readme = (REPO / "README.md").read_text()
    match = re.search(r"```python\n(" + re.escape(first_line) + r".*?)```", readme, re.S)
    assert match is not None, f"README has no python block starting with {first_line!r}"
    return match.group(1)
