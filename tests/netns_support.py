"""Two "machines" on this one: network namespaces joined by a veth pair.

``TwoMachines`` makes namespaces ``A`` (10.231.0.1/24) and ``B`` (10.231.0.2/24), each with
its own loopback, joined by a veth pair; nothing else. These addresses exist only inside
the namespaces, so nothing outside this machine (or on its own network) is ever contacted.
``close()`` deletes both namespaces (and with them the veth pair), whatever happened.

    with TwoMachines() as machines:
        machines.run("a", ["ip", "addr"])
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from types import TracebackType

ADDRESSES = {"a": "10.231.0.1", "b": "10.231.0.2"}


def why_no_namespaces() -> str | None:
    """Why network namespaces cannot be made here, or ``None`` when they can."""
    if os.geteuid() != 0:
        return "making network namespaces needs root (run the test as root)"
    if shutil.which("ip") is None:
        return "the `ip` command (iproute2) is not installed"
    return None


class TwoMachines:
    """Namespaces ``a`` and ``b`` joined by a veth pair (see the module docstring)."""

    def __init__(self) -> None:
        tag = secrets.token_hex(3)
        self.names = {"a": f"hs-{tag}-a", "b": f"hs-{tag}-b"}
        self._veth = (f"hv{tag}a", f"hv{tag}b")
        self.made: list[str] = []

    def prefix(self, machine: str) -> list[str]:
        """The command prefix that runs a program on ``machine``."""
        return ["ip", "netns", "exec", self.names[machine]]

    def run(self, machine: str, command: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self.prefix(machine), *command], check=True, capture_output=True, text=True)

    def _ip(self, *args: str) -> None:
        subprocess.run(["ip", *args], check=True, capture_output=True, text=True)

    def open(self) -> TwoMachines:
        try:
            for name in self.names.values():
                self._ip("netns", "add", name)
                self.made.append(name)
                self._ip("-n", name, "link", "set", "lo", "up")
            left, right = self._veth
            self._ip("link", "add", left, "type", "veth", "peer", "name", right)
            for machine, device in (("a", left), ("b", right)):
                self._ip("link", "set", device, "netns", self.names[machine])
                self._ip("-n", self.names[machine], "addr", "add", f"{ADDRESSES[machine]}/24", "dev", device)
                self._ip("-n", self.names[machine], "link", "set", device, "up")
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        for name in self.made:
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
        # A veth end left in the root namespace (a failure between add and move) goes too.
        subprocess.run(["ip", "link", "del", self._veth[0]], capture_output=True)
        self.made = []

    def __enter__(self) -> TwoMachines:
        return self.open()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
