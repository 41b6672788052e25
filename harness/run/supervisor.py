"""The supervisor: starts the stash and the four servers, watches them, stops them all.

Order of start: bind every port (a busy port fails here, with nothing running), start the
stash server, publish its address in ``HARNESS_STASH_CONFIG``, fork the plain servers, make
the TLS material while they start, fork the TLS servers, wait until every one reports ready.
Then it prints the URLs (and writes the state file), and waits for a signal or a death.

>>> status = Supervisor(load_config(), state_file=None).run()     # doctest: +SKIP
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
import select
import shutil
import signal
import socket
import sys
import tempfile
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, TextIO

from ..config import SCHEMES, Config, ConfigError, Ports, TLSFiles, config_to_json
from ..journal.writer import JOURNAL_ENV_VAR, JOURNAL_SWITCH_ENV_VAR, journal_directory
from ..stash.envconfig import ENV_VAR, Address, StashConfig, encode_stash_config
from ..stash.url import redact_url
from ..wpt.hosts import apply_wpt_settings
from .children import ServerSpec, server_process_main, stash_process_main
from .listeners import BindError, bind_listener, is_loopback
from .state import HarnessState, remove_state, write_state
from .tls import TLSMaterial, generate_tls, load_tls, spki_pin

__all__ = ["StartupError", "Supervisor"]

_READY_TIMEOUT = 30.0
_RESTART_WINDOW = 30.0
_MAX_RESTARTS_IN_WINDOW = 5
_TLS_SCHEMES = ("https", "wss")
_ALT_SCHEMES = ("http", "https")
_UNIX_SOCKET_MAX = 100  # sun_path is 108 bytes on Linux


class StartupError(Exception):
    """The harness cannot start; ``status`` is the exit status (2: configuration)."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class _Child:
    name: str
    process: BaseProcess
    ready: Connection | None
    identity: str | None = None
    deaths: list[float] = field(default_factory=list)


def describe_exit(exitcode: int | None) -> str:
    """``exited with status 1`` / ``was killed by SIGKILL``."""
    if exitcode is None:
        return "is still running"
    if exitcode < 0:
        try:
            return f"was killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"was killed by signal {-exitcode}"
    return f"exited with status {exitcode}"


class _Lifeline:
    """Another process whose exit stops the harness (a pidfd where Linux has them)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._pidfd: int | None = None
        try:
            self._pidfd = os.pidfd_open(pid)  # type: ignore[attr-defined,unused-ignore]
        except (AttributeError, OSError):
            self._pidfd = None
        # Without a pidfd the monitor wakes up this often to check.
        self.poll_interval: float | None = None if self._pidfd is not None else 1.0

    def waitables(self) -> list[int]:
        return [] if self._pidfd is None else [self._pidfd]

    def alive(self) -> bool:
        if self._pidfd is not None:
            # A pidfd turns readable when the process terminates (zombie or not).
            return not select.select([self._pidfd], [], [], 0)[0]
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


class Supervisor:
    """One harness run: its processes, files and the signals that stop it."""

    def __init__(
        self,
        config: Config,
        state_file: str | os.PathLike[str] | None = None,
        out: TextIO | None = None,
        logger: logging.Logger | None = None,
        exit_with_pid: int | None = None,
    ) -> None:
        self.config = apply_wpt_settings(config)  # wpt mode's WebSocket root and host names
        self.state_file = Path(state_file) if state_file is not None else None
        self.out = out if out is not None else sys.stdout
        self.logger = logger if logger is not None else logging.getLogger("harness")
        self.context = multiprocessing.get_context("fork")
        self.run_dir: Path | None = None
        self.listeners: dict[str, socket.socket] = {}
        # wpt's second HTTP and HTTPS ports (config["ports"]["http"][1]): one more socket each,
        # served by the same server process.
        self.alt_listeners: dict[str, socket.socket] = {}
        self.children: dict[str, _Child] = {}
        self.urls: dict[str, str] = {}
        self.tls: TLSMaterial | None = None
        self.stash_address: Address | None = None
        self.stash_config: StashConfig | None = None
        self._authkey = os.urandom(32)
        self._stop_signal: int | None = None
        self._wake_r = -1
        self._wake_w = -1
        self._started = time.monotonic()
        self._state: HarnessState | None = None
        self._lifeline = _Lifeline(exit_with_pid) if exit_with_pid else None

    # -- public ---------------------------------------------------------------------------

    def run(self) -> int:
        """Start, serve until SIGINT/SIGTERM or a failure, stop; the exit status."""
        self._install_signals()
        try:
            try:
                self._start()
            except StartupError as exc:
                self.logger.error("%s", exc)
                return self._stop(exc.status)
            if self._stop_signal is not None:
                return self._stop(0)
            self._announce()
            return self._monitor()
        finally:
            self._restore_signals()

    # -- signals --------------------------------------------------------------------------

    def _install_signals(self) -> None:
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._previous_wakeup = signal.set_wakeup_fd(self._wake_w)

        def on_signal(signum: int, frame: object) -> None:
            if self._stop_signal is None:
                self._stop_signal = signum

        self._previous_handlers = {
            signum: signal.signal(signum, on_signal) for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        }

    def _restore_signals(self) -> None:
        signal.set_wakeup_fd(self._previous_wakeup)
        for signum, handler in self._previous_handlers.items():
            signal.signal(signum, handler)
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass

    def _drain_wakeups(self) -> None:
        try:
            while os.read(self._wake_r, 512):
                pass
        except (BlockingIOError, OSError):
            pass

    # -- start ----------------------------------------------------------------------------

    def _start(self) -> None:
        config = self.config
        if not is_loopback(config.bind_address):
            self.logger.warning(
                "servers listen on %s, reachable from other machines: handler files run arbitrary "
                "Python code for anyone who can reach these ports",
                config.bind_address,
            )
        parent = config.run_dir
        if parent is not None:
            parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.run_dir = Path(tempfile.mkdtemp(prefix="harness-", dir=parent))
        if os.environ.get(JOURNAL_SWITCH_ENV_VAR) == "off":
            os.environ.pop(JOURNAL_ENV_VAR, None)
        else:
            os.environ[JOURNAL_ENV_VAR] = str(journal_directory(self.run_dir))  # the servers inherit it
        for scheme in SCHEMES:
            try:
                self.listeners[scheme] = bind_listener(scheme, config.bind_address, config.ports[scheme])
            except BindError as exc:
                raise StartupError(str(exc), status=2) from None
        for scheme in _ALT_SCHEMES:
            try:
                self.alt_listeners[scheme] = bind_listener(scheme, config.bind_address, 0)
            except BindError as exc:
                raise StartupError(str(exc), status=2) from None
        if isinstance(config.tls, TLSFiles):
            try:
                self.tls = load_tls(config.tls)
            except ConfigError as exc:
                raise StartupError(str(exc), status=2) from None
        ports = {scheme: sock.getsockname()[1] for scheme, sock in self.listeners.items()}
        host = _url_host(config.host)
        self.urls = {scheme: f"{scheme}://{host}:{ports[scheme]}" for scheme in SCHEMES}
        self.config = config.replace(ports=Ports(**ports))
        self._open_stash()
        for scheme in ("http", "ws"):
            self._start_server(scheme)
        if self.tls is None:
            self.tls = generate_tls(self.run_dir, list(config.hostnames))
        for scheme in _TLS_SCHEMES:
            self._start_server(scheme)
        self._wait_ready(list(self.children.values()))

    def _sockets(self) -> list[socket.socket]:
        """Every listening socket of the run."""
        return [*self.listeners.values(), *self.alt_listeners.values()]

    def _stash_address(self) -> Address:
        assert self.run_dir is not None
        setting = self.config.stash.address
        if setting == "auto":
            path = str(self.run_dir / "stash.sock")
            if len(path) > _UNIX_SOCKET_MAX:
                raise StartupError(f"the run directory path is too long for a unix socket: {path}", status=2)
            return path
        if isinstance(setting, tuple):
            return setting
        return str(setting)

    def _open_stash(self) -> None:
        """Start the manager's stash server, or check the Redis stash and make the run's identity.

        A new run publishes its URLs and capability secret in the stash; a harness joining
        another's run (``env``) keeps what that run published.
        """
        from ..stash.connect import open_backend, shared_stash_config
        from ..stash.errors import StashError
        from ..stash.runinfo import publish_run_info

        settings = self.config.stash
        if settings.backend == "manager":
            self._start_stash()
        else:
            try:
                self.stash_config = shared_stash_config(
                    settings.backend,
                    key_ttl=settings.redis_key_ttl,
                    max_value_bytes=settings.max_value_bytes,
                    default_ttl=settings.default_ttl,
                    test_clock=settings.test_clock,
                )
            except StashError as exc:
                raise StartupError(f"the stash is not usable: {exc}") from None
        assert self.stash_config is not None
        os.environ[ENV_VAR] = encode_stash_config(self.stash_config)
        if settings.backend != "env":
            try:
                publish_run_info(open_backend(self.stash_config), self.urls)
            except StashError as exc:
                raise StartupError(f"the stash is not usable: {exc}") from None

    def _start_stash(self) -> None:
        address = self._stash_address()
        reader, writer = self.context.Pipe(duplex=False)
        process = self.context.Process(
            target=stash_process_main,
            args=(
                address,
                self._authkey,
                self.config.stash,
                writer,
                os.getpid(),
                tuple(self._sockets()),
            ),
            name="harness-stash",
            daemon=True,
        )
        process.start()
        writer.close()
        child = _Child("stash", process, reader)
        self.children["stash"] = child
        message = self._wait_ready([child])
        bound = message["stash"]
        self.stash_address = tuple(bound) if isinstance(bound, (list, tuple)) else str(bound)
        self.stash_config = StashConfig(address=self.stash_address, authkey=self._authkey)

    def _start_server(self, scheme: str) -> _Child:
        assert self.run_dir is not None
        spec = ServerSpec(
            scheme=scheme,
            listener=self.listeners[scheme],
            config=self.config,
            urls=dict(self.urls),
            tls=self.tls if scheme in _TLS_SCHEMES else None,
            extra_listeners=tuple(sock for name, sock in self.alt_listeners.items() if name == scheme),
            alt_ports={name: sock.getsockname()[1] for name, sock in self.alt_listeners.items()},
        )
        own = (spec.listener, *spec.extra_listeners)
        others = tuple(sock for sock in self._sockets() if sock not in own)
        reader, writer = self.context.Pipe(duplex=False)
        process = self.context.Process(
            target=server_process_main,
            args=(spec, writer, os.getpid(), others),
            name=f"harness-{scheme}",
            daemon=True,
        )
        process.start()
        writer.close()
        previous = self.children.get(scheme)
        child = _Child(scheme, process, reader, deaths=previous.deaths if previous else [])
        self.children[scheme] = child
        return child

    def _wait_ready(self, pending: list[_Child]) -> dict[str, Any]:
        """Wait for each child's ``ready`` message; :class:`StartupError` if one fails."""
        results: dict[str, Any] = {}
        deadline = time.monotonic() + _READY_TIMEOUT
        waiting = {child.name: child for child in pending if child.ready is not None}
        while waiting:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                names = ", ".join(sorted(waiting))
                raise StartupError(f"{names} did not become ready within {_READY_TIMEOUT:g} s")
            objects: list[Any] = [self._wake_r]
            for child in waiting.values():
                objects += [child.ready, child.process.sentinel]
            multiprocessing.connection.wait(objects, remaining)
            self._drain_wakeups()
            if self._stop_signal is not None:
                raise StartupError(f"stopped by {signal.Signals(self._stop_signal).name} while starting", status=0)
            for name, child in list(waiting.items()):
                assert child.ready is not None
                if child.ready.poll():
                    try:
                        kind, detail = child.ready.recv()
                    except (EOFError, OSError):
                        kind, detail = "failed", None
                    if kind != "ready":
                        child.process.join(1.0)
                        why = detail or f"{describe_exit(child.process.exitcode)} before it was ready"
                        raise StartupError(f"the {name} server failed to start: {why}")
                    results[name] = detail
                    if name != "stash":
                        child.identity = detail
                    child.ready.close()
                    child.ready = None
                    del waiting[name]
                elif not child.process.is_alive():
                    how = describe_exit(child.process.exitcode)
                    raise StartupError(f"the {name} server (pid {child.process.pid}) {how} before it was ready")
        return results

    def _announce(self) -> None:
        assert self.tls is not None and self.run_dir is not None and self.stash_config is not None
        self._write_state()  # before the ready line: whoever waits for that line reads the file
        elapsed = time.monotonic() - self._started
        for scheme in SCHEMES:
            print(f"harness: {scheme:<5} {self.urls[scheme]}", file=self.out)
        print(f"harness: document root: {self.config.doc_root}", file=self.out)
        print(f"harness: CA certificate to trust: {self.tls.ca_cert}", file=self.out)
        if self.stash_config.backend != "manager":
            print(
                f"harness: stash {redact_url(self.stash_config.backend)} (run {self.stash_config.run_id})",
                file=self.out,
            )
        print(f"harness: ready in {elapsed:.2f} s (pid {os.getpid()}); Ctrl-C or SIGTERM stops it", file=self.out)
        self.out.flush()

    def _write_state(self) -> None:
        if self.state_file is None:
            return
        assert self.tls is not None and self.run_dir is not None and self.stash_config is not None
        if self._state is None:
            pin = spki_pin(self.tls.cert_chain.read_bytes())
        else:
            pin = self._state.spki_pin
        self._state = HarnessState(
            urls=dict(self.urls),
            ca_cert=str(self.tls.ca_cert),
            stash_config=encode_stash_config(self.stash_config),
            pid=os.getpid(),
            server_pids={name: int(child.process.pid or 0) for name, child in self.children.items()},
            run_dir=str(self.run_dir),
            doc_root=str(self.config.doc_root),
            spki_pin=pin,
            config=config_to_json(self.config),
        )
        write_state(self.state_file, self._state)

    # -- running --------------------------------------------------------------------------

    def _monitor(self) -> int:
        while True:
            objects: list[Any] = [self._wake_r]
            if self._lifeline is not None:
                if not self._lifeline.alive():
                    self.logger.info("process %d exited; stopping", self._lifeline.pid)
                    return self._stop(0)
                objects += self._lifeline.waitables()
            for child in self.children.values():
                objects.append(child.process.sentinel)
                if child.ready is not None:
                    objects.append(child.ready)
            multiprocessing.connection.wait(objects, None if self._lifeline is None else self._lifeline.poll_interval)
            self._drain_wakeups()
            if self._stop_signal is not None:
                self.logger.info("stopping on %s", signal.Signals(self._stop_signal).name)
                return self._stop(0)
            for child in list(self.children.values()):
                if child.ready is not None and child.ready.poll():
                    self._restarted_ready(child)
                if not child.process.is_alive():
                    status = self._on_death(child)
                    if status is not None:
                        return self._stop(status)

    def _restarted_ready(self, child: _Child) -> None:
        assert child.ready is not None
        try:
            kind, detail = child.ready.recv()
        except (EOFError, OSError):
            kind, detail = "failed", None
        child.ready.close()
        child.ready = None
        if kind == "ready":
            child.identity = detail
            self.logger.warning("the %s server is back (pid %s)", child.name, child.process.pid)
            self._write_state()

    def _on_death(self, child: _Child) -> int | None:
        """Handle a dead child: restart it (``None``) or the exit status to stop with."""
        how = describe_exit(child.process.exitcode)
        pid = child.process.pid
        if child.name == "stash":
            self.logger.error(
                "the stash server (pid %s) %s; stopping the harness: serving without the shared stash would "
                "give every test wrong answers",
                pid,
                how,
            )
            return 1
        now = time.monotonic()
        child.deaths = [t for t in child.deaths if now - t < _RESTART_WINDOW] + [now]
        if self.config.on_server_exit != "restart":
            self.logger.error(
                'the %s server (pid %s) %s; stopping the harness (on_server_exit is "stop")', child.name, pid, how
            )
            return 1
        if len(child.deaths) > _MAX_RESTARTS_IN_WINDOW:
            self.logger.error(
                "the %s server (pid %s) %s, its %d death in %g s; stopping the harness",
                child.name,
                pid,
                how,
                len(child.deaths),
                _RESTART_WINDOW,
            )
            return 1
        self._forget_in_stash(child.identity)
        self.logger.warning(
            "the %s server (pid %s) %s; restarting it on the same port with the same stash", child.name, pid, how
        )
        self._start_server(child.name)
        return None

    def _forget_in_stash(self, identity: str | None) -> None:
        """Release the stash lock and blocked takes a dead server process held."""
        if identity is None or self.stash_address is None:
            return
        from ..stash.client import ManagerBackend
        from ..stash.errors import StashError

        try:
            ManagerBackend.shared(self.stash_address, self._authkey).forget_process(identity)
        except StashError as exc:
            self.logger.error("could not release what the dead process held in the stash: %s", exc)

    # -- stop -----------------------------------------------------------------------------

    def _stop(self, status: int) -> int:
        servers = [child for name, child in self.children.items() if name != "stash"]
        self._terminate(servers, self.config.shutdown_timeout + 0.5)
        stash = self.children.get("stash")
        if stash is not None:
            self._terminate([stash], 1.0)
        for sock in self._sockets():
            sock.close()
        if self.state_file is not None:
            remove_state(self.state_file, os.getpid())
        if self.run_dir is not None:
            shutil.rmtree(self.run_dir, ignore_errors=True)
        return status

    @staticmethod
    def _terminate(children: list[_Child], timeout: float) -> None:
        alive = [child.process for child in children if child.process.is_alive()]
        for process in alive:
            try:
                process.terminate()
            except (OSError, ValueError):
                pass
        deadline = time.monotonic() + timeout
        for process in alive:
            process.join(max(0.0, deadline - time.monotonic()))
        for process in alive:
            if process.is_alive():
                process.kill()
                process.join(1.0)
        for child in children:
            if child.ready is not None:
                child.ready.close()
                child.ready = None
