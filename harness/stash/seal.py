"""Signing stash payloads, so a store the run does not trust cannot make it unpickle anything.

A payload kept outside the run's own processes (in Redis) is sealed: an HMAC-SHA256 with
the run's secret over the name of the place it is stored under and the pickle. Opening
checks the MAC (in constant time) before anything is unpickled; a payload that fails is a
:class:`~harness.stash.StashError`, never unpickled. Binding the MAC to the place stops a
signed value from being replayed under another key, path or queue.

>>> sealed = seal(b"secret", b"run:v:key", b"pickle")
>>> open_sealed(b"secret", b"run:v:key", sealed)
b'pickle'
"""

from __future__ import annotations

import hmac

from .errors import StashError

__all__ = ["MAC_BYTES", "open_sealed", "seal"]

MAC_BYTES = 32


def _mac(secret: bytes, place: bytes, payload: bytes | memoryview) -> bytes:
    # hmac.digest is OpenSSL's one-shot HMAC: far cheaper than an hmac.HMAC object.
    return hmac.digest(secret, b"".join((len(place).to_bytes(4, "big"), place, payload)), "sha256")


def seal(secret: bytes, place: bytes, payload: bytes) -> bytes:
    """``payload`` with its MAC in front."""
    return _mac(secret, place, payload) + payload


def open_sealed(secret: bytes, place: bytes, sealed: bytes, what: str = "stash value") -> bytes:
    """The payload inside ``sealed``; :class:`StashError` if its MAC does not check out."""
    if len(sealed) >= MAC_BYTES:
        view = memoryview(sealed)
        if hmac.compare_digest(_mac(secret, place, view[MAC_BYTES:]), view[:MAC_BYTES]):
            return bytes(view[MAC_BYTES:])
    raise StashError(
        f"the {what} failed its signature check (changed in the store, or written by another run); it was not unpickled"
    )
