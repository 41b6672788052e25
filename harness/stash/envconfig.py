"""Where the stash is: the ``HARNESS_STASH_CONFIG`` environment variable.

For the manager backend its value is the JSON ``[address, base64(authkey)]``, the shape
wptserve uses, where the address is a unix socket path (a string) or ``[host, port]``. Any
other backend is the JSON object ``{"backend": URL, "run": RUN_ID, "secret": base64,
"key_ttl": SECONDS}`` (see :class:`StashConfig`); both shapes are read. Every server
process, and any other process that wants the run's stash, reads it from there.

>>> store_env_config(("127.0.0.1", 4000), b"secret")
>>> load_env_config()
(('127.0.0.1', 4000), b'secret')
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import dataclass, field
from typing import Any, Union

from .errors import StashUnavailable
from .url import MANAGER, parse_backend_url, redact_url

__all__ = [
    "ENV_VAR",
    "Address",
    "StashConfig",
    "decode_env_config",
    "decode_stash_config",
    "encode_env_config",
    "encode_stash_config",
    "load_env_config",
    "load_stash_config",
    "store_env_config",
]

ENV_VAR = "HARNESS_STASH_CONFIG"

Address = Union[str, tuple[str, int]]


def encode_env_config(address: Address, authkey: bytes) -> str:
    """The string :func:`store_env_config` puts in the environment."""
    check_address(address)
    if not isinstance(authkey, bytes) or not authkey:
        raise TypeError("the stash authkey must be non-empty bytes")
    wire_address: object = list(address) if isinstance(address, tuple) else address
    return json.dumps([wire_address, base64.b64encode(authkey).decode("ascii")])


def check_address(address: object) -> Address:
    """Validate a stash address: a unix socket path, or ``(host, port)``."""
    if isinstance(address, str) and address:
        return address
    if isinstance(address, (tuple, list)) and len(address) == 2:
        host, port = address
        if isinstance(host, str) and isinstance(port, int) and not isinstance(port, bool) and 0 < port < 65536:
            return (host, port)
    raise ValueError(f"a stash address is a unix socket path or [host, port], not {address!r}")


def decode_env_config(value: str, source: str = ENV_VAR) -> tuple[Address, bytes]:
    """Parse a stash configuration string; errors name ``source`` and what is wrong."""
    try:
        parsed = json.loads(value)
    except ValueError:
        raise StashUnavailable(f"{source} is not JSON; expected [address, base64(authkey)]") from None
    if not (isinstance(parsed, list) and len(parsed) == 2 and isinstance(parsed[1], str)):
        raise StashUnavailable(f"{source} must be the JSON [address, base64(authkey)]")
    try:
        address = check_address(parsed[0])
    except ValueError as exc:
        raise StashUnavailable(f"{source}: {exc}") from None
    try:
        authkey = base64.b64decode(parsed[1], validate=True)
    except (binascii.Error, ValueError):
        raise StashUnavailable(f"{source}: the authkey is not valid base64") from None
    if not authkey:
        raise StashUnavailable(f"{source}: the authkey is empty")
    return address, authkey


@dataclass(frozen=True)
class StashConfig:
    """Everything a process needs to reach the run's stash, whatever its backend.

    ``backend`` is a URL (:mod:`harness.stash.url`). The manager needs ``address`` and
    ``authkey``; other backends share one store among runs, so they carry the run's id
    (its key prefix), its ``secret`` (which signs every value) and ``key_ttl``, the
    seconds after which the run's keys expire.
    """

    backend: str = MANAGER
    address: Address | None = None
    authkey: bytes | None = field(default=None, repr=False)
    run_id: str = ""
    secret: bytes = field(default=b"", repr=False)
    key_ttl: float = 86400.0
    max_value_bytes: int | None = None
    default_ttl: float | None = None
    test_clock: bool = False

    def __repr__(self) -> str:
        return f"StashConfig(backend={redact_url(self.backend)!r}, address={self.address!r}, run_id={self.run_id!r})"


def encode_stash_config(config: StashConfig) -> str:
    """The ``HARNESS_STASH_CONFIG`` string for ``config`` (the old list shape for the manager)."""
    if config.backend == MANAGER:
        if config.address is None or config.authkey is None:
            raise ValueError("a manager stash config needs its address and authkey")
        return encode_env_config(config.address, config.authkey)
    parse_backend_url(config.backend)
    if not config.run_id or not config.secret:
        raise ValueError(f"a {config.backend.partition(':')[0]} stash config needs a run id and a secret")
    return json.dumps(
        {
            "backend": config.backend,
            "run": config.run_id,
            "secret": base64.b64encode(config.secret).decode("ascii"),
            "key_ttl": config.key_ttl,
            "max_value_bytes": config.max_value_bytes,
            "default_ttl": config.default_ttl,
            "test_clock": config.test_clock,
        }
    )


def decode_stash_config(value: str, source: str = ENV_VAR) -> StashConfig:
    """Parse either shape of a stash configuration; errors name ``source`` (never a secret)."""
    try:
        parsed: Any = json.loads(value)
    except ValueError:
        raise StashUnavailable(f"{source} is not JSON; expected [address, base64(authkey)] or an object") from None
    if isinstance(parsed, dict) and "backend" not in parsed:
        raise StashUnavailable(f"{source} must be the JSON [address, base64(authkey)] or an object with a 'backend'")
    if not isinstance(parsed, dict):
        address, authkey = decode_env_config(value, source)
        return StashConfig(address=address, authkey=authkey)
    backend, run_id, secret, key_ttl, limit = (
        parsed.get(name) for name in ("backend", "run", "secret", "key_ttl", "max_value_bytes")
    )
    try:
        parse_backend_url(backend)
    except ValueError as exc:
        raise StashUnavailable(f"{source}: {exc}") from None
    if not (isinstance(run_id, str) and run_id and isinstance(secret, str)):
        raise StashUnavailable(f"{source} must have a run id ('run') and a base64 'secret'")
    try:
        raw_secret = base64.b64decode(secret, validate=True)
    except (binascii.Error, ValueError):
        raise StashUnavailable(f"{source}: the secret is not valid base64") from None
    if not raw_secret:
        raise StashUnavailable(f"{source}: the secret is empty")
    if isinstance(key_ttl, bool) or not isinstance(key_ttl, (int, float)) or not key_ttl > 0:
        raise StashUnavailable(f"{source}: key_ttl must be a positive number of seconds")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise StashUnavailable(f"{source}: max_value_bytes must be a positive integer or null")
    default_ttl, test_clock = parsed.get("default_ttl"), parsed.get("test_clock", False)
    if default_ttl is not None and (isinstance(default_ttl, bool) or not isinstance(default_ttl, (int, float))):
        raise StashUnavailable(f"{source}: default_ttl must be a number of seconds or null")
    if not isinstance(test_clock, bool):
        raise StashUnavailable(f"{source}: test_clock must be true or false")
    return StashConfig(
        backend=str(backend),
        run_id=run_id,
        secret=raw_secret,
        key_ttl=float(key_ttl),
        max_value_bytes=limit,
        default_ttl=None if default_ttl is None else float(default_ttl),
        test_clock=test_clock,
    )


def load_stash_config() -> StashConfig:
    """The run's :class:`StashConfig` from ``HARNESS_STASH_CONFIG`` (any backend)."""
    value = os.environ.get(ENV_VAR)
    if not value:
        raise StashUnavailable(
            f"no stash is configured: the environment variable {ENV_VAR} is not set "
            "(run inside `harness serve`, or load the run's state file)"
        )
    return decode_stash_config(value)


def load_env_config() -> tuple[Address, bytes]:
    """Return ``(address, authkey)`` of the run's stash from ``HARNESS_STASH_CONFIG``.

    Raises :class:`~harness.stash.StashUnavailable` naming the variable when it is unset or
    malformed: a process with no configuration never gets a private stash by accident.
    """
    value = os.environ.get(ENV_VAR)
    if not value:
        raise StashUnavailable(
            f"no stash is configured: the environment variable {ENV_VAR} is not set "
            "(run inside `harness serve`, or load the run's state file)"
        )
    config = decode_stash_config(value)
    if config.address is None or config.authkey is None:
        raise StashUnavailable(
            f"{ENV_VAR} names a {config.backend.partition(':')[0]} stash, which has no manager address: "
            "use harness.stash.load_stash_config()"
        )
    return config.address, config.authkey


def store_env_config(address: Address, authkey: bytes) -> None:
    """Set ``HARNESS_STASH_CONFIG`` so this process and its children find the stash."""
    os.environ[ENV_VAR] = encode_env_config(address, authkey)
