"""Accepting connections: one thread per connection, a hard bound on how many.

The HTTP transport (:mod:`harness.http.server`, which the WS and WSS servers run on too)
accepts through an :class:`Acceptor`: it waits on the listening socket and a wake-up pipe,
starts a daemon thread per accepted connection, and turns away connections over
``max_connections`` (the transport says how) instead of queueing them without limit.
"""

from __future__ import annotations

import errno
import logging
import os
import selectors
import socket
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["Acceptor", "current_slot"]


class Acceptor:
    """Runs ``handle(sock, address)`` in a thread per connection, at most ``max_connections`` at once."""

    def __init__(
        self,
        listener: socket.socket,
        handle: Callable[[socket.socket, Any], None],
        *,
        max_connections: int,
        reject: Callable[[socket.socket], None],
        name: str,
        logger: logging.Logger,
    ) -> None:
        self.listener = listener
        self._handle = handle
        self._reject = reject
        self.max_connections = max_connections
        self.name = name
        self.logger = logger
        self._active = 0
        self._changed = threading.Condition()
        self._stopping = False
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)

    def release_slot(self) -> None:
        """Give back a connection's slot before its thread ends (a handler stuck past its timeout)."""
        with self._changed:
            self._active -= 1
            self._changed.notify_all()

    def serve_forever(self) -> None:
        """Accept until :meth:`stop` is called."""
        self.listener.setblocking(False)
        with selectors.DefaultSelector() as selector:
            selector.register(self.listener, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while not self._stopping:
                for key, _ in selector.select():
                    if key.fileobj == self._wake_r:
                        return
                    self._accept_one()

    def _accept_one(self) -> None:
        try:
            sock, address = self.listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            if not self._stopping:
                self.logger.error("%s: accept failed: %s", self.name, exc)
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    # Out of descriptors or memory: the listener stays readable, so without a
                    # pause this loop would spin; connections wait in the backlog meanwhile.
                    self._wake_wait(0.1)
            return
        sock.setblocking(True)
        with self._changed:
            full = self._active >= self.max_connections
            if not full:
                self._active += 1
        if full:
            self.logger.warning(
                "%s: %d connections already open; refusing %s", self.name, self.max_connections, address
            )
            try:
                self._reject(sock)
            finally:
                sock.close()
            return
        thread = threading.Thread(target=self._run, args=(sock, address), name=f"{self.name}-conn", daemon=True)
        try:
            thread.start()
        except RuntimeError as exc:  # "can't start new thread": out of threads or memory
            self.logger.error("%s: cannot start a thread for %s: %s", self.name, address, exc)
            sock.close()
            self.release_slot()

    def _run(self, sock: socket.socket, address: Any) -> None:
        slot = _Slot(self)
        _current_slot.slot = slot
        try:
            self._handle(sock, address)
        except Exception:
            self.logger.exception("%s: connection from %s failed", self.name, address)
        finally:
            try:
                sock.close()
            finally:
                slot.release()

    def stop(self) -> None:
        """Stop accepting (wakes :meth:`serve_forever`); open connections go on."""
        self._stopping = True
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            pass

    def _wake_wait(self, seconds: float) -> None:
        """Sleep up to ``seconds``, or until :meth:`stop` is called."""
        with self._changed:
            self._changed.wait_for(lambda: self._stopping, seconds)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no connection is being served; ``False`` if ``timeout`` ran out."""
        with self._changed:
            return self._changed.wait_for(lambda: self._active <= 0, timeout)


class _Slot:
    """One connection's claim on the acceptor, released exactly once."""

    def __init__(self, acceptor: Acceptor) -> None:
        self._acceptor = acceptor
        self._released = False
        self._lock = threading.Lock()

    def release(self) -> None:
        with self._lock:
            if self._released:
                return
            self._released = True
        self._acceptor.release_slot()


_current_slot = threading.local()


def current_slot() -> _Slot | None:
    """The slot of the connection this thread serves (None outside an acceptor thread)."""
    return getattr(_current_slot, "slot", None)
