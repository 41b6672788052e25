"""Where the stash is: the ``HARNESS_STASH_CONFIG`` environment variable.

Its value is the JSON ``[address, base64(authkey)]``, the shape wptserve uses, where the
address is a unix socket path (a string) or ``[host, port]``. Every server process, and
any other process that wants the run's stash, reads it from there.

>>> store_env_config(("127.0.0.1", 4000), b"secret")
>>> load_env_config()
(('127.0.0.1', 4000), b'secret')
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from typing import Union

from .errors import StashUnavailable

__all__ = ["ENV_VAR", "Address", "decode_env_config", "encode_env_config", "load_env_config", "store_env_config"]

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
    return decode_env_config(value)


def store_env_config(address: Address, authkey: bytes) -> None:
    """Set ``HARNESS_STASH_CONFIG`` so this process and its children find the stash."""
    os.environ[ENV_VAR] = encode_env_config(address, authkey)
