"""wpt's host layout: the browser host, its subdomains and the ``alt`` host, all on loopback.

web-platform-tests name their cross-origin URLs through a fixed set of host names: the browser
host (``web-platform.test``), its subdomains ``www``, ``www1``, ``www2``, ``天気の良い日`` and
``élève`` (and every two-label combination of them, such as ``www.www1``), and the same set
under the ``alt`` host (``not-web-platform.test``). ``nonexistent`` subdomains are named too,
and must never resolve. Non-ASCII labels appear in their IDNA (punycode) form, as wptserve
gives them.

With ``"wpt": {"hosts": true}`` (or ``"wpt": {"enabled": true}``) the run's URLs use the browser
host, its certificate covers every name of :meth:`HostLayout.domains_set`, and the clients the
harness gives (the pytest plugin's ``http_client``, ``ws_connect`` and Chromium) resolve those
names to the loopback address the servers listen on: no hosts file, no root.

>>> layout = HostLayout.wpt()
>>> layout.domains()[""]["élève"]
'xn--lve-6lad.web-platform.test'
>>> layout.domains()["alt"]["www.www1"]
'www.www1.not-web-platform.test'
>>> "nonexistent.web-platform.test" in layout.domains_set()
False
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..config import Config

__all__ = [
    "BROWSER_HOST",
    "NOT_SUBDOMAINS",
    "SUBDOMAINS",
    "HostLayout",
    "apply_wpt_settings",
    "chromium_host_resolver_rules",
    "hosts_enabled",
    "idna_host",
    "loopback_address",
]

BROWSER_HOST = "web-platform.test"
ALT_HOST = "not-web-platform.test"
SUBDOMAINS = ("www", "www1", "www2", "天気の良い日", "élève")
NOT_SUBDOMAINS = ("nonexistent",)
_DEPTH = 2  # wpt combines up to two subdomain labels: "www.www1", "élève.www2", ...


def idna_host(name: str) -> str:
    """``name`` as an ASCII host name (IDNA 2003, as Python's ``idna`` codec and wptserve do).

    >>> idna_host("天気の良い日.web-platform.test")
    'xn--n8j6ds53lwwkrqhv28a.web-platform.test'
    """
    return name.encode("idna").decode("ascii").lower()


def _combinations(labels: Iterable[str], depth: int) -> tuple[str, ...]:
    names = tuple(labels)
    return tuple(".".join(parts) for size in range(1, depth + 1) for parts in product(names, repeat=size))


@dataclass(frozen=True)
class HostLayout:
    """The host names of a run and which of them resolve.

    ``alternate_hosts`` maps a name (``"alt"``) to a host; ``subdomains`` and
    ``not_subdomains`` are the labels in front of each host, already combined.
    """

    browser_host: str
    alternate_hosts: Mapping[str, str] = field(default_factory=dict)
    subdomains: tuple[str, ...] = ()
    not_subdomains: tuple[str, ...] = ()

    @classmethod
    def wpt(cls, browser_host: str = BROWSER_HOST, alt_host: str = ALT_HOST) -> HostLayout:
        """wpt's layout: five subdomains and their pairs, under the browser host and ``alt``."""
        return cls(
            browser_host,
            {"alt": alt_host},
            _combinations(SUBDOMAINS, _DEPTH),
            _combinations(NOT_SUBDOMAINS, _DEPTH),
        )

    @classmethod
    def from_config(cls, config: Config) -> HostLayout:
        """The layout ``config`` asks for: wpt's, or just ``config.host`` with no subdomains."""
        if hosts_enabled(config):
            return cls.wpt(config.wpt.browser_host, config.wpt.alt_host)
        return cls(config.host)

    def _hosts(self) -> dict[str, str]:
        return {"": self.browser_host, **self.alternate_hosts}

    def domains(self) -> dict[str, dict[str, str]]:
        """``{"": {"": host, "www": "www.host", ...}, "alt": {...}}``: wptserve's ``config.domains``."""
        result: dict[str, dict[str, str]] = {}
        for name, host in self._hosts().items():
            names = {sub: f"{idna_host(sub)}.{host}" for sub in self.subdomains}
            names[""] = host
            result[name] = names
        return result

    def not_domains(self) -> dict[str, dict[str, str]]:
        """The names that must not resolve (``nonexistent.host``): wptserve's ``config.not_domains``."""
        return {
            name: {sub: f"{idna_host(sub)}.{host}" for sub in self.not_subdomains}
            for name, host in self._hosts().items()
        }

    def all_domains(self) -> dict[str, dict[str, str]]:
        """:meth:`domains` and :meth:`not_domains` together: what ``{{hosts[alt][www]}}`` reads."""
        result = self.domains()
        for name, names in self.not_domains().items():
            result[name].update(names)
        return result

    def domains_set(self) -> frozenset[str]:
        """Every host name that resolves to the servers."""
        return frozenset(host for names in self.domains().values() for host in names.values())

    def not_domains_set(self) -> frozenset[str]:
        """Every host name that must not resolve."""
        return frozenset(host for names in self.not_domains().values() for host in names.values())

    def resolves(self, hostname: str) -> bool:
        """Whether the harness's clients send ``hostname`` (any case, Unicode or IDNA) to loopback."""
        try:
            ascii_name = idna_host(hostname.rstrip("."))
        except UnicodeError:
            return False
        return ascii_name in self.domains_set()


def hosts_enabled(config: Config) -> bool:
    """Whether ``config`` serves wpt's host layout (``wpt.hosts``, which follows ``wpt.enabled``)."""
    return config.wpt.enabled if config.wpt.hosts is None else config.wpt.hosts


def loopback_address(bind_address: str) -> str:
    """The address clients reach servers bound to ``bind_address`` at (a wildcard means loopback)."""
    if bind_address == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(bind_address)
    except ValueError:
        return "127.0.0.1"
    if address.is_unspecified:
        return "::1" if address.version == 6 else "127.0.0.1"
    return str(address)


def chromium_host_resolver_rules(layout: HostLayout, address: str) -> str:
    """A ``--host-resolver-rules`` value sending each name of ``layout`` to ``address``.

    >>> chromium_host_resolver_rules(HostLayout("web-platform.test"), "127.0.0.1")
    'MAP web-platform.test 127.0.0.1'
    """
    target = f"[{address}]" if ":" in address else address
    return ", ".join(f"MAP {name} {target}" for name in sorted(layout.domains_set()))


def apply_wpt_settings(config: Config) -> Config:
    """``config`` with what its ``wpt`` settings imply filled in (idempotent).

    - In wpt mode without a ``ws_doc_root``, WebSocket handlers come from
      ``<doc_root>/websockets/handlers`` when that directory exists, as under ``wpt serve``.
    - With the host layout on, URLs use the browser host and the certificate covers every
      name that resolves (:meth:`HostLayout.domains_set`).
    """
    changes: dict[str, Any] = {}
    if config.wpt.enabled and config.ws_doc_root is None:
        candidate = Path(config.doc_root, "websockets", "handlers")
        if candidate.is_dir():
            changes["ws_doc_root"] = candidate
    if hosts_enabled(config):
        layout = HostLayout.from_config(config)
        extra = sorted(layout.domains_set() - set(config.hostnames))
        # The browser host first: it becomes the certificate's common name.
        hostnames = [layout.browser_host, *(name for name in config.hostnames if name != layout.browser_host)]
        changes["host"] = layout.browser_host
        changes["hostnames"] = tuple(dict.fromkeys([*hostnames, *extra]))
    return config.replace(**changes) if changes else config
