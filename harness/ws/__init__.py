"""WebSocket (RFC 6455) on the HTTP transport: framing, the opening handshake, the ``ws`` object.

``frames`` (sans-I/O framing: bytes in, frames out, and back), ``handshake`` (checking an
upgrade request, the ``101`` answer, subprotocol offers) and ``connection`` (the ``ws`` object
a handler gets, with websockets' sync API, reading frames in the handler's thread). Which
handler a URL reaches and the upgrade itself are the site's (:mod:`harness.site.ws_app`),
through the transport's :mod:`harness.http.upgrade` interface.

It may import ``config``, ``net`` and ``http``; never ``site`` or ``run``. Nothing is imported
here, so ``harness.ws.frames`` can be used without websockets being loaded.
"""
