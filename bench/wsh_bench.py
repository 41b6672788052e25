"""pywebsocket-style handlers: echo round trips/s, the same ``_wsh.py`` file on the harness and on pywebsocket3.

``python -m bench.wsh_bench [SECONDS]`` serves ``bench/peer_handlers/echo_wsh.py`` (pywebsocket's
convention) from the harness (through :mod:`harness.wpt.wsh`) and from pywebsocket3 4.0.2
standalone, and measures both with :func:`bench.ws_bench.round_trips`, alternating, over WS,
1 connection and 50. Numbers are relative: run them side by side on one machine.
"""

from __future__ import annotations

import sys

from harness.run.launcher import HarnessProcess

from .common import loopback_url, median
from .peers import PEER_HANDLERS, PywebsocketServer
from .ws_bench import round_trips


def main(argv: list[str]) -> int:
    seconds = float(argv[0]) if argv else 2.0
    runs = 3
    process = HarnessProcess(doc_root=PEER_HANDLERS)
    state = process.start()
    try:
        with PywebsocketServer() as peer:
            targets = {
                "harness": (loopback_url(state.urls["ws"]) + "/echo", state.server_pids["ws"]),
                "pywebsocket3": (peer.url("/echo"), peer.pid),
            }
            print(f"echo round trips/s, {seconds:g} s per run, median of {runs}")
            for connections in (1, 50):
                rates: dict[str, list[float]] = {who: [] for who in targets}
                for _ in range(runs):
                    for who, (url, pid) in targets.items():
                        rates[who].append(round_trips(url, None, seconds, connections, pid).rate)
                ours, peer_rate = median(rates["harness"]), median(rates["pywebsocket3"])
                print(
                    f"  ws, {connections:>2} connection(s): harness {ours:>9,.0f}   pywebsocket3 {peer_rate:>9,.0f}"
                    f"   ratio {ours / peer_rate:.2f}"
                )
    finally:
        process.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
