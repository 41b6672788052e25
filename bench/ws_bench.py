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
import zlib
from dataclasses import dataclass
from urllib.parse import urlsplit

from harness.run.state import HarnessState

from .common import CpuMeter, kill_on_hang, loopback_url, median, tls_client_context
from .peers import PeerTLS, PywebsocketServer
from .table import Row, Table, ratio_at_least, ratio_at_most

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


def _deflate_frame() -> bytes:
    """MESSAGE as a compressed (RFC 7692), masked text frame; valid again and again in one stream."""
    compressor = zlib.compressobj(wbits=-15)
    data = (compressor.compress(MESSAGE.encode()) + compressor.flush(zlib.Z_SYNC_FLUSH))[:-4]
    return bytes((0xC1, 0x80 | len(data))) + _MASK + bytes(b ^ _MASK[i % 4] for i, b in enumerate(data))


_DEFLATE_FRAME = _deflate_frame()
# What browsers offer; the server keeps its compression context, so its echoes differ in bytes.
_DEFLATE_OFFER = "permessage-deflate; client_max_window_bits"


def _open(url: str, context: ssl.SSLContext | None, deflate: bool = False) -> socket.socket:
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
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"{'Sec-WebSocket-Extensions: ' + _DEFLATE_OFFER + chr(13) + chr(10) if deflate else ''}\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            raise RuntimeError(f"{url}: closed during the handshake")
        head += chunk
    if not head.startswith(b"HTTP/1.1 101"):
        raise RuntimeError(f"{url}: handshake refused: {head[:80]!r}")
    if deflate and b"permessage-deflate" not in head.lower():
        raise RuntimeError(f"{url}: permessage-deflate was not negotiated")
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


def _read_compressed_echo(sock: socket.socket) -> None:
    """One compressed text frame (its bytes vary: the server keeps its compression context)."""
    head = sock.recv(2)
    while len(head) < 2:
        chunk = sock.recv(2 - len(head))
        if not chunk:
            raise RuntimeError("the connection closed")
        head += chunk
    if head[0] != 0xC1 or head[1] >= 126:
        raise RuntimeError(f"expected a small compressed text frame, got {head!r}")
    remaining = head[1]
    while remaining:
        chunk = sock.recv(remaining)
        if not chunk:
            raise RuntimeError("the connection closed")
        remaining -= len(chunk)


def round_trips(
    url: str, context: ssl.SSLContext | None, seconds: float, connections: int, pid: int, deflate: bool = False
) -> _Measured:
    """Round trips/s with ``connections`` connections, each keeping one message in flight."""
    socks = [_open(url, context, deflate) for _ in range(connections)]
    frame = _DEFLATE_FRAME if deflate else _FRAME
    read_echo = _read_compressed_echo if deflate else _read_echo
    try:
        for sock in socks:
            for _ in range(_WARMUP_ROUND_TRIPS // 10):
                sock.sendall(frame)
                read_echo(sock)
        meter = CpuMeter(pid)
        meter.start()
        count = 0
        started = time.perf_counter()
        deadline = started + seconds
        for sock in socks:
            sock.sendall(frame)
        while time.perf_counter() < deadline:
            for sock in socks:
                read_echo(sock)
                count += 1
                sock.sendall(frame)
        for sock in socks:  # the messages still in flight
            read_echo(sock)
            count += 1
        elapsed = time.perf_counter() - started
        cpu = meter.stop()
    finally:
        for sock in socks:
            sock.close()
    return _Measured(count / elapsed, cpu / count * 1e6)


_BARE_ECHO = """
import socket, ssl, sys, threading
listener = socket.create_server(("127.0.0.1", 0))
print(listener.getsockname()[1], flush=True)
context = None
if len(sys.argv) > 1:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[1], sys.argv[2])
def serve(conn):
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if context is not None:
        conn = context.wrap_socket(conn, server_side=True)
    head = b""
    while b"\\r\\n\\r\\n" not in head:
        head += conn.recv(4096)
    conn.sendall(b"HTTP/1.1 101 Switching Protocols\\r\\n\\r\\n")
    echo = bytes((0x81, 16)) + b"0123456789abcdef"
    while conn.recv(65536):
        conn.sendall(echo)
while True:
    threading.Thread(target=serve, args=(listener.accept()[0],), daemon=True).start()
"""


class BareEcho:
    """A Python server that only echoes bytes (no WebSocket framing at all), a thread per connection.

    With one connection the rate is one over the round-trip latency, and most of that is the
    kernel and the client: this is about the most any Python server can reach with this client.
    """

    def __init__(self, scheme: str, tls: PeerTLS) -> None:
        self.scheme = scheme
        self.args = [sys.executable, "-c", _BARE_ECHO] + ([str(tls.cert), str(tls.key)] if scheme == "wss" else [])

    def __enter__(self) -> BareEcho:
        self.process = subprocess.Popen(self.args, stdout=subprocess.PIPE, text=True, start_new_session=True)
        assert self.process.stdout is not None
        self.pid = self.process.pid
        self.url = f"{self.scheme}://localhost:{int(self.process.stdout.readline())}/"
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.kill()
        self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


def run(state: HarnessState, tls: PeerTLS, settings: WSSettings) -> Table:
    n = settings.connections
    runs = settings.runs
    table = Table(
        f"ws: echo round trips/s, {len(MESSAGE)}-byte text messages, {settings.seconds:g} s per run, median of "
        f"{runs} run{'s' if runs > 1 else ''} each, ours and peer alternating; peer: pywebsocket3 4.0.2 standalone"
    )
    contexts = {"ours": tls_client_context(state.ca_cert), "peer": tls_client_context(tls.ca_cert)}
    with (
        PywebsocketServer() as peer_ws,
        PywebsocketServer(tls) as peer_wss,
        BareEcho("ws", tls) as bare_ws,
        BareEcho("wss", tls) as bare_wss,
    ):
        peers = {"ws": peer_ws, "wss": peer_wss}
        bares = {"ws": bare_ws, "wss": bare_wss}
        for scheme in ("ws", "wss"):
            # who: (URL, server process for its CPU, process group to kill if a client hangs)
            targets = {
                "ours": (loopback_url(state.urls[scheme]) + "/echo", state.server_pids[scheme], state.pid),
                "peer": (peers[scheme].url("/echo"), peers[scheme].pid, peers[scheme].pid),
                "bare": (bares[scheme].url, bares[scheme].pid, bares[scheme].pid),
            }
            plain_cpu: dict[int, float] = {}
            for connections in (1, n):
                measured = _measure(targets, contexts, scheme, settings, connections, deflate=False)
                ours, peer = measured["ours"], measured["peer"]
                what = f"{scheme}, {connections} connection{'s' if connections > 1 else ''}"
                table.add(
                    Row(f"{what}: round trips/s", _median(ours, "rate"), _median(peer, "rate"), 0, ratio_at_least(2))
                )
                plain_cpu[connections] = _median(ours, "cpu_us")
                table.add(
                    Row(
                        f"{what}: server CPU us/round trip",
                        plain_cpu[connections],
                        _median(peer, "cpu_us"),
                        1,
                        ratio_at_most(0.8),
                    )
                )
                ceiling = _median(measured["bare"], "rate")
                share = _median(ours, "rate") / ceiling
                table.notes.append(
                    f"{what}: a bare Python byte echo (no WebSocket framing, a thread per connection), measured in "
                    f"turn with ours and the peer, reaches {ceiling:,.0f} round trips/s; ours reaches {share:.0%} of it"
                    + (
                        f"; 2x the peer would be {2 * _median(peer, 'rate'):,.0f}, beyond what any Python server "
                        "reaches on this machine"
                        if 2 * _median(peer, "rate") > ceiling
                        else ""
                    )
                )
            if scheme == "ws":  # permessage-deflate: its extra cost per message, on plain WS
                for connections in (1, n):
                    measured = _measure(targets, contexts, scheme, settings, connections, deflate=True)
                    ours, peer = measured["ours"], measured["peer"]
                    what = f"ws, {connections} connection{'s' if connections > 1 else ''}, permessage-deflate"
                    table.add(Row(f"{what}: round trips/s", _median(ours, "rate"), _median_or_none(peer, "rate"), 0))
                    deflate_cpu = _median(ours, "cpu_us")
                    table.add(Row(f"{what}: server CPU us/round trip", deflate_cpu, _median_or_none(peer, "cpu_us"), 1))
                    table.notes.append(
                        f"{what}: ours spends {deflate_cpu - plain_cpu[connections]:+.1f} us of server CPU per round "
                        "trip over the same echo uncompressed (compressing and decompressing one 16-byte message)"
                    )
    table.notes.append(
        "one lean raw-socket client thread for every server (pre-built masked frames, echoes compared as bytes; "
        "with deflate, echoes are read by their header: their bytes vary with the server's compression context), "
        "on the same 2 cores as the server; server CPU = utime+stime of the ws/wss server process (ours) or of the "
        "pywebsocket3 process"
    )
    return table


def _measure(
    targets: dict[str, tuple[str, int, int]],
    contexts: dict[str, ssl.SSLContext],
    scheme: str,
    settings: WSSettings,
    connections: int,
    deflate: bool,
) -> dict[str, list[_Measured]]:
    """Each server's runs, in turn (the bare echo speaks no deflate; a peer that cannot gets none)."""
    measured: dict[str, list[_Measured]] = {who: [] for who in targets if not (deflate and who == "bare")}
    for _ in range(settings.runs):
        for who, (url, pid, group) in targets.items():
            if who not in measured:
                continue
            context = contexts["ours" if who == "ours" else "peer"] if scheme == "wss" else None
            with kill_on_hang(group, settings.seconds + 60, f"{who} {scheme} echo"):
                try:
                    result = round_trips(url, context, settings.seconds, connections, pid, deflate)
                except RuntimeError:
                    if who == "ours" or not deflate:
                        raise
                    continue
            measured[who].append(result)
    return measured


def _median_or_none(results: list[_Measured], attribute: str) -> float | None:
    return _median(results, attribute) if results else None


def _median(results: list[_Measured], attribute: str) -> float:
    return median([float(getattr(result, attribute)) for result in results])
