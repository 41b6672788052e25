"""Who is calling the stash: this process's identity and each thread's, as lock holder or waiter.

Every transport names the caller the same way, so a lock taken through one backend is held
by the same owner in another: ``<pid>-<nonce>/<thread>.<serial>``. A forked child gets a
new process identity (pids are reused, nonces are not).

>>> owner = current_owner()
>>> owner.startswith(process_identity() + "/") and owner == current_owner()
True
"""

from __future__ import annotations

import itertools
import os
import secrets
import threading

from .store import owner_id

__all__ = ["current_owner", "process_identity"]

_identity = f"{os.getpid()}-{secrets.token_hex(4)}"
_thread_owner = threading.local()  # this thread's owner id, built once
_thread_serial = itertools.count()  # makes owner ids unique though the OS reuses thread ids


def current_owner() -> str:
    """This thread's identity as a stash lock holder or waiter."""
    owner: str | None = getattr(_thread_owner, "id", None)
    if owner is None or not owner.startswith(_identity + "/"):
        owner = _thread_owner.id = owner_id(_identity, f"{threading.get_ident()}.{next(_thread_serial)}")
    return owner


def process_identity() -> str:
    """This process's identity in the stash (its pid and a nonce, so reuse of pids is harmless)."""
    return _identity


def _new_identity_in_child() -> None:
    global _identity
    _identity = f"{os.getpid()}-{secrets.token_hex(4)}"


os.register_at_fork(after_in_child=_new_identity_in_child)
