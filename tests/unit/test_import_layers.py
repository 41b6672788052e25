"""The package's import graph: no cycles (type-only imports included), and each part of
``harness`` imports only the parts below it, so the protocol cores can be read (and reused)
without the site and process machinery above them.

The graph is read from the source (AST), so imports under ``if TYPE_CHECKING:`` and inside
functions count as much as module-level ones.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

HARNESS = Path(__file__).resolve().parents[2] / "harness"

# What each part of harness may import, besides itself. A part is a subpackage, or a
# top-level module. ``config`` is the validated configuration every part may read.
ALLOWED: dict[str, set[str]] = {
    "config": set(),
    "net": set(),
    "stash": set(),
    "http": {"config", "net", "stash"},
    "ws": {"config", "net", "http"},
    # wptserve compatibility: the wptserve (and pywebsocket3) shims, pipes, .sub., .asis.
    "wpt": {"config", "net", "stash", "http", "ws"},
    "site": {"config", "net", "stash", "http", "ws", "wpt"},
    "run": {"config", "net", "stash", "http", "ws", "wpt", "site"},
    "cli": {"config", "net", "stash", "http", "ws", "wpt", "site", "run", "__init__"},
    "__main__": {"cli"},
    "testing": {"stash"},  # helpers for tests of harness users (the stash clock)
    # The package's front door re-exports the public names.
    "__init__": {"config", "http", "site", "stash"},
}
PROTOCOL_CORES = ("stash", "http", "ws", "net")


def _module_name(path: Path) -> str:
    parts = path.relative_to(HARNESS.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(HARNESS.rglob("*.py"))}


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The harness modules ``name`` imports, wherever in the file the import is."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in modules else base)
    return {imported for imported in found if imported in modules and imported != name}


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _part(module: str) -> str:
    parts = module.split(".")
    return "__init__" if len(parts) == 1 else parts[1]


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (as a path that comes back to its start), or ``None``."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_the_graph_is_read_from_every_module() -> None:
    graph = import_graph()
    assert {"harness", "harness.http.server", "harness.stash.client", "harness.site.ws_app"} <= set(graph)
    # A relative import of a submodule, a type-only import and one inside a function all count.
    assert "harness.stash.codec" in graph["harness.stash.backend"]
    assert "harness.stash" in graph["harness.http.request"]
    assert "harness.site.ws_app" in graph["harness.run.children"]


def test_there_is_no_import_cycle() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_finds_one() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("part", sorted(ALLOWED))
def test_each_part_imports_only_the_parts_below_it(part: str) -> None:
    wrong = sorted(
        f"{module} imports {imported}"
        for module, imports in import_graph().items()
        if _part(module) == part
        for imported in imports
        if _part(imported) not in ALLOWED[part] | {part}
    )
    assert not wrong, f"{part} may import only {sorted(ALLOWED[part])}: " + "; ".join(wrong)


def test_the_protocol_cores_never_import_the_site_or_the_processes() -> None:
    for core in PROTOCOL_CORES:
        assert not ALLOWED[core] & {"site", "run", "cli"}, core
    every_part = {_part(module) for module in import_graph()}
    assert every_part <= set(ALLOWED), f"parts without a rule: {sorted(every_part - set(ALLOWED))}"
