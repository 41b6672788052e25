"""Starting and stopping ``harness serve`` from Python (the pytest plugin, tools, tests).

The harness runs in its own process group; :class:`HarnessProcess` waits for its "ready"
line (not a sleep), reads the state file, and on failure raises with the harness's own error
output.

>>> with HarnessProcess(doc_root="tests/handlers") as state:     # doctest: +SKIP
...     print(state.urls["https"])
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO

from .state import HarnessState, read_state

__all__ = ["HarnessProcess", "HarnessStartError"]

READY_MARKER = b"harness: ready"


def _drain(stream: IO[bytes], log_file: Path) -> None:
    """Copy what the harness prints after its ready line to the end of its log file."""
    try:
        with open(log_file, "ab", buffering=0) as log:
            while chunk := os.read(stream.fileno(), 65536):
                log.write(chunk)
    except (OSError, ValueError):
        pass  # the pipe or the file closed: the harness is gone


class HarnessStartError(RuntimeError):
    """``harness serve`` exited or hung instead of becoming ready; the message has its output."""


class HarnessProcess:
    """One ``harness serve`` child process."""

    def __init__(
        self,
        config: str | os.PathLike[str] | None = None,
        doc_root: str | os.PathLike[str] | None = None,
        *,
        extra_args: Sequence[str] = (),
        env: dict[str, str] | None = None,
        startup_timeout: float = 30.0,
        workdir: str | os.PathLike[str] | None = None,
        exit_with_caller: bool = True,
    ) -> None:
        self._owned_dir = None if workdir is not None else tempfile.TemporaryDirectory(prefix="harness-launch-")
        self.workdir = Path(workdir if workdir is not None else self._owned_dir.name)  # type: ignore[union-attr]
        self.state_file = self.workdir / "state.json"
        self.log_file = self.workdir / "harness.log"
        self.args = [sys.executable, "-m", "harness", "serve", "--state-file", str(self.state_file)]
        if config is not None:
            self.args += ["--config", os.fspath(config)]
        if doc_root is not None:
            self.args += ["--doc-root", os.fspath(doc_root)]
        if exit_with_caller:
            # The harness stops when the process that started it exits, even by SIGKILL.
            self.args += ["--exit-with-pid", str(os.getpid())]
        self.args += list(extra_args)
        self.env = env
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self._drainer: threading.Thread | None = None
        self.state: HarnessState | None = None
        self.startup_seconds: float | None = None

    def start(self) -> HarnessState:
        """Start and wait until every server is ready; :class:`HarnessStartError` otherwise."""
        started = time.monotonic()
        log = open(self.log_file, "ab")  # noqa: SIM115 - the child writes to it for its whole life
        try:
            self.process = subprocess.Popen(
                self.args,
                stdout=subprocess.PIPE,
                stderr=log,
                stdin=subprocess.DEVNULL,
                env=self.env,
                start_new_session=True,
            )
        finally:
            log.close()
        assert self.process.stdout is not None
        output = bytearray()
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            deadline = started + self.startup_timeout
            while READY_MARKER not in output:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self.stop()
                    raise HarnessStartError(
                        self._failure(f"harness serve was not ready within {self.startup_timeout:g} s")
                    )
                if not selector.select(remaining):
                    continue
                chunk = os.read(self.process.stdout.fileno(), 65536)
                if not chunk:
                    status = self.process.wait()
                    raise HarnessStartError(
                        self._failure(f"harness serve exited with status {status} before it was ready")
                    )
                output += chunk
        self.startup_seconds = time.monotonic() - started
        self.state = read_state(self.state_file)
        # Handlers may print: keep the pipe drained (into the log) so their writes never block.
        self._drainer = threading.Thread(target=_drain, args=(self.process.stdout, self.log_file), daemon=True)
        self._drainer.start()
        return self.state

    def _failure(self, summary: str) -> str:
        try:
            errors = self.log_file.read_text(errors="replace").strip()
        except OSError:
            errors = ""
        return f"{summary}:\n{errors}" if errors else summary

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM the harness and wait; SIGKILL its process group if it hangs. The exit status."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait()
        if self._drainer is not None:
            # It ends at EOF, once every process holding the pipe has exited.
            self._drainer.join(5)
        if process.stdout is not None and (self._drainer is None or not self._drainer.is_alive()):
            process.stdout.close()
        return process.returncode

    def logs(self) -> str:
        """What the harness wrote to stderr so far."""
        try:
            return self.log_file.read_text(errors="replace")
        except OSError:
            return ""

    def close(self) -> None:
        """Stop, and remove the launch directory if this object made it."""
        self.stop()
        if self._owned_dir is not None:
            self._owned_dir.cleanup()

    def __enter__(self) -> HarnessState:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
