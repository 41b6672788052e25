"""Interrupting a handler's thread, but never in the middle of a stash operation.

The HTTP server stops a handler that ran past its timeout by raising an exception in its
thread. If that landed while the thread waited for the stash's reply, the reply (a taken
value, a granted lock) would be lost. So the stash client marks its network exchanges with
:func:`deferred`, and :func:`interrupt` holds the exception back until the exchange is over;
the client then undoes what the reply gave (puts the value back, releases the lock) and lets
the exception go.

>>> import threading
>>> with deferred() as pending:                                # a stash exchange...
...     interrupt(threading.get_ident(), KeyboardInterrupt)    # ...a deadline fires meanwhile
...     reply = "the value taken"
>>> pending.exception   # held back until the block ended: undo(reply), then raise it
<class 'KeyboardInterrupt'>
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from .watchdog import raise_in_thread

__all__ = ["Pending", "deferred", "interrupt"]

_lock = threading.Lock()
_depth: dict[int, int] = {}
_held: dict[int, type[BaseException]] = {}


@dataclass
class Pending:
    """Filled in when :func:`deferred` ends: the interrupt that arrived meanwhile, if any."""

    exception: type[BaseException] | None = None


@contextmanager
def deferred() -> Iterator[Pending]:
    """Hold back :func:`interrupt` on this thread for the duration of the block."""
    ident = threading.get_ident()
    with _lock:
        _depth[ident] = _depth.get(ident, 0) + 1
    pending = Pending()
    try:
        yield pending
    finally:
        with _lock:
            depth = _depth[ident] - 1
            if depth:
                _depth[ident] = depth
            else:
                del _depth[ident]
                pending.exception = _held.pop(ident, None)


def interrupt(thread_ident: int, exception: type[BaseException]) -> None:
    """Raise ``exception`` in that thread now, or as soon as its deferred block ends."""
    with _lock:
        if thread_ident in _depth:
            _held[thread_ident] = exception
            return
    raise_in_thread(thread_ident, exception)
