"""Configuration: ``config.json`` in, one frozen, validated :class:`Config` out.

The embedded ``config.json`` holds every default; a user's file overrides any subset of it,
object by object. Relative paths are resolved against the directory of the file that names
them. Every problem raises :class:`ConfigError` with one line naming the file and the key.

>>> config = load_config()
>>> config.bind_address, config.ports.http
('127.0.0.1', 0)
"""

from __future__ import annotations

import dataclasses
import difflib
import ipaddress
import json
import math
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union

__all__ = [
    "SCHEMES",
    "Config",
    "ConfigError",
    "HTTPSettings",
    "Ports",
    "StashSettings",
    "TLSFiles",
    "WPTSettings",
    "WSSettings",
    "config_from_json",
    "config_to_json",
    "default_config_path",
    "load_config",
]

SCHEMES = ("http", "https", "ws", "wss")


class ConfigError(Exception):
    """A configuration problem; the message names the file and the key."""


def _range(minimum: float | None = None, maximum: float | None = None, exclusive_min: bool = False) -> Any:
    return field(metadata={"min": minimum, "max": maximum, "exclusive_min": exclusive_min})


@dataclass(frozen=True)
class Ports:
    """One port per server; 0 picks a free port at start."""

    http: int = _range(0, 65535)
    https: int = _range(0, 65535)
    ws: int = _range(0, 65535)
    wss: int = _range(0, 65535)

    def __getitem__(self, scheme: str) -> int:
        return int(getattr(self, scheme))


@dataclass(frozen=True)
class TLSFiles:
    """A user's own certificate chain, private key and the CA clients should trust."""

    cert: Path
    key: Path
    ca_cert: Path


@dataclass(frozen=True)
class StashSettings:
    """Which stash backend the run uses, where the manager's server listens, its limits.

    ``backend`` is a URL (``manager``, ``redis://...``, ``rediss://...``, ``unix://...``) or
    ``env`` (join the run ``HARNESS_STASH_CONFIG`` names); ``address`` is the manager's
    ("auto": a unix socket in the run directory); ``redis_key_ttl`` is how long a run's Redis
    keys outlive their last write.
    ``default_ttl``: seconds before a value put without a TTL expires (``null``: never).
    ``test_clock``: whether tests may advance the stash clock (``stash_clock`` fixture).
    """

    address: Union[Literal["auto"], Path, tuple[str, int]]
    max_value_bytes: int = _range(1)
    default_ttl: Union[float, None] = field(default=None, metadata={"min": 0, "max": None, "exclusive_min": True})
    test_clock: bool = False
    backend: str = "manager"
    redis_key_ttl: float = field(default=86400.0, metadata={"min": 1})


@dataclass(frozen=True)
class HTTPSettings:
    """Limits and timeouts of the HTTP and HTTPS servers."""

    max_connections: int = _range(1, 100_000)
    header_timeout: float = _range(0, exclusive_min=True)
    keep_alive_timeout: float = _range(0, exclusive_min=True)
    handler_timeout: Union[float, None] = _range(0, exclusive_min=True)
    max_header_bytes: int = _range(1024)
    max_headers: int = _range(1, 10_000)
    max_body_bytes: int = _range(0)


@dataclass(frozen=True)
class WSSettings:
    """Limits and timeouts of the WS and WSS servers."""

    max_connections: int = _range(1, 100_000)
    open_timeout: float = _range(0, exclusive_min=True)
    close_timeout: float = _range(0, exclusive_min=True)
    max_message_bytes: int = _range(1)
    compression: bool = True


@dataclass(frozen=True)
class WPTSettings:
    """Running a web-platform-tests checkout: wpt mode and wpt's host layout."""

    enabled: bool = False
    hosts: Union[bool, None] = None  # null: on in wpt mode
    browser_host: str = "web-platform.test"
    alt_host: str = "not-web-platform.test"


@dataclass(frozen=True)
class Config:
    """The whole configuration of a harness run."""

    bind_address: str
    host: str
    hostnames: tuple[str, ...]
    doc_root: Path
    ports: Ports
    tls: Union[Literal["auto"], TLSFiles]
    stash: StashSettings
    http: HTTPSettings
    ws: WSSettings
    on_server_exit: Literal["stop", "restart"]
    shutdown_timeout: float = _range(0, 60, exclusive_min=True)
    run_dir: Union[Path, None] = None
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    access_log: bool = False
    ws_doc_root: Union[Path, None] = None
    wpt: WPTSettings = WPTSettings()

    def __getitem__(self, key: str) -> Any:
        """Item access for handlers written against wptserve's dict-like config."""
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None

    def replace(self, **changes: Any) -> Config:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


def default_config_path() -> Path:
    """The embedded ``config.json`` (in the source tree, or packaged beside the code)."""
    package = Path(__file__).resolve().parent
    packaged = package / "_data" / "config.json"
    if packaged.is_file():
        return packaged
    return package.parent / "config.json"


# -- conversion -------------------------------------------------------------------------


class _Source:
    def __init__(self, name: str, base_dir: Path) -> None:
        self.name = name
        self.base_dir = base_dir

    def error(self, where: str, message: str) -> ConfigError:
        return ConfigError(f"{self.name}: {where}: {message}" if where else f"{self.name}: {message}")


def _describe(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        return " or ".join(_describe(arg) for arg in typing.get_args(tp))
    if origin is Literal:
        return " or ".join(json.dumps(arg) for arg in typing.get_args(tp))
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return f"a list of {_describe(args[0]).removeprefix('a ').removeprefix('an ')}s"
        return "[" + ", ".join(_describe(arg) for arg in args) + "]"
    if dataclasses.is_dataclass(tp):
        return "an object"
    return {
        bool: "true or false",
        int: "an integer",
        float: "a number",
        str: "a string",
        Path: "a path string",
        type(None): "null",
    }.get(tp, str(tp))


def _json_repr(value: Any) -> str:
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _convert(tp: Any, value: Any, where: str, source: _Source) -> Any:
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        if isinstance(value, dict):
            # An object can only be the dataclass member: let its own error name the key.
            for arg in typing.get_args(tp):
                if dataclasses.is_dataclass(arg):
                    return _convert(arg, value, where, source)
        for arg in typing.get_args(tp):
            try:
                return _convert(arg, value, where, source)
            except ConfigError:
                continue
        raise source.error(where, f"expected {_describe(tp)}, got {_json_repr(value)}")
    if origin is Literal:
        if value in typing.get_args(tp) and isinstance(value, str):
            return value
        raise source.error(where, f"expected {_describe(tp)}, got {_json_repr(value)}")
    if origin is tuple:
        return _convert_tuple(tp, value, where, source)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise source.error(where, f"expected an object, got {_json_repr(value)}")
        return _build(tp, value, where, source)
    if tp is type(None):
        if value is None:
            return None
    elif tp is bool:
        if isinstance(value, bool):
            return value
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
    elif tp is str:
        if isinstance(value, str) and value.strip():
            return value
    elif tp is Path:
        if isinstance(value, str) and value.strip() and value != "auto":
            return (source.base_dir / os.path.expanduser(value)).resolve()
    raise source.error(where, f"expected {_describe(tp)}, got {_json_repr(value)}")


def _convert_tuple(tp: Any, value: Any, where: str, source: _Source) -> tuple[Any, ...]:
    args = typing.get_args(tp)
    if not isinstance(value, list):
        raise source.error(where, f"expected {_describe(tp)}, got {_json_repr(value)}")
    if len(args) == 2 and args[1] is Ellipsis:
        if not value:
            raise source.error(where, "expected at least one item")
        return tuple(_convert(args[0], item, f"{where}[{index}]", source) for index, item in enumerate(value))
    if len(value) != len(args):
        raise source.error(where, f"expected {_describe(tp)}, got {_json_repr(value)}")
    return tuple(
        _convert(arg, item, f"{where}[{index}]", source)
        for index, (arg, item) in enumerate(zip(args, value, strict=True))
    )


def _check_range(spec: dataclasses.Field[Any], value: Any, where: str, source: _Source) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return
    low, high = spec.metadata.get("min"), spec.metadata.get("max")
    exclusive = spec.metadata.get("exclusive_min", False)
    if low is not None and (value <= low if exclusive else value < low):
        bound = f"greater than {low:g}" if exclusive else f"at least {low:g}"
        raise source.error(where, f"must be {bound}, got {value:g}")
    if high is not None and value > high:
        raise source.error(where, f"must be at most {high:g}, got {value:g}")


def _unknown_key(cls: Any, key: str, where: str, source: _Source) -> ConfigError:
    names = [f.name for f in dataclasses.fields(cls)]
    close = difflib.get_close_matches(key, names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else f" (known keys: {', '.join(names)})"
    return source.error(_join(where, key), f"unknown key{hint}")


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _field_types(cls: Any) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _build(cls: Any, data: dict[str, Any], where: str, source: _Source) -> Any:
    hints = _field_types(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in data:
        if key not in fields:
            raise _unknown_key(cls, key, where, source)
    values: dict[str, Any] = {}
    for name, spec in fields.items():
        if name not in data:
            if spec.default is not dataclasses.MISSING:
                values[name] = spec.default
                continue
            raise source.error(_join(where, name), "missing key")
        values[name] = _convert(hints[name], data[name], _join(where, name), source)
        _check_range(spec, values[name], _join(where, name), source)
    return cls(**values)


def _overlay(instance: Any, data: dict[str, Any], where: str, source: _Source) -> Any:
    """``instance`` with the keys of ``data`` converted and replaced, nested objects merged."""
    cls = type(instance)
    hints = _field_types(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    changes: dict[str, Any] = {}
    for key, value in data.items():
        if key not in fields:
            raise _unknown_key(cls, key, where, source)
        current = getattr(instance, key)
        if dataclasses.is_dataclass(current) and isinstance(value, dict):
            changes[key] = _overlay(current, value, _join(where, key), source)
        else:
            changes[key] = _convert(hints[key], value, _join(where, key), source)
            _check_range(fields[key], changes[key], _join(where, key), source)
    return dataclasses.replace(instance, **changes)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such configuration file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the configuration: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the configuration must be a JSON object")
    return data


def _check_semantics(config: Config, source_name: str) -> None:
    def fail(key: str, message: str) -> ConfigError:
        return ConfigError(f"{source_name}: {key}: {message}")

    if not config.doc_root.is_dir():
        raise fail("doc_root", f"the document root {str(config.doc_root)!r} is not a directory")
    if config.ws_doc_root is not None and not config.ws_doc_root.is_dir():
        raise fail("ws_doc_root", f"the WebSocket document root {str(config.ws_doc_root)!r} is not a directory")
    for key in ("browser_host", "alt_host"):
        name = getattr(config.wpt, key)
        if any(char.isspace() or char in "/:[]" for char in name) or name.startswith(".") or name.endswith("."):
            raise fail(f"wpt.{key}", f"invalid host name {name!r}")
    if config.wpt.browser_host.lower() == config.wpt.alt_host.lower():
        raise fail("wpt.alt_host", "the alt host must differ from wpt.browser_host")
    try:
        ipaddress.ip_address(config.bind_address)
    except ValueError:
        if config.bind_address != "localhost":
            raise fail("bind_address", f"expected an IP address or 'localhost', got {config.bind_address!r}") from None
    for index, name in enumerate(config.hostnames):
        if any(char.isspace() for char in name) or "/" in name:
            raise fail(f"hostnames[{index}]", f"invalid host name {name!r}")
    if any(char.isspace() or char in "/:" for char in config.host) and not _is_ipv6(config.host):
        raise fail("host", f"invalid host name {config.host!r}")
    fixed = [(scheme, config.ports[scheme]) for scheme in SCHEMES if config.ports[scheme]]
    seen: dict[int, str] = {}
    for scheme, port in fixed:
        if port in seen:
            raise fail(f"ports.{scheme}", f"port {port} is also configured for ports.{seen[port]}")
        seen[port] = scheme
    if isinstance(config.tls, TLSFiles):
        for name in ("cert", "key", "ca_cert"):
            path = getattr(config.tls, name)
            if not path.is_file():
                raise fail(f"tls.{name}", f"no such file {str(path)!r}")
    if isinstance(config.stash.address, tuple):
        _host, port = config.stash.address
        if not 0 <= port <= 65535:
            raise fail("stash.address", f"port must be 0-65535, got {port}")


def _is_ipv6(text: str) -> bool:
    try:
        return ipaddress.ip_address(text).version == 6
    except ValueError:
        return False


def config_to_json(config: Config) -> dict[str, Any]:
    """``config`` as JSON-ready data (paths as strings), the inverse of :func:`config_from_json`."""

    def plain(value: Any) -> Any:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, Path):
            return str(value)
        if isinstance(value, tuple):
            return [plain(item) for item in value]
        return value

    data: dict[str, Any] = plain(config)
    return data


def config_from_json(data: dict[str, Any], source: str = "the harness state") -> Config:
    """A :class:`Config` from :func:`config_to_json` data, validated like a config file."""
    config: Config = _build(Config, data, "", _Source(source, Path("/")))
    return config


def load_config(
    path: str | os.PathLike[str] | None = None,
    *,
    doc_root: str | os.PathLike[str] | None = None,
    ws_doc_root: str | os.PathLike[str] | None = None,
    wpt: bool = False,
) -> Config:
    """Load the embedded defaults, overlaid with the file at ``path`` if given.

    ``doc_root`` and ``ws_doc_root`` (relative to the working directory) override the
    document roots; ``wpt`` turns wpt mode on. What wpt mode implies (the WebSocket root, the
    host names) is filled in when the run starts (:func:`harness.wpt.hosts.apply_wpt_settings`).
    Raises :class:`ConfigError` with a one-line message naming the file and key.
    """
    default_path = default_config_path()
    default_source = _Source(str(default_path), default_path.parent)
    config: Config = _build(Config, _read_json(default_path), "", default_source)
    source_name = str(default_path)
    if path is not None:
        user_path = Path(path)
        user_source = _Source(str(user_path), user_path.resolve().parent)
        config = _overlay(config, _read_json(user_path), "", user_source)
        source_name = str(user_path)
    if doc_root is not None:
        config = config.replace(doc_root=Path(doc_root).resolve())
        if not config.doc_root.is_dir():
            raise ConfigError(f"--doc-root: the document root {str(doc_root)!r} is not a directory")
    if ws_doc_root is not None:
        config = config.replace(ws_doc_root=Path(ws_doc_root).resolve())
        if not config.ws_doc_root or not config.ws_doc_root.is_dir():
            raise ConfigError(f"--ws-doc-root: the WebSocket document root {str(ws_doc_root)!r} is not a directory")
    if wpt:
        config = config.replace(wpt=dataclasses.replace(config.wpt, enabled=True))
    _check_semantics(config, source_name)
    return config
