"""Deadlines for handlers: one thread per process calls back when a deadline passes.

>>> watchdog = Watchdog()
>>> timer = watchdog.watch(5.0, lambda: print("too slow"))
>>> timer.cancel()
"""

from __future__ import annotations

import ctypes
import heapq
import itertools
import threading
import time
from collections.abc import Callable

__all__ = ["Timer", "Watchdog", "raise_in_thread"]


class Timer:
    """A pending deadline; :meth:`cancel` it when the work finished in time."""

    __slots__ = ("callback", "cancelled", "deadline")

    def __init__(self, deadline: float, callback: Callable[[], None]) -> None:
        self.deadline = deadline
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class Watchdog:
    """Calls each timer's callback (in the watchdog thread) once its deadline passes."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Timer]] = []
        self._counter = itertools.count()
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def watch(self, seconds: float, callback: Callable[[], None]) -> Timer:
        """Call ``callback`` in ``seconds`` unless the returned timer is cancelled first."""
        timer = Timer(time.monotonic() + seconds, callback)
        with self._changed:
            heapq.heappush(self._heap, (timer.deadline, next(self._counter), timer))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="harness-watchdog", daemon=True)
                self._thread.start()
            elif self._heap[0][2] is timer:
                self._changed.notify()
        return timer

    def _run(self) -> None:
        while True:
            with self._changed:
                while self._heap and self._heap[0][2].cancelled:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._changed.wait()
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    self._changed.wait(wait)
                    continue
                _, _, timer = heapq.heappop(self._heap)
            if not timer.cancelled:
                timer.callback()


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
