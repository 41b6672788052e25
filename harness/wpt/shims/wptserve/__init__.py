"""``wptserve`` as handler files see it inside stash-harness: our shims, not the real package.

Submodules: ``utils``, ``handlers``, ``stash``, ``pipes``, ``request``, ``response`` (imported
here, so ``import wptserve`` then ``wptserve.utils.isomorphic_decode`` works as with wptserve).
"""

from . import handlers, pipes, request, response, stash, utils
from .request import Request
from .response import Response

__all__ = ["Request", "Response", "handlers", "pipes", "request", "response", "stash", "utils"]
