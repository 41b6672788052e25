"""Exceptions raised by the stash."""

from __future__ import annotations

__all__ = ["StashError", "StashUnavailable"]


class StashError(Exception):
    """A stash operation broke a rule: a second put of a live key, a lock misuse, ...

    Example::

        stash.put(key, "first")
        try:
            stash.put(key, "second")
        except StashError as exc:
            print(exc)  # names the key and its path
    """


class StashUnavailable(StashError):
    """The stash server cannot be reached: it is gone, or the configuration is wrong."""
