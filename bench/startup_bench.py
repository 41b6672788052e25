"""Startup and shutdown: how long until all four servers answer, and until SIGTERM has ended it.

Ours: ``harness serve`` started by :class:`harness.run.launcher.HarnessProcess` (as the pytest
plugin starts it), timed from the spawn until an HTTP GET on http and https and a WebSocket
open on ws and wss have all succeeded; then SIGTERM, timed until the process has exited (the
supervisor waits for its children). Peer: wptserve 4.0.3 with its stash and pywebsocket3
for ws/wss in one process (:mod:`bench.wpt_server`), timed the same way.

Both are timed with Python's bytecode cache filled (the normal state of an installed
package) and, for comparison, with no cache at all: this machine's environment sets
PYTHONDONTWRITEBYTECODE=1 and uv installs packages without .pyc, which is the second case.
"""

from __future__ import annotations

import http.client
import os
import signal
import ssl
import subprocess
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from websockets.sync.client import connect as ws_connect

from harness.run.launcher import HarnessProcess

from .common import DOCROOT, Hung, bytecode_env, kill_on_hang, loopback_url, median, tls_client_context
from .peers import PeerTLS, WptServer
from .table import Row, Table, value_below

__all__ = ["StartupSettings", "run"]

_PROBE_LIMIT = 20.0  # seconds; the probes take well under one
_STOP_LIMIT = 10.0


@dataclass(frozen=True)
class StartupSettings:
    runs: int


@dataclass
class _Times:
    start: list[float] = field(default_factory=list)
    ready: list[float] = field(default_factory=list)
    stop: list[float] = field(default_factory=list)
    leftovers: int = 0
    hangs: int = 0


def _http_ok(url: str, context: ssl.SSLContext | None) -> None:
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(parts.hostname, parts.port, context=context, timeout=10)
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("GET", parts.path)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {url}: {response.status}")
    finally:
        connection.close()


def _answer_all(urls: dict[str, str], ca_cert: str, stack: ExitStack) -> None:
    """GET on http and https, open ws and wss (left open in ``stack``, closed after the timing)."""
    context = tls_client_context(ca_cert)
    _http_ok(urls["http"] + "/hello.py", None)
    _http_ok(urls["https"] + "/hello.py", context)
    stack.enter_context(ws_connect(urls["ws"] + "/echo", compression=None, open_timeout=10))
    stack.enter_context(ws_connect(urls["wss"] + "/echo", ssl=context, compression=None, open_timeout=10))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _ours_once(times: _Times, env: dict[str, str]) -> None:
    harness = HarnessProcess(doc_root=DOCROOT, env=env)
    try:
        started = time.monotonic()
        state = harness.start()
        ready = time.monotonic() - started
        with kill_on_hang(state.pid, _PROBE_LIMIT, "probing harness serve"), ExitStack() as stack:
            _answer_all({k: loopback_url(v) for k, v in state.urls.items()}, state.ca_cert, stack)
            answered = time.monotonic() - started
        times.ready.append(ready)
        times.start.append(answered)
        assert harness.process is not None
        stopping = time.monotonic()
        harness.process.send_signal(signal.SIGTERM)
        try:
            harness.process.wait(_STOP_LIMIT)
        except subprocess.TimeoutExpired:
            raise Hung(f"harness serve did not exit within {_STOP_LIMIT:g} s of SIGTERM") from None
        times.stop.append(time.monotonic() - stopping)
        pids = [state.pid, *state.server_pids.values()]
        times.leftovers += sum(_alive(pid) for pid in pids)
    finally:
        harness.close()


def _peer_once(tls: PeerTLS, times: _Times, env: dict[str, str]) -> None:
    wpt = WptServer(tls, websockets=True, env=env)
    try:
        started = time.monotonic()
        wpt.start()
        ready = time.monotonic() - started
        with kill_on_hang(wpt.pid, _PROBE_LIMIT, "probing wptserve"), ExitStack() as stack:
            urls = {scheme: wpt.url(scheme, "") for scheme in ("http", "https", "ws", "wss")}
            _answer_all(urls, str(tls.ca_cert), stack)
            answered = time.monotonic() - started
        times.ready.append(ready)
        times.start.append(answered)
        times.stop.append(wpt.terminate_and_time(_STOP_LIMIT))
    finally:
        wpt.stop()


def _retrying(once: Callable[[], None], times: _Times, attempts: int = 3) -> None:
    """One timed start and stop; a start whose probes hang is counted, and made again."""
    for attempt in range(attempts):
        try:
            once()
            return
        except Hung:
            times.hangs += 1
            if attempt == attempts - 1:
                raise


def _measure(tls: PeerTLS, runs: int, env: dict[str, str]) -> tuple[_Times, _Times]:
    ours, peer = _Times(), _Times()
    for _ in range(runs):
        _retrying(lambda: _ours_once(ours, env), ours)
        _retrying(lambda: _peer_once(tls, peer, env), peer)
    return ours, peer


def run(tls: PeerTLS, settings: StartupSettings) -> Table:
    with tempfile.TemporaryDirectory(prefix="harness-bench-pyc-") as tmp:
        cached = bytecode_env(Path(tmp) / "cache", write=True)
        # One untimed start of each writes the .pyc of every module it imports.
        _measure(tls, 1, cached)
        ours, peer = _measure(tls, settings.runs, cached)
        uncached_ours, uncached_peer = _measure(tls, settings.runs, bytecode_env(Path(tmp) / "none", write=False))
    table = Table(
        f"startup: {settings.runs} runs each, ours and peer alternating; "
        "peer: wptserve 4.0.3 + its stash + pywebsocket3, in one process"
    )
    table.add(
        Row("cold start to all 4 answering, median s", median(ours.start), median(peer.start), 3, value_below(0.5, "s"))
    )
    table.add(Row("cold start to all 4 answering, max s", max(ours.start), max(peer.start), 3, value_below(0.5, "s")))
    table.add(Row("spawn to its ready line, median s", median(ours.ready), median(peer.ready), 3))
    table.add(
        Row("cold start, no .pyc (all compiled), median s", median(uncached_ours.start), median(uncached_peer.start), 3)
    )
    table.add(
        Row("shutdown (SIGTERM to exit), median s", median(ours.stop), median(peer.stop), 3, value_below(0.2, "s"))
    )
    table.add(Row("shutdown (SIGTERM to exit), max s", max(ours.stop), max(peer.stop), 3, value_below(0.2, "s")))
    table.notes.append(
        "start: from spawning the process to a 200 from GET /hello.py on http and https and an open WebSocket "
        "on ws and wss; ours makes a fresh CA and certificate each start, the peer's certificate is made beforehand; "
        "the ready line is ours' `harness: ready` and the peer's `wpt: ready`"
    )
    table.notes.append(
        "with .pyc: bytecode cached (PYTHONPYCACHEPREFIX, filled by one untimed start), as for an installed package; "
        "no .pyc: an empty cache and PYTHONDONTWRITEBYTECODE=1, so every module, stdlib included, is compiled"
    )
    leftovers = ours.leftovers + uncached_ours.leftovers
    table.notes.append(
        f"processes of ours still alive after shutdown (supervisor, stash and servers, all runs): {leftovers}"
    )
    for who, hangs in (("ours", ours.hangs + uncached_ours.hangs), ("wptserve", peer.hangs + uncached_peer.hangs)):
        if hangs:
            table.notes.append(
                f"{who}: {hangs} run(s) hung (probes over {_PROBE_LIMIT:g} s or exit over {_STOP_LIMIT:g} s "
                "after SIGTERM), were killed and made again"
            )
    return table
