"""Deadlines for handlers and handshakes: one thread per process calls back when one passes.

Timers live in a set: starting and cancelling one is a set insert and removal, so a server
setting a deadline on every request keeps no trace of the requests that finished in time.

The watchdog collects the timers that are due under its lock and calls them outside it, so a
callback can run a moment after its deadline, when the work it guards may have finished. A
caller that must know uses :meth:`Timer.cancel`'s answer: ``False`` means the callback has run
or is running. A callback guarding one of several successive jobs (requests on a keep-alive
connection) must also check, under the caller's lock, that its job is still the current one.

>>> watchdog = Watchdog()
>>> timer = watchdog.watch(5.0, lambda: print("too slow"))
>>> timer.cancel()
True
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

    __slots__ = ("_watchdog", "callback", "deadline", "fired")

    def __init__(self, watchdog: Watchdog, deadline: float, callback: Callable[[], None]) -> None:
        self._watchdog = watchdog
        self.deadline = deadline
        self.callback = callback
        self.fired = False  # set (under the watchdog's lock) once the callback is due to run

    def cancel(self) -> bool:
        """Forget the deadline; whether the callback will never run.

        ``False`` means the callback has already run, or is running or about to run in the
        watchdog thread: the caller must then treat the deadline as passed. Safe to call more
        than once.
        """
        return self._watchdog._cancel(self)


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

    def _cancel(self, timer: Timer) -> bool:
        with self._changed:
            self._timers.discard(timer)
            return not timer.fired

    def _run(self) -> None:
        while True:
            with self._changed:
                now = time.monotonic()
                due = [timer for timer in self._timers if timer.deadline <= now]
                for timer in due:
                    self._timers.discard(timer)
                    timer.fired = True
                if not due:
                    self._next_wake = min((timer.deadline for timer in self._timers), default=float("inf"))
                    self._changed.wait(None if self._next_wake == float("inf") else self._next_wake - now)
                    self._next_wake = float("inf")
                    continue
            for timer in due:
                try:
                    timer.callback()
                except Exception:  # one failing deadline must not stop all the others
                    logging.getLogger("harness.net.watchdog").exception("a deadline callback failed")


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
