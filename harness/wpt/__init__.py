"""wptserve compatibility: what real web-platform-tests handler trees expect of their server.

- :mod:`.pywebsocket` and :mod:`.wsh`: pywebsocket3-style ``_wsh.py`` handlers, and the
  ``pywebsocket3`` / ``mod_pywebsocket`` modules they import.
- :mod:`.hosts`: wpt's host layout (browser host, subdomains, ``alt``) on loopback.
"""
