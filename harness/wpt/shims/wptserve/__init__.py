"""``wptserve`` as handler files see it inside stash-harness: our shims, not the real package.

Submodules: ``utils``, ``handlers``, ``stash``, ``pipes``, ``request``, ``response``.
"""
