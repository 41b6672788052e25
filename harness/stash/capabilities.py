"""Capabilities: signed, expiring permissions to use the stash from a page.

A page the harness serves may call the stash endpoint (``/harness/stash``) freely; anything
else (a page on another origin, a tool) presents a capability: a token naming what it may do
(operations on one path, one key of a path, or one table) until when, signed with an HMAC of
the run's secret. Nothing in a token is secret, but changing any of it breaks the signature.

>>> secret = b"s" * 32
>>> token = sign(secret, Capability(frozenset({"take"}), expires=2e9, path="/a", key="k"))
>>> verify(secret, token, now=1e9).allows("take", path="/a", key="k")
True
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
from dataclasses import dataclass

__all__ = [
    "ENDPOINT_PATH",
    "MAX_TOKEN_LENGTH",
    "PATH_OPS",
    "TABLE_OPS",
    "Capability",
    "CapabilityRefused",
    "sign",
    "verify",
]

ENDPOINT_PATH = "/harness/stash"
MAX_TOKEN_LENGTH = 8192
PATH_OPS = frozenset({"put", "take"})
TABLE_OPS = frozenset({"read", "write"})
_CONTEXT = b"harness stash capability v1\0"


class CapabilityRefused(Exception):
    """A token that is malformed, forged, expired or used out of its scope (HTTP 403)."""


@dataclass(frozen=True)
class Capability:
    """What a token allows: ``ops`` on a ``path`` (and maybe one ``key``) or on a ``table``.

    ``expires`` is in seconds since the epoch on the run's stash clock (wall time plus the
    offset tests move).
    """

    ops: frozenset[str]
    expires: float
    path: str | None = None
    key: str | None = None
    table: str | None = None

    def __post_init__(self) -> None:
        if (self.path is None) == (self.table is None):
            raise ValueError("a capability names either a path or a table")
        allowed = PATH_OPS if self.path is not None else TABLE_OPS
        if not self.ops or not self.ops <= allowed:
            raise ValueError(f"a {'path' if self.path is not None else 'table'} capability allows {sorted(allowed)}")
        if self.key is not None and self.path is None:
            raise ValueError("only a path capability can be limited to one key")
        if not math.isfinite(self.expires):
            raise ValueError("a capability must expire")

    def allows(self, op: str, *, path: str | None = None, key: str | None = None, table: str | None = None) -> bool:
        """Whether ``op`` on ``path``/``key`` (path ops) or ``table`` (table ops) is in scope."""
        if op not in self.ops:
            return False
        if self.table is not None:
            return table == self.table
        return path == self.path and (self.key is None or key == self.key)

    def describe(self) -> str:
        """The scope in words, for error messages."""
        where = f"table {self.table!r}" if self.table is not None else f"path {self.path!r}"
        if self.key is not None:
            where += f" key {self.key!r}"
        return f"{'/'.join(sorted(self.ops))} on {where}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, body: str) -> bytes:
    return hmac.new(secret, _CONTEXT + body.encode("ascii"), hashlib.sha256).digest()


def sign(secret: bytes, capability: Capability) -> str:
    """The token for ``capability``: ``<base64url JSON>.<base64url HMAC-SHA256>``."""
    fields: dict[str, object] = {"ops": sorted(capability.ops), "exp": capability.expires}
    for name in ("path", "key", "table"):
        value = getattr(capability, name)
        if value is not None:
            fields[name] = value
    body = _b64(json.dumps(fields, separators=(",", ":"), sort_keys=True).encode("utf-8"))
    return f"{body}.{_b64(_mac(secret, body))}"


def verify(secret: bytes, token: str, now: float) -> Capability:
    """The capability ``token`` carries, checked; :class:`CapabilityRefused` says why not.

    ``now`` is the current time on the stash clock (see :class:`Capability`).
    """
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
        raise CapabilityRefused("malformed capability token")
    body, _, mac = token.partition(".")
    try:
        given = _unb64(mac)
        if not body.isascii():
            raise ValueError
    except (ValueError, binascii.Error):
        raise CapabilityRefused("malformed capability token") from None
    if not hmac.compare_digest(given, _mac(secret, body)):
        raise CapabilityRefused("capability token signature does not match (forged or altered)")
    try:
        fields = json.loads(_unb64(body))
        capability = Capability(
            ops=frozenset(fields["ops"]),
            expires=float(fields["exp"]),
            path=fields.get("path"),
            key=fields.get("key"),
            table=fields.get("table"),
        )
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise CapabilityRefused("malformed capability token") from None
    if capability.expires <= now:
        raise CapabilityRefused(f"capability token expired {now - capability.expires:.1f} s ago")
    return capability
