"""What every benchmark needs: paths, process CPU time, child processes that always get cleaned up.

>>> with Child(["sleep", "60"]) as child:   # doctest: +SKIP
...     cpu_seconds(child.pid)
0.01
"""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import IO

__all__ = [
    "BENCH",
    "BackgroundLoad",
    "DOCROOT",
    "PEER_HANDLERS",
    "ROOT",
    "Child",
    "CpuMeter",
    "Hung",
    "bytecode_env",
    "cpu_seconds",
    "free_port",
    "kill_on_hang",
    "machine_busy_seconds",
    "loopback_url",
    "median",
    "own_cpu_seconds",
    "tls_client_context",
    "wait_until",
]

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DOCROOT = BENCH / "docroot"
PEER_HANDLERS = BENCH / "peer_handlers"

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` and all its threads, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat", "rb") as handle:
        stat = handle.read()
    # The command name (field 2) may hold spaces; the fields after its ")" are fixed.
    fields = stat[stat.rindex(b")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / _CLOCK_TICKS


def machine_busy_seconds() -> float:
    """CPU seconds all cores have spent busy since boot (everything but idle and iowait)."""
    with open("/proc/stat", encoding="ascii") as handle:
        fields = [int(value) for value in handle.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / _CLOCK_TICKS


def own_cpu_seconds() -> float:
    """CPU seconds of this process and of every descendant it (or they) waited for."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


class BackgroundLoad:
    """How much CPU other processes took while the benchmarks ran (they skew the numbers)."""

    def __init__(self) -> None:
        self._machine = machine_busy_seconds()
        self._own = own_cpu_seconds()
        self._wall = time.monotonic()

    def report(self) -> tuple[float, float, float]:
        """CPU seconds of the whole machine, of this run (its process tree), and the other processes' share.

        Approximate: both come from the kernel's tick accounting, and the share is clamped at 0.
        """
        machine = machine_busy_seconds() - self._machine
        own = own_cpu_seconds() - self._own
        capacity = (time.monotonic() - self._wall) * (os.cpu_count() or 1)
        share = max(0.0, machine - own) / capacity if capacity > 0 else 0.0
        return machine, own, share


class CpuMeter:
    """CPU seconds a process spends between :meth:`start` and :meth:`stop`."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._before = 0.0
        self.seconds = 0.0

    def start(self) -> None:
        self._before = cpu_seconds(self.pid)

    def stop(self) -> float:
        self.seconds = cpu_seconds(self.pid) - self._before
        return self.seconds


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (for servers that cannot report theirs)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def loopback_url(url: str) -> str:
    """``url`` with ``localhost`` replaced by 127.0.0.1 (the servers bind IPv4 only)."""
    return url.replace("://localhost:", "://127.0.0.1:", 1)


def tls_client_context(ca_cert: str | os.PathLike[str]) -> ssl.SSLContext:
    """A client context trusting only ``ca_cert`` (the certificates name 127.0.0.1)."""
    return ssl.create_default_context(cafile=os.fspath(ca_cert))


def bytecode_env(cache_dir: Path, *, write: bool) -> dict[str, str]:
    """This environment with Python's bytecode cache (.pyc) moved to ``cache_dir``.

    ``write=True``: imports write their .pyc there, and later processes load them.
    ``write=False`` with an empty ``cache_dir``: every import compiles its module from source.
    """
    env = dict(os.environ)
    env["PYTHONPYCACHEPREFIX"] = str(cache_dir)
    if write:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def wait_until(probe: Callable[[], bool], timeout: float, what: str, interval: float = 0.005) -> None:
    """Call ``probe`` until it returns true; :class:`TimeoutError` naming ``what`` otherwise."""
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {timeout:g} s")
        time.sleep(interval)


class Hung(Exception):
    """Work that did not finish in time; its server's process group was killed to unblock it."""


@contextmanager
def kill_on_hang(process_group: int, seconds: float, what: str) -> Iterator[None]:
    """Kill ``process_group`` if the block runs past ``seconds``, and raise :class:`Hung`.

    A client blocked in a read without a timeout (websockets' sync client joins its reader
    thread after a handshake timeout) is only freed by the server going away.
    """
    fired = threading.Event()

    def expire() -> None:
        fired.set()
        try:
            os.killpg(process_group, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        yield
    except Exception as exc:
        if fired.is_set():
            raise Hung(f"{what} took over {seconds:g} s; its server was killed") from exc
        raise
    finally:
        timer.cancel()
    if fired.is_set():
        raise Hung(f"{what} took over {seconds:g} s; its server was killed")


class Child:
    """A child process in its own process group, always stopped (and its group killed) on exit."""

    def __init__(
        self,
        args: Sequence[str],
        *,
        stdout: int | IO[bytes] | None = None,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.args = list(args)
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            self.args,
            stdin=subprocess.DEVNULL,
            stdout=stdout if stdout is not None else subprocess.DEVNULL,
            stderr=self._log,
            start_new_session=True,
            cwd=cwd,
            env=env,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def errors(self) -> str:
        """What it wrote to stderr so far."""
        if self._log.closed:
            return ""
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM, then SIGKILL to the whole group if it does not exit within ``timeout``."""
        process = self.process
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(process.pid, signal.SIGKILL)  # anything it left behind in its group
        except (ProcessLookupError, PermissionError):
            pass
        process.wait()
        if process.stdout is not None:
            process.stdout.close()
        self._log.close()

    def __enter__(self) -> Child:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
