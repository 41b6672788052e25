"""What a URL reaches: the document root, handler files, static files, the request's context.

``docroot`` (URL path to file, confined to the root), ``loader`` (compiling handler files once
per version), ``files`` (when a cached copy of a file still holds), ``static`` (serving files,
ranges, side-file headers), ``context`` (``request.server``, the current request), and the two
applications the transport serves: ``http_app`` (a request to a handler, a file or a
directory) and ``ws_app`` (the WebSocket upgrade, to a ``NAME_wsh.py`` handler); ``locals``
(``request``, ``response``, ``local_stash`` for handler helpers) and the stash for pages:
``stash_endpoint`` (``/harness/stash`` and ``stash.js``) with ``stash_json``. It may import
``config``, ``net``, ``stash``, ``http`` and ``ws``; the protocol cores never import it.
"""
