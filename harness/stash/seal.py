"""Signing stash payloads, so a store the run does not trust cannot make it unpickle anything.

A payload kept outside the run's own processes (in Redis) is sealed: an HMAC-SHA256 with
the run's secret over the name of the place it is stored under and the pickle. Opening
checks the MAC (in constant time) before anything is unpickled; a payload that fails is a
:class:`~harness.stash.StashError`, never unpickled. Binding the MAC to the place stops a
signed value from being replayed under another key, path or queue.

>>> sealed = seal(b"secret", b"run:v:key", b"pickle")
>>> open_sealed(b"secret", b"run:v:key", sealed)
b'pickle'
>>> Sealer(b"secret").open(b"run:v:key", sealed)
b'pickle'
"""

from __future__ import annotations

import hmac

from .errors import StashError

__all__ = ["MAC_BYTES", "Sealer", "open_sealed", "seal"]

MAC_BYTES = 32


class Sealer:
    """Seals and opens payloads with one secret (a backend keeps one for its run).

    The HMAC is keyed once; each MAC copies that state (no rehashing of the key's pads),
    which costs about a third less than a one-shot ``hmac.digest`` per payload.
    """

    __slots__ = ("_keyed",)

    def __init__(self, secret: bytes) -> None:
        self._keyed = hmac.new(secret, digestmod="sha256")

    def _mac(self, place: bytes, payload: bytes | memoryview) -> bytes:
        mac = self._keyed.copy()
        mac.update(len(place).to_bytes(4, "big"))
        mac.update(place)
        mac.update(payload)
        return mac.digest()

    def seal(self, place: bytes, payload: bytes) -> bytes:
        """``payload`` with its MAC in front."""
        return self._mac(place, payload) + payload

    def open(self, place: bytes, sealed: bytes, what: str = "stash value") -> bytes:
        """The payload inside ``sealed``; :class:`StashError` if its MAC does not check out."""
        if len(sealed) >= MAC_BYTES:
            view = memoryview(sealed)
            if hmac.compare_digest(self._mac(place, view[MAC_BYTES:]), view[:MAC_BYTES]):
                return bytes(view[MAC_BYTES:])
        raise StashError(
            f"the {what} failed its signature check (changed in the store, or written by another run); "
            "it was not unpickled"
        )


def seal(secret: bytes, place: bytes, payload: bytes) -> bytes:
    """``payload`` with its MAC in front (one-off; :class:`Sealer` for many)."""
    return Sealer(secret).seal(place, payload)


def open_sealed(secret: bytes, place: bytes, sealed: bytes, what: str = "stash value") -> bytes:
    """The payload inside ``sealed``; :class:`StashError` if its MAC does not check out."""
    return Sealer(secret).open(place, sealed, what)
