"""Server CPU per echo round trip: our framing (harness.ws) vs websockets' sans-I/O Protocol.

The question of issue 9: build the ``ws`` object on :class:`websockets.protocol.Protocol`, or
keep our own framing (justified only if the library path costs over 20% more server CPU per
round trip)? Both servers run in a thread of this process on one end of a socketpair, with
the same raw client on the other end; the figure is the server thread's CPU time (syscalls
included) per round trip of a 16-byte text message. The library side is its leanest possible
driver (no locks, no message assembly), then the same with the two locks and the frame
queue any thread-safe ``ws`` object needs: lower bounds of what a full ``ws`` object on it
would cost. The last row is ours with permessage-deflate on: the extra cost per message.

    .venv/bin/python bench/ws_framing_choice.py [round trips] [runs]
"""

from __future__ import annotations

import logging
import socket
import statistics
import sys
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path[0] = str(Path(__file__).resolve().parent.parent)

from websockets.protocol import Protocol, Side, State  # noqa: E402

from harness.ws.connection import WebSocket  # noqa: E402
from harness.ws.handshake import _deflate_factory  # noqa: E402

_MESSAGE = b"0123456789abcdef"
_MASK = b"\x5a\xa5\x3c\xc3"
_FRAME = bytes((0x81, 0x80 | len(_MESSAGE))) + _MASK + bytes(b ^ _MASK[i % 4] for i, b in enumerate(_MESSAGE))
_ECHO = bytes((0x81, len(_MESSAGE))) + _MESSAGE


def _ours(sock: socket.socket, count: int) -> None:
    ws = WebSocket(
        sock,
        bytearray(),
        path="/",
        headers=[],
        subprotocol=None,
        max_size=1 << 24,
        close_timeout=1.0,
        logger=logging.getLogger("bench"),
    )
    for _ in range(count):
        ws.send(ws.recv())


def _ours_deflate(sock: socket.socket, count: int) -> None:
    """Ours with permessage-deflate negotiated (server context takeover, 4 KiB windows)."""
    factory = _deflate_factory()
    _params, extension = factory.process_request_params([("client_no_context_takeover", None)], [])
    ws = WebSocket(
        sock,
        bytearray(),
        path="/",
        headers=[],
        subprotocol=None,
        max_size=1 << 24,
        close_timeout=1.0,
        logger=logging.getLogger("bench"),
        extensions=[extension],
    )
    for _ in range(count):
        ws.send(ws.recv())


def _library(sock: socket.socket, count: int) -> None:
    protocol = Protocol(Side.SERVER, state=State.OPEN, max_size=1 << 24)
    done = 0
    while done < count:
        protocol.receive_data(sock.recv(65536))
        for frame in protocol.events_received():
            protocol.send_text(frame.data.decode("utf-8").encode("utf-8"))
            done += 1
        for data in protocol.data_to_send():
            sock.sendall(data)


def _library_thread_safe(sock: socket.socket, count: int) -> None:
    """The least a ``ws`` object on the Protocol adds: locks (handlers send from any thread), a queue of frames."""
    protocol = Protocol(Side.SERVER, state=State.OPEN, max_size=1 << 24)
    state_lock, write_lock = threading.Lock(), threading.Lock()
    frames: deque[Any] = deque()
    for _ in range(count):
        while not frames:  # recv
            data = sock.recv(65536)
            with state_lock:
                protocol.receive_data(data)
                frames.extend(protocol.events_received())
                pending = protocol.data_to_send()
            if pending:
                with write_lock:
                    sock.sendall(b"".join(pending))
        text = frames.popleft().data.decode("utf-8")
        with write_lock:  # send
            with state_lock:
                protocol.send_text(text.encode("utf-8"))
                pending = protocol.data_to_send()
            for chunk in pending:
                sock.sendall(chunk)


def _compressed_frame() -> bytes:
    compressor = zlib.compressobj(wbits=-15)
    data = (compressor.compress(_MESSAGE) + compressor.flush(zlib.Z_SYNC_FLUSH))[:-4]
    masked = bytes(b ^ _MASK[i % 4] for i, b in enumerate(data))
    return bytes((0xC1, 0x80 | len(data))) + _MASK + masked


def cpu_per_round_trip(server: Callable[[socket.socket, int], None], count: int) -> float:
    """Microseconds of the server thread's CPU per round trip."""
    ours, theirs = socket.socketpair()
    cpu = [0.0]

    def serve() -> None:
        started = time.thread_time()
        server(ours, count)
        cpu[0] = time.thread_time() - started

    thread = threading.Thread(target=serve)
    thread.start()
    frame = _compressed_frame() if server is _ours_deflate else _FRAME
    for _ in range(count):
        theirs.sendall(frame)
        data = theirs.recv(64)
        while len(data) < 2 or len(data) < 2 + data[1]:
            data += theirs.recv(64)
    thread.join()
    ours.close()
    theirs.close()
    return cpu[0] / count * 1e6


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    servers = {
        "ours (harness.ws.WebSocket, complete)": _ours,
        "websockets Protocol, leanest driver": _library,
        "websockets Protocol + locks and a frame queue": _library_thread_safe,
        "ours with permessage-deflate": _ours_deflate,
    }
    results: dict[str, list[float]] = {name: [] for name in servers}
    for _ in range(runs):  # interleaved, so background load hits all alike
        for name, server in servers.items():
            results[name].append(cpu_per_round_trip(server, count))
    ours = statistics.median(next(iter(results.values())))
    print(f"server CPU per round trip, median of {runs} runs of {count} round trips:")
    for name, values in results.items():
        value = statistics.median(values)
        print(f"  {name:48} {value:6.2f} us  {value / ours:.2f}x ours")


if __name__ == "__main__":
    main()
