"""What each child process of the supervisor runs: the stash server, or one protocol server.

Every server process finds the stash only through ``HARNESS_STASH_CONFIG``, as any other
process would; it reports ``("ready", identity)`` or ``("failed", message)`` on its pipe.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from ..config import Config, StashSettings
from ..journal.writer import flush_journal
from ..net.interrupts import deferred
from ..site.context import ServerContext
from ..site.docroot import DocRoot
from ..site.loader import HandlerCache, add_import_root
from ..stash.client import set_interrupt_guard
from ..stash.connect import env_backend
from ..stash.envconfig import Address
from ..stash.errors import StashError
from ..stash.identity import process_identity
from ..stash.manager import run_stash_server
from ..wpt.pywebsocket import install_modules
from .tls import TLSMaterial, server_ssl_context

__all__ = ["ServerSpec", "server_process_main", "stash_process_main"]


@dataclass(frozen=True)
class ServerSpec:
    """Everything a server process needs, handed over by fork."""

    scheme: str
    listener: socket.socket
    config: Config
    urls: dict[str, str]
    tls: TLSMaterial | None
    # A second listening socket of this server (wpt's second HTTP/HTTPS port), and the
    # second port of every scheme that has one.
    extra_listeners: tuple[socket.socket, ...] = ()
    alt_ports: dict[str, int] = field(default_factory=dict)


def _die_with_parent(parent_pid: int) -> None:
    """Get SIGTERM if the supervisor dies, even by SIGKILL (Linux): no orphaned servers."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:  # the supervisor died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)


def _settle_child(name: str, parent_pid: int, others: tuple[socket.socket, ...] = ()) -> logging.Logger:
    # The supervisor coordinates shutdown: a terminal's Ctrl-C reaches the whole process
    # group, and each child waits for the supervisor's SIGTERM instead.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    signal.set_wakeup_fd(-1)
    for sock in others:
        sock.close()
    _die_with_parent(parent_pid)
    return logging.getLogger(f"harness.{name}")


def stash_process_main(
    address: Address,
    authkey: bytes,
    settings: StashSettings,
    ready: Connection,
    parent_pid: int,
    others: tuple[socket.socket, ...],
) -> None:
    """The stash server process: serve until SIGTERM."""
    _settle_child("stash", parent_pid, others)

    def on_listening(bound: Any) -> None:
        ready.send(("ready", bound))
        ready.close()

    try:
        run_stash_server(
            address,
            authkey,
            settings.max_value_bytes,
            on_listening,
            ignore_sigint=True,
            default_ttl=settings.default_ttl,
            test_clock=settings.test_clock,
        )
    except OSError as exc:
        ready.send(("failed", f"the stash server cannot listen on {address!r}: {exc.strerror or exc}"))
        ready.close()
        os._exit(1)


def server_process_main(
    spec: ServerSpec, ready: Connection, parent_pid: int, others: tuple[socket.socket, ...]
) -> None:
    """A protocol server process: serve until SIGTERM, drain, exit."""
    logger = _settle_child(spec.scheme, parent_pid, others)
    # A handler timeout interrupts the handler's thread; never in the middle of a stash exchange.
    set_interrupt_guard(deferred)
    try:
        server = _build_server(spec, logger)
    except (StashError, OSError, ValueError) as exc:
        ready.send(("failed", f"{type(exc).__name__}: {exc}"))
        ready.close()
        os._exit(1)

    def stop(signum: int, frame: object) -> None:
        server.stop()

    signal.signal(signal.SIGTERM, stop)
    ready.send(("ready", process_identity()))
    ready.close()
    server.serve_forever()
    server.drain(spec.config.shutdown_timeout)
    flush_journal()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _build_server(spec: ServerSpec, logger: logging.Logger) -> Any:
    from ..http.server import HTTPServer
    from ..site.http_app import HTTPApp
    from ..site.ws_app import WSApp, transport_settings
    from ..wpt.process import prepare_server_process
    from ..wpt.serverconfig import ALT_PORTS_KEY

    config = spec.config
    prepare_server_process()  # `import wptserve...` in handlers reaches our shims
    backend = env_backend()
    context = ServerContext(config, spec.scheme, spec.urls, backend)
    context.extra[ALT_PORTS_KEY] = dict(spec.alt_ports)
    docroot = DocRoot(config.doc_root)
    add_import_root(docroot.root)
    handlers = HandlerCache()
    install_modules()  # pywebsocket3 / mod_pywebsocket, for *_wsh.py handlers
    ssl_ctx = server_ssl_context(spec.tls) if spec.tls is not None else None
    if spec.scheme in ("http", "https"):
        app = HTTPApp(context, docroot, handlers, logger)
        return HTTPServer(
            spec.listener,
            config.http,
            ssl_ctx,
            logger,
            config.access_log,
            scheme=spec.scheme,
            server_host=config.host,
            app=app,
            extra_listeners=spec.extra_listeners,
        )
    transport = transport_settings(config)
    if config.ws_doc_root is not None:
        docroot = DocRoot(config.ws_doc_root)  # wpt serve's websockets/handlers
    websocket = WSApp(context, docroot, handlers, config.ws, logger, config.access_log)
    return HTTPServer(
        spec.listener,
        transport,
        ssl_ctx,
        logger,
        config.access_log,
        scheme=spec.scheme,
        server_host=config.host,
        upgrader=websocket,
    )
