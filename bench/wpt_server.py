"""Run the peer: wptserve 4.0.3 (plus, optionally, pywebsocket3) the way wpt's ``serve`` does.

    python bench/wpt_server.py --doc-root DIR [--cert PEM --key PEM] [--ws-handlers DIR]

One process holds wptserve's ``StashServer`` (which forks its manager process), a
``WebTestHttpd`` for HTTP, one for HTTPS when a certificate is given, and with
``--ws-handlers`` two in-process pywebsocket3 ``WebSocketServer``\\ s (WS, and WSS with the
certificate), as wpt's ``WebSocketDaemon`` runs them. It prints one line,
``wpt: ready {"http": PORT, ...}``, once every server listens, and serves until SIGTERM or
SIGINT; then it stops the servers in parallel (wpt stops each server process on its own)
and the stash, and exits.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from typing import Any

from pywebsocket3.standalone import _parse_args_and_config
from pywebsocket3.websocket_server import WebSocketServer
from wptserve.server import WebTestHttpd
from wptserve.stash import StashServer

READY = "wpt: ready"


class WebSocketDaemon:
    """pywebsocket3's server in a thread, as wpt's ``tools/serve/serve.py`` runs it."""

    def __init__(self, doc_root: str, handlers: str, cert: str | None, key: str | None) -> None:
        args = ["-H", "127.0.0.1", "-p", "0", "-d", doc_root, "-w", handlers, "--log-level", "warning"]
        if cert is not None and key is not None:
            args += ["--tls", "--private-key", key, "--certificate", cert]
        options, _ = _parse_args_and_config(args)
        options.cgi_directories = []
        options.is_executable_method = None
        if not options.scan_dir:
            options.scan_dir = options.websock_handlers
        self.server = WebSocketServer(options)
        self.port = int(self.server._sockets[0][0].getsockname()[1])
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self.server.shutdown()
            self.server.server_close()
            self._thread.join()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--doc-root", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--ws-handlers")
    args = parser.parse_args(argv)
    stash = StashServer()
    stash.__enter__()  # forks the manager before any thread exists and before signals are blocked
    try:
        # Only this thread takes SIGTERM/SIGINT, through sigwait; server threads inherit the mask.
        signals = {signal.SIGTERM, signal.SIGINT}
        signal.pthread_sigmask(signal.SIG_BLOCK, signals)
        servers: dict[str, Any] = {"http": WebTestHttpd(host="127.0.0.1", port=0, doc_root=args.doc_root)}
        if args.cert:
            servers["https"] = WebTestHttpd(
                host="127.0.0.1",
                port=0,
                doc_root=args.doc_root,
                use_ssl=True,
                key_file=args.key,
                certificate=args.cert,
            )
        if args.ws_handlers:
            servers["ws"] = WebSocketDaemon(args.doc_root, args.ws_handlers, None, None)
            if args.cert:
                servers["wss"] = WebSocketDaemon(args.doc_root, args.ws_handlers, args.cert, args.key)
        for server in servers.values():
            server.start()
        ports = {name: server.port for name, server in servers.items()}
        print(f"{READY} {json.dumps(ports)}", flush=True)
        signal.sigwait(signals)
        stoppers = [threading.Thread(target=server.stop) for server in servers.values()]
        for thread in stoppers:
            thread.start()
        for thread in stoppers:
            thread.join()
    finally:
        stash.__exit__(None, None, None)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
