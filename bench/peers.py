"""Starting the peers: wptserve 4.0.3 (:mod:`bench.wpt_server`) and pywebsocket3 4.0.2 standalone.

Both serve TLS with a certificate made here by trustme (a CA and a leaf for 127.0.0.1 and
localhost), independent of the harness's own per-run certificate.

>>> with tempfile.TemporaryDirectory() as tmp, WptServer(peer_tls(Path(tmp))) as wpt:   # doctest: +SKIP
...     wpt.url("https", "/hello.py")
'https://127.0.0.1:40123/hello.py'
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from .common import BENCH, DOCROOT, PEER_HANDLERS, Child, Hung, free_port, wait_until

__all__ = ["PeerTLS", "PywebsocketServer", "WptServer", "peer_tls"]

_START_TIMEOUT = 30.0
READY = "wpt: ready "


@dataclass(frozen=True)
class PeerTLS:
    cert: Path
    key: Path
    ca_cert: Path


def peer_tls(directory: Path) -> PeerTLS:
    """A CA and a server certificate for 127.0.0.1 and localhost, written to ``directory``."""
    import trustme

    authority = trustme.CA()
    issued = authority.issue_cert("127.0.0.1", "localhost")
    tls = PeerTLS(directory / "peer-cert.pem", directory / "peer-key.pem", directory / "peer-ca.pem")
    issued.cert_chain_pems[0].write_to_path(str(tls.cert))
    for blob in issued.cert_chain_pems[1:]:
        blob.write_to_path(str(tls.cert), append=True)
    issued.private_key_pem.write_to_path(str(tls.key))
    authority.cert_pem.write_to_path(str(tls.ca_cert))
    return tls


_P = TypeVar("_P", bound="_PeerProcess")


class _PeerProcess:
    """A peer server in a child process: stopped on exit from a ``with`` block."""

    child: Child | None

    def start(self) -> Any:
        raise NotImplementedError

    def stop(self) -> None:
        if self.child is not None:
            self.child.stop()

    def __enter__(self: _P) -> _P:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class WptServer(_PeerProcess):
    """wptserve's stash, HTTP and HTTPS servers (and with ``websockets``, pywebsocket3 in-process)."""

    def __init__(self, tls: PeerTLS, *, websockets: bool = False, env: dict[str, str] | None = None) -> None:
        self.tls = tls
        self.env = env
        self.args = [
            sys.executable,
            str(BENCH / "wpt_server.py"),
            "--doc-root",
            str(DOCROOT),
            "--cert",
            str(tls.cert),
            "--key",
            str(tls.key),
        ]
        if websockets:
            self.args += ["--ws-handlers", str(PEER_HANDLERS)]
        self.child: Child | None = None
        self.ports: dict[str, int] = {}

    def start(self) -> dict[str, int]:
        """Start it and wait for its ready line; the port of each server."""
        self.child = Child(self.args, stdout=subprocess.PIPE, env=self.env)
        try:
            line = self._ready_line()
            if not line.startswith(READY):
                raise RuntimeError(f"wptserve said {line!r}:\n{self.child.errors()}")
            self.ports = {name: int(port) for name, port in json.loads(line.removeprefix(READY)).items()}
        except BaseException:
            self.stop()
            raise
        return self.ports

    def _ready_line(self) -> str:
        assert self.child is not None and self.child.process.stdout is not None
        fd = self.child.process.stdout.fileno()
        output = b""
        deadline = time.monotonic() + _START_TIMEOUT
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while b"\n" not in output:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise RuntimeError(f"wptserve was not ready within {_START_TIMEOUT:g} s:\n{self.child.errors()}")
                if not selector.select(remaining):
                    continue
                chunk = os.read(fd, 4096)
                if not chunk:
                    self.child.process.wait()
                    raise RuntimeError(f"wptserve exited before it was ready:\n{self.child.errors()}")
                output += chunk
        return output.decode().splitlines()[0]

    @property
    def pid(self) -> int:
        assert self.child is not None
        return self.child.pid

    def url(self, scheme: str, path: str) -> str:
        return f"{scheme}://127.0.0.1:{self.ports[scheme]}{path}"

    def terminate_and_time(self, timeout: float = 10.0) -> float:
        """SIGTERM it and wait for it to exit; the seconds that took."""
        assert self.child is not None
        started = time.monotonic()
        self.child.process.send_signal(signal.SIGTERM)
        try:
            self.child.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise Hung(f"wptserve did not exit within {timeout:g} s of SIGTERM") from None
        return time.monotonic() - started


class PywebsocketServer(_PeerProcess):
    """``python -m pywebsocket3.standalone`` serving :data:`PEER_HANDLERS`, plain or TLS."""

    def __init__(self, tls: PeerTLS | None = None) -> None:
        self.port = free_port()
        self.scheme = "ws" if tls is None else "wss"
        self.args = [
            sys.executable,
            "-m",
            "pywebsocket3.standalone",
            "-H",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-d",
            str(PEER_HANDLERS),
            "--log-level",
            "warning",
        ]
        if tls is not None:
            self.args += ["-t", "-k", str(tls.key), "-c", str(tls.cert)]
        self.child: Child | None = None

    def _listening(self) -> bool:
        assert self.child is not None
        if self.child.process.poll() is not None:
            raise RuntimeError(f"pywebsocket3 exited with {self.child.process.returncode}:\n{self.child.errors()}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1.0):
                return True
        except OSError:
            return False

    def start(self) -> None:
        self.child = Child(self.args)
        try:
            wait_until(self._listening, _START_TIMEOUT, f"pywebsocket3 listening on port {self.port}")
        except BaseException:
            self.stop()
            raise

    @property
    def pid(self) -> int:
        assert self.child is not None
        return self.child.pid

    def url(self, path: str) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"
