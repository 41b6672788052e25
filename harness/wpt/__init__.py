"""wptserve compatibility: what real web-platform-tests handler trees expect of their server.

- :mod:`.modules`: inside server processes, ``import wptserve...`` resolves to our shims.
- :mod:`.pipes` and :mod:`.sub`: ``?pipe=`` and ``.sub.`` substitution.
- :mod:`.asis`: ``.asis`` files, sent as the whole raw response.
- :mod:`.serverconfig`: ``request.server.config`` in wptserve's shape.
- :mod:`.pywebsocket` and :mod:`.wsh`: pywebsocket3-style ``_wsh.py`` handlers, and the
  ``pywebsocket3`` / ``mod_pywebsocket`` modules they import.
- :mod:`.hosts`: wpt's host layout (browser host, subdomains, ``alt``) on loopback.
"""
