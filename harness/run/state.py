"""The state file of a running harness: how other processes find and attach to it.

``harness serve --state-file PATH`` writes it atomically with mode 0600, since it holds the
stash authkey; :func:`read_state` validates it for tools and the pytest plugin.

>>> import os, pathlib, tempfile
>>> run_dir = pathlib.Path(tempfile.mkdtemp())
>>> urls = {scheme: f"{scheme}://localhost:{port}" for scheme, port in zip(SCHEMES, range(40121, 40125))}
>>> write_state(run_dir / "state.json", HarnessState(
...     urls, str(run_dir / "ca.pem"), "stash.json", os.getpid(), {}, str(run_dir), "handlers", "pin"))
>>> state = read_state(run_dir / "state.json")
>>> state.urls["wss"], state.pid == os.getpid()
('wss://localhost:40124', True)
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import SCHEMES

__all__ = ["HarnessState", "StateError", "read_state", "remove_state", "write_state"]


class StateError(Exception):
    """A state file that is missing, unreadable or not a harness's."""


@dataclass(frozen=True)
class HarnessState:
    """What a running harness publishes about itself."""

    urls: dict[str, str]
    ca_cert: str
    stash_config: str = field(repr=False)  # holds the stash's secrets
    pid: int
    server_pids: dict[str, int]
    run_dir: str
    doc_root: str
    spki_pin: str
    config: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The JSON object written to the state file."""
        return {
            "urls": self.urls,
            "ca_cert": self.ca_cert,
            "stash_config": self.stash_config,
            "pid": self.pid,
            "server_pids": self.server_pids,
            "run_dir": self.run_dir,
            "doc_root": self.doc_root,
            "spki_pin": self.spki_pin,
            "config": self.config,
        }


def write_state(path: str | os.PathLike[str], state: HarnessState) -> None:
    """Write ``state`` to ``path`` atomically (a temporary file renamed), mode 0600."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=".state-", dir=target.parent)  # mkstemp creates mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(state.to_json(), handle, indent=2)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def remove_state(path: str | os.PathLike[str], pid: int) -> None:
    """Remove the state file if it still describes the harness with ``pid``."""
    try:
        with open(path, encoding="utf-8") as handle:
            if json.load(handle).get("pid") != pid:
                return
    except (OSError, ValueError, AttributeError):
        return
    try:
        os.unlink(path)
    except OSError:
        pass


def read_state(path: str | os.PathLike[str]) -> HarnessState:
    """Load and check a state file; :class:`StateError` says what is wrong with it."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        raise StateError(f"{path}: no such state file (is the harness running with --state-file?)") from None
    except (OSError, ValueError) as exc:
        raise StateError(f"{path}: cannot read the state file: {exc}") from None
    if not isinstance(data, dict):
        raise StateError(f"{path}: not a harness state file")
    try:
        urls = data["urls"]
        if not isinstance(urls, dict) or set(urls) != set(SCHEMES):
            raise StateError(f"{path}: 'urls' must name {', '.join(SCHEMES)}")
        return HarnessState(
            urls={scheme: str(urls[scheme]) for scheme in SCHEMES},
            ca_cert=str(data["ca_cert"]),
            stash_config=str(data["stash_config"]),
            pid=int(data["pid"]),
            server_pids={str(k): int(v) for k, v in dict(data.get("server_pids", {})).items()},
            run_dir=str(data.get("run_dir", "")),
            doc_root=str(data.get("doc_root", "")),
            spki_pin=str(data.get("spki_pin", "")),
            config=dict(data.get("config") or {}),
        )
    except KeyError as exc:
        raise StateError(f"{path}: missing key {exc.args[0]!r}") from None
    except (TypeError, ValueError) as exc:
        raise StateError(f"{path}: malformed state file: {exc}") from None
