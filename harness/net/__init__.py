"""Networking plumbing under the transports: accepting connections, socket timeouts, deadlines.

``acceptor`` (connection threads and their limit), ``sockets`` (receive timeouts, shutting a
socket), ``watchdog`` (deadlines in one thread), ``interrupts`` (raising an exception in a
handler's thread at a safe point). It imports nothing else from ``harness``.
"""
