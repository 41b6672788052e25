"""Stash backends named by URL, and URLs made safe to print.

``manager`` is the run's own BaseManager server (the default); ``memory://`` a stash in one
process; ``redis://[user:password@]host:port/db``, ``rediss://...`` (TLS) and
``unix:///path/redis.sock?db=N`` a Redis server that harnesses on several machines share.
Query parameters tune a Redis connection: ``ssl_ca_certs``, ``ssl_certfile``, ``ssl_keyfile``
(TLS files) and ``timeout`` (seconds a reply may take, default 5).

>>> parse_backend_url("redis://stash:hunter2@10.0.0.5:6379/2").db
2
>>> redact_url("redis://stash:hunter2@10.0.0.5:6379/2")
'redis://stash:***@10.0.0.5:6379/2'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, unquote, urlsplit

__all__ = ["BackendURL", "harness_backend_problem", "parse_backend_url", "redact_url"]

MANAGER = "manager"
MEMORY = "memory://"
_REDIS_SCHEMES = ("redis", "rediss", "unix")
_TLS_PARAMS = ("ssl_ca_certs", "ssl_certfile", "ssl_keyfile")
_PARAMS = (*_TLS_PARAMS, "timeout", "db")
DEFAULT_TIMEOUT = 5.0


@dataclass(frozen=True)
class BackendURL:
    """A parsed backend URL. ``kind`` is ``manager``, ``memory`` or ``redis``."""

    kind: str
    text: str
    scheme: str = ""
    host: str = ""
    port: int = 6379
    socket_path: str = ""
    db: int = 0
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    tls_files: dict[str, str] = field(default_factory=dict)
    timeout: float = DEFAULT_TIMEOUT

    @property
    def redacted(self) -> str:
        """The URL with its password replaced by ``***``."""
        return redact_url(self.text)

    def __repr__(self) -> str:
        return f"BackendURL({self.redacted!r})"


def redact_url(text: str) -> str:
    """``text`` with any password in its user-info replaced by ``***`` (never raises)."""
    try:
        parts = urlsplit(text)
    except ValueError:
        return "<an unparsable URL>"
    if parts.password is None and "@" not in parts.netloc:
        return text
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    hidden = f"{user}:***" if user else "***"
    return parts._replace(netloc=f"{hidden}@{hostport}").geturl()


def _fail(text: str, why: str) -> ValueError:
    return ValueError(f"stash backend {redact_url(text)!r}: {why}")


def parse_backend_url(text: object) -> BackendURL:
    """Parse and check a backend URL; :class:`ValueError` naming the (redacted) URL if bad."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"a stash backend is a URL string (manager, memory://, redis://...), not {text!r}")
    if text == MANAGER:
        return BackendURL(kind="manager", text=text)
    if text in (MEMORY, "memory:"):
        return BackendURL(kind="memory", text=MEMORY)
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise _fail(text, str(exc)) from None
    if parts.scheme not in _REDIS_SCHEMES:
        raise _fail(text, "expected manager, memory://, redis://, rediss:// or unix://")
    params: dict[str, str] = {}
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name not in _PARAMS:
            raise _fail(text, f"unknown parameter {name!r} (known: {', '.join(_PARAMS)})")
        params[name] = value
    tls_files = {name: params[name] for name in _TLS_PARAMS if name in params}
    if tls_files and parts.scheme != "rediss":
        raise _fail(text, f"{', '.join(tls_files)} need a rediss:// URL")
    try:
        timeout = float(params.get("timeout", DEFAULT_TIMEOUT))
    except ValueError:
        raise _fail(text, "timeout must be a number of seconds") from None
    if not (math.isfinite(timeout) and timeout > 0):
        raise _fail(text, "timeout must be a positive number of seconds")
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if parts.scheme == "unix":
        if not parts.path or parts.netloc:
            raise _fail(text, "expected unix:///absolute/path/redis.sock")
        db_text = params.get("db", "0")
        return BackendURL(
            kind="redis",
            text=text,
            scheme="unix",
            socket_path=unquote(parts.path),
            db=_db(text, db_text),
            username=username,
            password=password,
            timeout=timeout,
        )
    if not parts.hostname:
        raise _fail(text, "no host")
    if "db" in params:
        raise _fail(text, "give the database as the path: redis://host:port/DB")
    return BackendURL(
        kind="redis",
        text=text,
        scheme=parts.scheme,
        host=parts.hostname,
        port=port if port is not None else 6379,
        db=_db(text, parts.path.lstrip("/") or "0"),
        username=username,
        password=password,
        tls_files=tls_files,
        timeout=timeout,
    )


def _db(text: str, value: str) -> int:
    if not value.isdigit():
        raise _fail(text, f"the database must be a number, not {value!r}")
    return int(value)


def describe_endpoint(url: BackendURL) -> str:
    """Where the backend is, without credentials: ``redis://host:port/db``."""
    if url.kind != "redis":
        return url.text
    if url.scheme == "unix":
        return f"unix://{quote(url.socket_path)}?db={url.db}"
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"{url.scheme}://{host}:{url.port}/{url.db}"


def harness_backend_problem(backend: str) -> str | None:
    """Why ``backend`` cannot be ``harness serve``'s stash, or ``None`` (never shows a password).

    ``env`` (join the run ``HARNESS_STASH_CONFIG`` names) is allowed; ``memory://`` is not.
    """
    if backend == "env":
        return None
    try:
        url = parse_backend_url(backend)
    except ValueError as exc:
        return str(exc)
    if url.kind == "memory":
        return "memory:// is a stash inside one process; harness serve runs several (use manager or redis://)"
    return None
