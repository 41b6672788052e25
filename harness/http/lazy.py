"""``lazy_property``: computed on first access, then a plain instance attribute.

:func:`functools.cached_property` takes one lock shared by every instance on Python 3.11
and earlier, which serialises all request threads of a server; this one takes none. Two
threads racing on a fresh instance may both compute the value, which is harmless for the
pure, idempotent properties it is used for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

__all__ = ["lazy_property"]

T = TypeVar("T")


class lazy_property(Generic[T]):  # noqa: N801 - reads like the decorator it replaces
    """A non-data descriptor: after the first access the instance's ``__dict__`` answers."""

    def __init__(self, compute: Callable[[Any], T]) -> None:
        self._compute = compute
        self._name = compute.__name__
        self.__doc__ = compute.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> lazy_property[T]: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> T: ...

    def __get__(self, instance: object | None, owner: type | None = None) -> T | lazy_property[T]:
        if instance is None:
            return self
        value = self._compute(instance)
        instance.__dict__[self._name] = value
        return value
