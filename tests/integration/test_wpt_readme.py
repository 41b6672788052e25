"""The README's pywebsocket-style example handler ships as written and works on the default doc root."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytest_harness import Harness

REPO = Path(__file__).resolve().parents[2]


def test_the_readme_example_is_the_shipped_handler() -> None:
    readme = (REPO / "README.md").read_text()
    first_line = "# examples/pywebsocket_echo_wsh.py"
    match = re.search(r"```python\n(" + re.escape(first_line) + r".*?)```", readme, re.S)
    assert match is not None
    assert match.group(1) == (REPO / "handlers" / "examples" / "pywebsocket_echo_wsh.py").read_text()


@pytest.mark.parametrize("scheme", ["ws", "wss"])
def test_the_example_echoes_and_answers_the_close(harness: Harness, scheme: str) -> None:
    ws = harness.ws_connect("/examples/pywebsocket_echo", scheme, subprotocols=["echo"])
    assert ws.subprotocol == "echo"
    ws.send("text")
    assert ws.recv(timeout=10) == "text"
    ws.send(b"\x01")
    assert ws.recv(timeout=10) == b"\x01"
    ws.close(4001, "see you")
    assert (ws.close_code, ws.close_reason) == (4001, "see you")
