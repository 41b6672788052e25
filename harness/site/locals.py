"""Context locals: ``request``, ``response`` and ``local_stash`` for helper modules.

Each is a :class:`LocalProxy`: a stand-in object that forwards every use to what the current
handler is handling, found through a :mod:`contextvars` variable, so a helper module that
handlers import can use them without being passed anything::

    # helpers.py, imported by several handlers
    from harness import local_stash, request, response

    def remember_beacon():
        local_stash.put(request.GET.first(b"id"), request.body)   # bound to request's path
        response.headers.set("Cache-Control", "no-store")

They are bound in the thread running an HTTP or WebSocket handler (``response`` only for
HTTP) and in threads the handler starts with :class:`HandlerThread` (or callables wrapped
by :func:`bind_context`, for executors); anywhere else using them raises
:class:`NotBound`, a :class:`RuntimeError`.
"""

from __future__ import annotations

import contextvars
import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from .context import _current_request

if TYPE_CHECKING:
    from ..http.request import Request
    from ..http.response import Response
    from ..stash import Stash

__all__ = [
    "HandlerThread",
    "LocalProxy",
    "NotBound",
    "bind_context",
    "local_stash",
    "request",
    "responding",
    "response",
]

_T = TypeVar("_T")

_current_response: contextvars.ContextVar[Response] = contextvars.ContextVar("harness_current_response")


@contextmanager
def responding(value: Response) -> Iterator[Response]:
    """Make ``value`` the :data:`response` for the block (the HTTP app wraps ``main`` in it)."""
    token = _current_response.set(value)
    try:
        yield value
    finally:
        _current_response.reset(token)


class NotBound(RuntimeError, AttributeError):
    """A context local used where nothing is bound (outside a handler).

    A :class:`RuntimeError`; also an :class:`AttributeError`, so ``hasattr()`` and tools
    that probe attributes (doctest, inspect, mock) see a missing attribute instead of failing.
    """


class LocalProxy(Generic[_T]):
    """Forwards attribute access, item access, calls and common operators to ``lookup()``.

    ``lookup`` (a :meth:`contextvars.ContextVar.get`, say) raises :class:`LookupError` when
    nothing is bound; the proxy turns that into :class:`NotBound` (a :class:`RuntimeError`)
    with the message
    ``unbound()`` gives (default: ``"<name> is not bound"``). ``name`` is used in ``repr``.

    >>> proxy = LocalProxy(lambda: [1, 2], "numbers")
    >>> len(proxy), proxy[0], 2 in proxy
    (2, 1, True)
    """

    __slots__ = ("_lookup", "_name", "_unbound")

    def __init__(self, lookup: Callable[[], _T], name: str, unbound: Callable[[], str] | None = None) -> None:
        object.__setattr__(self, "_lookup", lookup)
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_unbound", unbound)

    def _get_current_object(self) -> _T:
        """The object this proxy stands for right now; :class:`NotBound` if none."""
        try:
            return object.__getattribute__(self, "_lookup")()  # type: ignore[no-any-return]
        except LookupError:
            unbound = object.__getattribute__(self, "_unbound")
            name = object.__getattribute__(self, "_name")
            raise NotBound(unbound() if unbound is not None else f"{name} is not bound") from None

    def __getattribute__(self, name: str) -> Any:
        # Every attribute but the proxy's own goes straight to the target: no failed lookup
        # (and no AttributeError raised and caught) on the way, which keeps an access cheap.
        if name in _OWN_ATTRIBUTES:
            return object.__getattribute__(self, name)
        try:
            target = object.__getattribute__(self, "_lookup")()
        except LookupError:
            target = object.__getattribute__(self, "_get_current_object")()  # raises the RuntimeError
        return getattr(target, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._get_current_object(), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._get_current_object(), name)

    def __repr__(self) -> str:
        try:
            target = self._get_current_object()
        except RuntimeError:
            return f"<LocalProxy {object.__getattribute__(self, '_name')} (unbound)>"
        return repr(target)

    def __bool__(self) -> bool:
        try:
            return bool(self._get_current_object())
        except RuntimeError:
            return False

    def __getitem__(self, key: Any) -> Any:
        return self._get_current_object()[key]  # type: ignore[index]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._get_current_object()[key] = value  # type: ignore[index]

    def __delitem__(self, key: Any) -> None:
        del self._get_current_object()[key]  # type: ignore[attr-defined]

    def __contains__(self, item: Any) -> bool:
        return item in self._get_current_object()  # type: ignore[operator]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._get_current_object())  # type: ignore[call-overload,no-any-return]

    def __len__(self) -> int:
        return len(self._get_current_object())  # type: ignore[arg-type]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._get_current_object()(*args, **kwargs)  # type: ignore[operator]

    def __eq__(self, other: object) -> bool:
        return bool(self._get_current_object() == other)

    def __ne__(self, other: object) -> bool:
        return bool(self._get_current_object() != other)

    __hash__ = None  # type: ignore[assignment]


_OWN_ATTRIBUTES = frozenset({"_get_current_object", "_lookup", "_name", "_unbound", "__class__", "__slots__"})

_UNBOUND = "is only bound while a handler runs (in its thread, or one started with harness.HandlerThread)"


def _response_unbound() -> str:
    if _current_request.get(None) is None:
        return f"harness.response {_UNBOUND}"
    return "harness.response is only bound in HTTP handlers; a WebSocket handler answers through its ws"


def _local_stash() -> Stash:
    return _current_request.get().server.stash


# The lookups read the context variables directly (the one current_request() reads for the
# request): a proxy access costs a ContextVar.get, not a chain of Python calls.
request = cast("Request", LocalProxy(_current_request.get, "harness.request", lambda: f"harness.request {_UNBOUND}"))
"""The request the current handler is handling (HTTP, or a WebSocket's opening request)."""

response = cast("Response", LocalProxy(_current_response.get, "harness.response", _response_unbound))
"""The response the current HTTP handler fills."""

local_stash = cast("Stash", LocalProxy(_local_stash, "harness.local_stash", lambda: f"harness.local_stash {_UNBOUND}"))
"""``request.server.stash``: the run's stash with the request's path as its default path."""


class HandlerThread(threading.Thread):
    """A :class:`threading.Thread` that runs in a copy of its creator's context.

    Created in a handler, its target sees the same ``request``, ``response`` and
    ``local_stash`` (the response may already be sent by the time it runs: use it only
    while the handler waits for the thread)::

        worker = HandlerThread(target=record, args=(value,))
        worker.start()
        worker.join()
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._harness_context = contextvars.copy_context()

    def run(self) -> None:
        self._harness_context.run(super().run)


def bind_context(fn: Callable[..., _T]) -> Callable[..., _T]:
    """``fn`` wrapped to run in a copy of the current context, e.g. for an executor.

    Each call runs in its own copy, so the wrapper may be called from several threads.

    >>> pool.submit(bind_context(store_report), body)   # doctest: +SKIP
    """
    context = contextvars.copy_context()

    @functools.wraps(fn)
    def in_context(*args: Any, **kwargs: Any) -> _T:
        return context.copy().run(fn, *args, **kwargs)

    return in_context
