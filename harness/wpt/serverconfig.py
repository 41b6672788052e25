"""``request.server.config`` in wptserve's shape: ports as lists, domains, hosts, browser_host.

wpt handlers and ``.sub.`` files read the host layout from the server's config:
``config["ports"]["https"][0]``, ``config["domains"][""]["www"]``, ``config.all_domains``,
``config["browser_host"]``. :class:`WptServerConfig` gives them that, from the run's
:class:`~harness.config.Config` and a :class:`~harness.wpt.hosts.HostLayout` (wpt's, with
``wpt.hosts`` on). Without a wpt host layout the run has one host: ``domains == {"": {"": host}}``.

Other attributes fall through to the harness's own config, so ``config.http.max_body_bytes``
and ``config.host`` keep working.

>>> layout = HostLayout("web-platform.test", {"alt": "not-web-platform.test"}, ("www",))
>>> layout.all_domains()[""]["www"], layout.all_domains()["alt"][""]
('www.web-platform.test', 'not-web-platform.test')
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Protocol

from ..config import SCHEMES, Config
from .hosts import HostLayout

__all__ = [
    "ALT_PORTS_KEY",
    "LAYOUT_KEY",
    "HostLayout",
    "ServerContext",
    "WptPorts",
    "WptServerConfig",
    "host_layout",
    "set_host_layout",
]

# Where a server process keeps its wpt host layout (``ServerContext.extra``).
LAYOUT_KEY = "wpt_host_layout"
# The second port of each scheme that has one (``{"http": port, "https": port}``).
ALT_PORTS_KEY = "wpt_alt_ports"


class ServerContext(Protocol):
    """What this module needs of a server process's context (``harness.site.context.ServerContext``)."""

    config: Config
    extra: dict[str, Any]


def host_layout(context: ServerContext) -> HostLayout:
    """The host layout of this server process: one set here, else the run's (wpt's with ``wpt.hosts``)."""
    layout = context.extra.get(LAYOUT_KEY)
    if isinstance(layout, HostLayout):
        return layout
    return HostLayout.from_config(context.config)


def set_host_layout(context: ServerContext, layout: HostLayout) -> None:
    """Serve ``layout`` to handlers and ``.sub.`` files of this server process."""
    context.extra[LAYOUT_KEY] = layout
    context.extra.pop(_CACHE_KEY, None)


_CACHE_KEY = "wpt_server_config"


class WptPorts(dict[str, list[int]]):
    """``{scheme: [port]}`` as wptserve has it; ``ports.http`` is the port itself (our config's shape)."""

    def __getattr__(self, scheme: str) -> int:
        try:
            return self[scheme][0]
        except (KeyError, IndexError):
            raise AttributeError(scheme) from None


class WptServerConfig(Mapping[str, Any]):
    """wptserve's config mapping for one run; unknown attributes come from the harness config."""

    def __init__(self, config: Config, layout: HostLayout, alt_ports: Mapping[str, int] | None = None) -> None:
        domains = layout.domains()
        not_domains = layout.not_domains()
        all_domains = layout.all_domains()
        alt = alt_ports or {}
        ports = WptPorts(
            {scheme: [config.ports[scheme], *([alt[scheme]] if scheme in alt else [])] for scheme in SCHEMES}
        )
        self._config = config
        self._data: dict[str, Any] = {
            "browser_host": layout.browser_host,
            "server_host": layout.browser_host,
            "alternate_hosts": dict(layout.alternate_hosts),
            "doc_root": str(config.doc_root),
            "ws_doc_root": str(config.ws_doc_root or config.doc_root),
            "paths": {"doc_root": str(config.doc_root), "ws_doc_root": str(config.ws_doc_root or config.doc_root)},
            "ports": ports,
            "bind_address": config.bind_address,
            "subdomains": set(layout.subdomains),
            "not_subdomains": set(layout.not_subdomains),
            "domains": domains,
            "not_domains": not_domains,
            "all_domains": all_domains,
            "domains_set": {name for names in domains.values() for name in names.values()},
            "not_domains_set": {name for names in not_domains.values() for name in names.values()},
            "aliases": [],
            "check_subdomains": False,
            "logging": {"level": config.log_level.upper(), "suppress_handler_traceback": False},
        }
        self._data["all_domains_set"] = self._data["domains_set"] | self._data["not_domains_set"]

    @classmethod
    def for_context(cls, context: ServerContext) -> WptServerConfig:
        """The (cached) config of a server process."""
        cached = context.extra.get(_CACHE_KEY)
        if not isinstance(cached, WptServerConfig):
            alt_ports = context.extra.get(ALT_PORTS_KEY)
            cached = context.extra[_CACHE_KEY] = cls(
                context.config, host_layout(context), alt_ports if isinstance(alt_ports, dict) else None
            )
        return cached

    @property
    def harness_config(self) -> Config:
        """The harness's own :class:`~harness.config.Config`."""
        return self._config

    def __getitem__(self, key: str) -> Any:
        if key in self._data:
            return self._data[key]
        try:
            return self._config[key]  # the harness's own keys (host, http, ws, ...)
        except KeyError:
            raise KeyError(f"{key!r} is not in the server config (wptserve keys: {', '.join(self._data)})") from None

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._data:
            return self._data[name]
        return getattr(self._config, name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"WptServerConfig({self._data!r})"
