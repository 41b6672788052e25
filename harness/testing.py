"""Helpers for tests that use the harness (the pytest plugin's fixtures build on them).

:class:`StashClock` moves the run's stash clock, so a test checks TTLs without sleeping::

    def test_reports_expire(stash, stash_clock, token):
        stash.put(token, "report", path="/reports", ttl=30)
        stash_clock.advance(30)
        assert stash.take(token, path="/reports") is None

The clock belongs to the whole run (every process, every xdist worker): advancing it
expires other tests' values too, so give TTLs only to values a test owns.
"""

from __future__ import annotations

from .stash import Stash
from .stash.backend import StashBackend

__all__ = ["StashClock"]


class StashClock:
    """The run's stash clock; it only moves forward, and only with ``stash.test_clock``.

    The plugin's harness runs with it on (``harness serve --test-clock``); elsewhere
    :meth:`advance` raises :class:`~harness.stash.StashError` saying how to turn it on.
    """

    def __init__(self, stash: Stash | StashBackend) -> None:
        self._backend = stash.backend if isinstance(stash, Stash) else stash

    @property
    def offset(self) -> float:
        """How far (seconds) tests have moved the clock ahead of real time in this run."""
        return self._backend.advance_clock(0.0)

    def advance(self, seconds: float) -> float:
        """Move the clock ``seconds`` forward: values whose TTL that covers expire at once.

        Returns the new total offset.
        """
        return self._backend.advance_clock(seconds)
