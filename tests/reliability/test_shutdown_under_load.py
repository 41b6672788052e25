"""SIGTERM while all four servers are busy: requests finish or are cut cleanly, the harness
exits in time, leaves no files, and starts again at once on the same ports."""

from __future__ import annotations

import http.client
import json
import os
import signal
import threading
import time
from pathlib import Path

from harness.run.launcher import HarnessProcess
from pytest_harness import Harness
from tests.support import ports_of, wait_until


def test_sigterm_during_load(api_root: Path, tmp_path: Path) -> None:
    # The servers pick their ports (no port is freed and then hoped to stay free).
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"shutdown_timeout": 1.0}))
    process = HarnessProcess(config=config, doc_root=api_root, workdir=tmp_path)
    state = process.start()
    ports = ports_of(state.urls)
    harness = Harness(state)
    stop = threading.Event()
    outcomes: list[str] = []
    lock = threading.Lock()

    def record(outcome: str) -> None:
        with lock:
            outcomes.append(outcome)

    def http_load(path: str) -> None:
        while not stop.is_set():
            try:
                connection = http.client.HTTPConnection("127.0.0.1", ports["http"], timeout=10)
                for _ in range(20):
                    connection.request("GET", path)
                    response = connection.getresponse()
                    response.read()
                    record(f"http {response.status}")
                connection.close()
            except (OSError, http.client.HTTPException) as exc:
                record(f"cut {type(exc).__name__}")
                return

    def ws_load(scheme: str) -> None:
        try:
            with harness.ws_connect("/ws/echo", scheme) as ws:
                while not stop.is_set():
                    ws.send("x")
                    record(f"{scheme} {ws.recv(timeout=10)}")
        except Exception as exc:  # noqa: BLE001 - any clean end of the connection is fine here
            record(f"cut {type(exc).__name__}")

    threads = [threading.Thread(target=http_load, args=("/static/hello.txt",)) for _ in range(3)]
    threads += [threading.Thread(target=http_load, args=("/api/sleep.py?seconds=0.3",)) for _ in range(2)]
    threads += [threading.Thread(target=ws_load, args=(scheme,)) for scheme in ("ws", "wss")]
    for thread in threads:
        thread.start()
    try:
        assert wait_until(lambda: len(outcomes) >= 50, timeout=20)
        assert process.process is not None
        started = time.monotonic()
        process.process.send_signal(signal.SIGTERM)
        assert process.process.wait(10) == 0
        shutdown_seconds = time.monotonic() - started
    finally:
        stop.set()
        for thread in threads:
            thread.join(15)
    assert shutdown_seconds < 1.0 + 1.5  # shutdown_timeout plus the supervisor's slack
    assert all(not thread.is_alive() for thread in threads)
    assert any(outcome == "http 200" for outcome in outcomes)
    # Every outcome is a full answer or a clean cut; none is a garbled or hung response.
    assert all(o in ("http 200", "ws x", "wss x") or o.startswith("cut ") for o in outcomes), set(outcomes)
    assert not os.path.exists(state.run_dir)
    assert not process.state_file.exists()
    # A second start right after succeeds on the very same ports.
    config.write_text(json.dumps({"ports": ports, "shutdown_timeout": 1.0}))
    again = HarnessProcess(config=config, doc_root=api_root, workdir=tmp_path / "again")
    (tmp_path / "again").mkdir()
    try:
        assert again.start().urls == state.urls
    finally:
        assert again.stop() == 0
