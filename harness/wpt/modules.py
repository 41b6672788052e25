"""The modules wpt handlers import, resolved to our own implementations in server processes.

wpt handler files say ``from wptserve.utils import isomorphic_decode`` or ``from
wptserve.stash import Stash``. Inside the harness's server processes those names must reach
*our* code (a real wptserve would talk to a different stash), whether or not the real
package is installed; outside them we install nothing. :func:`install` puts a finder first
on :data:`sys.meta_path` that serves each registered top-level name from a directory of
shims (``harness/wpt/shims/wptserve/...``), as ordinary modules named ``wptserve``,
``wptserve.utils`` and so on.

Other shims register the same way (for example pywebsocket3's names)::

    register_shim("pywebsocket3", "/path/to/shims")   # a package directory named pywebsocket3
    install()
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
import threading
from collections.abc import Sequence
from types import ModuleType

__all__ = ["SHIMS_DIR", "ShimFinder", "install", "installed", "register_shim", "registered_shims"]

SHIMS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "shims")

# Top-level module name -> the directory holding a package (or module) of that name.
_registry: dict[str, str] = {"wptserve": SHIMS_DIR}
_lock = threading.Lock()


def register_shim(name: str, directory: str = SHIMS_DIR) -> None:
    """Serve the top-level module ``name`` (and its submodules) from ``directory``.

    Call it before :func:`install` (or again after: the finder reads the registry on
    every lookup). ``name`` must not contain dots: submodules come from the package itself.
    """
    if not name or "." in name:
        raise ValueError(f"a shim is registered by its top-level module name, not {name!r}")
    with _lock:
        _registry[name] = directory


def registered_shims() -> dict[str, str]:
    """A copy of the registry: top-level name -> directory."""
    with _lock:
        return dict(_registry)


class ShimFinder(importlib.abc.MetaPathFinder):
    """Finds registered top-level names in their shim directory, ahead of site-packages."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if "." in fullname:
            return None  # submodules are found through the shim package's own __path__
        with _lock:
            directory = _registry.get(fullname)
        if directory is None:
            return None
        return importlib.machinery.PathFinder.find_spec(fullname, [directory])


_finder = ShimFinder()


def installed() -> bool:
    """Whether this process resolves the registered names to the shims."""
    return _finder in sys.meta_path


def install() -> None:
    """Resolve the registered names to the shims in this process (a server process).

    Modules of those names imported earlier (a real wptserve that a parent process loaded
    before forking, say) are dropped from :data:`sys.modules` so handlers get the shims.
    """
    with _lock:
        names = tuple(_registry)
    for loaded in list(sys.modules):
        if loaded.split(".", 1)[0] in names and not _is_shim(sys.modules[loaded]):
            del sys.modules[loaded]
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)
    importlib.invalidate_caches()


def _is_shim(module: ModuleType | None) -> bool:
    filename = getattr(module, "__file__", None) or ""
    with _lock:
        directories = set(_registry.values())
    return any(os.path.abspath(filename).startswith(os.path.abspath(d) + os.sep) for d in directories)
