"""Deferred interrupts (harness.net.interrupts) and the watchdog (harness.net.watchdog)."""

from __future__ import annotations

import threading

from harness.net.interrupts import deferred, interrupt
from harness.net.watchdog import Watchdog


class Stop(BaseException):
    pass


def test_an_interrupt_waits_for_the_deferred_block() -> None:
    entered, release = threading.Event(), threading.Event()
    outcome: list[str] = []

    def worker() -> None:
        try:
            with deferred() as pending:
                entered.set()
                release.wait(10)
                outcome.append("block finished")
            outcome.append(f"pending {pending.exception.__name__ if pending.exception else None}")
        except Stop:
            outcome.append("interrupted early")

    thread = threading.Thread(target=worker)
    thread.start()
    assert entered.wait(10)
    assert thread.ident is not None
    interrupt(thread.ident, Stop)
    release.set()
    thread.join(10)
    assert outcome == ["block finished", "pending Stop"]


def test_an_interrupt_outside_a_deferred_block_is_raised_in_the_thread() -> None:
    started = threading.Event()
    outcome: list[str] = []

    def worker() -> None:
        started.set()
        try:
            while True:
                pass
        except Stop:
            outcome.append("stopped")

    thread = threading.Thread(target=worker)
    thread.start()
    assert started.wait(10)
    assert thread.ident is not None
    interrupt(thread.ident, Stop)
    thread.join(10)
    assert outcome == ["stopped"]


def test_a_failing_callback_does_not_stop_the_watchdog() -> None:
    watchdog = Watchdog()
    fired = threading.Event()

    def fail() -> None:
        raise RuntimeError("a broken deadline")

    watchdog.watch(0.01, fail)
    watchdog.watch(0.05, fired.set)
    assert fired.wait(10)


def test_a_cancelled_timer_leaves_nothing_behind() -> None:
    watchdog = Watchdog()
    timers = [watchdog.watch(60, lambda: None) for _ in range(1000)]
    for timer in timers:
        timer.cancel()
    assert not watchdog._timers
