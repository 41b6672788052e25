"""Deadlines for handlers and handshakes: one thread per process calls back when one passes.

Timers live in a set: starting and cancelling one is a set insert and removal, so a server
setting a deadline on every request keeps no trace of the requests that finished in time.

>>> watchdog = Watchdog()
>>> timer = watchdog.watch(5.0, lambda: print("too slow"))
>>> timer.cancel()
"""

from __future__ import annotations

import ctypes
import logging
import threading
import time
from collections.abc import Callable

__all__ = ["Timer", "Watchdog", "raise_in_thread"]


class Timer:
    """A pending deadline; :meth:`cancel` it when the work finished in time."""

    __slots__ = ("_watchdog", "callback", "deadline")

    def __init__(self, watchdog: Watchdog, deadline: float, callback: Callable[[], None]) -> None:
        self._watchdog = watchdog
        self.deadline = deadline
        self.callback = callback

    def cancel(self) -> None:
        """Forget the deadline (safe to call more than once, and after it fired)."""
        self._watchdog._discard(self)


class Watchdog:
    """Calls each timer's callback (in the watchdog thread) once its deadline passes."""

    def __init__(self) -> None:
        self._timers: set[Timer] = set()
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._next_wake = float("inf")

    def watch(self, seconds: float, callback: Callable[[], None]) -> Timer:
        """Call ``callback`` in ``seconds`` unless the returned timer is cancelled first."""
        timer = Timer(self, time.monotonic() + seconds, callback)
        with self._changed:
            self._timers.add(timer)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="harness-watchdog", daemon=True)
                self._thread.start()
            elif timer.deadline < self._next_wake:
                self._changed.notify()
        return timer

    def _discard(self, timer: Timer) -> None:
        with self._changed:
            self._timers.discard(timer)

    def _run(self) -> None:
        while True:
            with self._changed:
                now = time.monotonic()
                due = [timer for timer in self._timers if timer.deadline <= now]
                for timer in due:
                    self._timers.discard(timer)
                if not due:
                    self._next_wake = min((timer.deadline for timer in self._timers), default=float("inf"))
                    self._changed.wait(None if self._next_wake == float("inf") else self._next_wake - now)
                    self._next_wake = float("inf")
                    continue
            for timer in due:
                try:
                    timer.callback()
                except Exception:  # one failing deadline must not stop all the others
                    logging.getLogger("harness.watchdog").exception("a deadline callback failed")


def raise_in_thread(thread_ident: int, exception: type[BaseException]) -> bool:
    """Ask CPython to raise ``exception`` in another thread at its next bytecode.

    Best effort: a thread blocked inside C code (a lock with no timeout, a long sleep) sees
    it only once it returns to Python.
    """
    set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
    changed = set_async_exc(ctypes.c_ulong(thread_ident), ctypes.py_object(exception))
    if changed > 1:  # pragma: no cover - would mean a corrupted thread state
        set_async_exc(ctypes.c_ulong(thread_ident), None)
        return False
    return bool(changed == 1)
