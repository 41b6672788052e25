"""What a URL reaches: the document root, handler files, static files, the request's context.

``docroot`` (URL path to file, confined to the root), ``loader`` (compiling handler files once
per version), ``files`` (when a cached copy of a file still holds), ``static`` (serving files,
ranges, side-file headers), ``context`` (``request.server`` and the current request). It may
import ``config``, ``stash``, ``http`` and ``net``; the protocol cores never import it.
"""
