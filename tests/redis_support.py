"""A real redis-server for the tests: started in a temporary directory, stopped at the end.

Never a mock: the tests run Debian's ``redis-server`` on a free loopback port (and a unix
socket beside it), with an append-only file fsynced on every write, so a value whose put
returned survives a kill and restart.
"""

from __future__ import annotations

import os
import selectors
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

REDIS_SERVER = shutil.which("redis-server")
READY = b"Ready to accept connections"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """One ``redis-server`` process; ``url`` (TCP) and ``unix_url`` reach it.

    ``password`` sets ``requirepass``; ``acl`` lines are added as ``user`` directives;
    ``tls`` is ``(cert, key, ca)`` paths to serve TLS only (``rediss://``).
    """

    def __init__(
        self,
        directory: Path,
        *,
        bind: str = "127.0.0.1",
        password: str | None = None,
        acl: tuple[str, ...] = (),
        tls: tuple[Path, Path, Path] | None = None,
        prefix: tuple[str, ...] = (),
        port: int | None = None,
        fsync: str = "always",
        persist: bool = True,
    ) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.bind = bind
        self.port = port if port is not None else free_port(bind)
        # sun_path holds 108 bytes: the socket goes in a short directory of its own.
        self._socket_dir = Path(tempfile.mkdtemp(prefix="redis-"))
        self.socket_path = self._socket_dir / "redis.sock"
        self.password = password
        self.acl = acl
        self.tls = tls
        self.fsync = fsync
        self.persist = persist
        self.prefix = prefix  # e.g. ("ip", "netns", "exec", "ns1") to run it elsewhere
        self.process: subprocess.Popen[bytes] | None = None
        self.log = directory / "redis.log"

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        scheme = "rediss" if self.tls else "redis"
        query = f"?ssl_ca_certs={self.tls[2]}" if self.tls else ""
        return f"{scheme}://{auth}{self.bind}:{self.port}/0{query}"

    @property
    def unix_url(self) -> str:
        return f"unix://{self.socket_path}?db=0"

    def _config(self) -> str:
        lines = [
            f"bind {self.bind}",
            f"dir {self.directory}",
            f"unixsocket {self.socket_path}",
            "unixsocketperm 700",
            f"appendonly {'yes' if self.persist else 'no'}",
            f"appendfsync {self.fsync}",
            'save ""',
            "daemonize no",
            'logfile ""',
            "protected-mode no",
        ]
        if self.tls:
            cert, key, ca = self.tls
            lines += ["port 0", f"tls-port {self.port}", f"tls-cert-file {cert}", f"tls-key-file {key}"]
            lines += [f"tls-ca-cert-file {ca}", "tls-auth-clients no"]
        else:
            lines.append(f"port {self.port}")
        if self.password:
            lines.append(f"requirepass {self.password}")
        lines += [f"user {line}" for line in self.acl]
        return "\n".join(lines) + "\n"

    def start(self, timeout: float = 20.0) -> RedisServer:
        """Start and wait for its "ready" line (not a sleep)."""
        assert REDIS_SERVER is not None
        self._socket_dir.mkdir(exist_ok=True)
        config = self.directory / "redis.conf"
        config.write_text(self._config())
        self.process = subprocess.Popen(
            [*self.prefix, REDIS_SERVER, str(config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        assert self.process.stdout is not None
        output = bytearray()
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            while READY not in output:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError(f"redis-server did not start:\n{output.decode(errors='replace')}")
                if selector.select(remaining):
                    chunk = os.read(self.process.stdout.fileno(), 65536)
                    if not chunk:
                        continue
                    output += chunk
        # Keep draining its log so it never blocks on a full pipe.
        self._log_fd = os.open(self.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        os.write(self._log_fd, bytes(output))
        import threading

        threading.Thread(target=self._drain, args=(self.process,), daemon=True).start()
        return self

    def _drain(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        try:
            while chunk := os.read(process.stdout.fileno(), 65536):
                os.write(self._log_fd, chunk)
        except OSError:
            pass

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None
        shutil.rmtree(self._socket_dir, ignore_errors=True)
