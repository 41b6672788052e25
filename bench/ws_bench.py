"""WebSocket: echo round trips per second over WS and WSS, 1 connection and 50 at once.

Ours: ``bench/docroot/echo_wsh.py`` on the harness's ws / wss servers. Peer: pywebsocket3
4.0.2 standalone (``python -m pywebsocket3.standalone``, TLS with ``-t -k -c``) serving
``bench/peer_handlers/echo_wsh.py``. Each connection keeps one 16-byte text message in
flight: it sends, waits for the echo, sends again, for a fixed time. The servers' CPU time
per round trip comes from ``/proc/<pid>/stat``.

The client is deliberately lean (what wrk is for the HTTP rows): raw sockets, one pre-built
masked frame, the expected echo compared as bytes, one thread for all connections. A
general-purpose client (websockets' own) spends more time per round trip than either server
and would hide the difference between them; both servers get this same client.
"""

from __future__ import annotations

import base64
import os
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from harness.run.state import HarnessState

from .common import CpuMeter, kill_on_hang, loopback_url, median, tls_client_context
from .peers import PeerTLS, PywebsocketServer
from .table import Row, Table, ratio_at_least

__all__ = ["WSSettings", "run"]

MESSAGE = "0123456789abcdef"
_WARMUP_ROUND_TRIPS = 100


@dataclass(frozen=True)
class WSSettings:
    seconds: float
    runs: int
    connections: int = 50


@dataclass(frozen=True)
class _Measured:
    rate: float
    cpu_us: float


_MASK = b"\x5a\xa5\x3c\xc3"
_FRAME = bytes((0x81, 0x80 | len(MESSAGE))) + _MASK + bytes(b ^ _MASK[i % 4] for i, b in enumerate(MESSAGE.encode()))
_ECHO = bytes((0x81, len(MESSAGE))) + MESSAGE.encode()


def _open(url: str, context: ssl.SSLContext | None) -> socket.socket:
    """A WebSocket connection after its handshake, as a raw (possibly TLS) socket."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    sock = socket.create_connection((host, port), timeout=30)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if parts.scheme == "wss":
        assert context is not None
        sock = context.wrap_socket(sock, server_hostname=host)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET {parts.path or '/'} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            raise RuntimeError(f"{url}: closed during the handshake")
        head += chunk
    if not head.startswith(b"HTTP/1.1 101"):
        raise RuntimeError(f"{url}: handshake refused: {head[:80]!r}")
    return sock


def _read_echo(sock: socket.socket) -> None:
    data = sock.recv(len(_ECHO))
    while len(data) < len(_ECHO):
        chunk = sock.recv(len(_ECHO) - len(data))
        if not chunk:
            raise RuntimeError("the connection closed")
        data += chunk
    if data != _ECHO:
        raise RuntimeError(f"the echo differs from the message: {data!r}")


def round_trips(url: str, context: ssl.SSLContext | None, seconds: float, connections: int, pid: int) -> _Measured:
    """Round trips/s with ``connections`` connections, each keeping one message in flight."""
    socks = [_open(url, context) for _ in range(connections)]
    try:
        for sock in socks:
            for _ in range(_WARMUP_ROUND_TRIPS // 10):
                sock.sendall(_FRAME)
                _read_echo(sock)
        meter = CpuMeter(pid)
        meter.start()
        count = 0
        started = time.perf_counter()
        deadline = started + seconds
        for sock in socks:
            sock.sendall(_FRAME)
        while time.perf_counter() < deadline:
            for sock in socks:
                _read_echo(sock)
                count += 1
                sock.sendall(_FRAME)
        for sock in socks:  # the messages still in flight
            _read_echo(sock)
            count += 1
        elapsed = time.perf_counter() - started
        cpu = meter.stop()
    finally:
        for sock in socks:
            sock.close()
    return _Measured(count / elapsed, cpu / count * 1e6)


_BARE_ECHO = """
import socket, ssl, sys
listener = socket.create_server(("127.0.0.1", 0))
print(listener.getsockname()[1], flush=True)
conn, _ = listener.accept()
conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
if len(sys.argv) > 1:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[1], sys.argv[2])
    conn = context.wrap_socket(conn, server_side=True)
head = b""
while b"\\r\\n\\r\\n" not in head:
    head += conn.recv(4096)
conn.sendall(b"HTTP/1.1 101 Switching Protocols\\r\\n\\r\\n")
echo = bytes((0x81, 16)) + b"0123456789abcdef"
while conn.recv(65536):
    conn.sendall(echo)
"""


def bare_echo_ceiling(scheme: str, tls: PeerTLS, context: ssl.SSLContext | None, seconds: float) -> float:
    """Round trips/s of a Python server that only echoes bytes (no WebSocket framing at all).

    With one connection the rate is one over the round-trip latency, and most of that is the
    kernel and the client: this is the most any Python server can reach with this client.
    """
    args = [sys.executable, "-c", _BARE_ECHO] + ([str(tls.cert), str(tls.key)] if scheme == "wss" else [])
    with subprocess.Popen(args, stdout=subprocess.PIPE, text=True) as server:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        try:
            return round_trips(f"{scheme}://localhost:{port}/", context, seconds, 1, server.pid).rate
        finally:
            server.kill()


def run(state: HarnessState, tls: PeerTLS, settings: WSSettings) -> Table:
    n = settings.connections
    runs = settings.runs
    table = Table(
        f"ws: echo round trips/s, {len(MESSAGE)}-byte text messages, {settings.seconds:g} s per run, median of "
        f"{runs} run{'s' if runs > 1 else ''} each, ours and peer alternating; peer: pywebsocket3 4.0.2 standalone"
    )
    contexts = {"ours": tls_client_context(state.ca_cert), "peer": tls_client_context(tls.ca_cert)}
    with PywebsocketServer() as peer_ws, PywebsocketServer(tls) as peer_wss:
        peers = {"ws": peer_ws, "wss": peer_wss}
        for scheme in ("ws", "wss"):
            # who: (URL, server process for its CPU, process group to kill if a client hangs)
            targets = {
                "ours": (loopback_url(state.urls[scheme]) + "/echo", state.server_pids[scheme], state.pid),
                "peer": (peers[scheme].url("/echo"), peers[scheme].pid, peers[scheme].pid),
            }
            for connections in (1, n):
                measured: dict[str, list[_Measured]] = {"ours": [], "peer": []}
                for _ in range(runs):
                    for who, (url, pid, group) in targets.items():
                        context = contexts[who] if scheme == "wss" else None
                        with kill_on_hang(group, settings.seconds + 60, f"{who} {scheme} echo"):
                            result = round_trips(url, context, settings.seconds, connections, pid)
                        measured[who].append(result)
                ours, peer = measured["ours"], measured["peer"]
                what = f"{scheme}, {connections} connection{'s' if connections > 1 else ''}"
                table.add(
                    Row(f"{what}: round trips/s", _median(ours, "rate"), _median(peer, "rate"), 0, ratio_at_least(2))
                )
                table.add(Row(f"{what}: server CPU us/round trip", _median(ours, "cpu_us"), _median(peer, "cpu_us"), 1))
                if connections == 1:
                    ceiling = bare_echo_ceiling(scheme, tls, contexts["peer"], settings.seconds)
                    table.notes.append(
                        f"{scheme}, 1 connection: a Python server that only echoes bytes, with no WebSocket framing, "
                        f"reaches {ceiling:,.0f} round trips/s with this client; 2x the peer would be "
                        f"{2 * _median(peer, 'rate'):,.0f}, so no Python server can meet that row on this machine"
                        if 2 * _median(peer, "rate") > ceiling
                        else f"{scheme}, 1 connection: a bare Python byte echo reaches {ceiling:,.0f} round trips/s"
                    )
    table.notes.append(
        "one lean raw-socket client thread for both servers (pre-built masked frames, echoes compared as bytes), "
        "on the same 2 cores as the server; server CPU = utime+stime of the ws/wss server process (ours) or of the "
        "pywebsocket3 process"
    )
    return table


def _median(results: list[_Measured], attribute: str) -> float:
    return median([float(getattr(result, attribute)) for result in results])
