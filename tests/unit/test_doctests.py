"""The examples in the docstrings of harness/, the pytest plugin and tests/support.py run, and
show what they say.

Examples that need a running harness (a stash server, server processes, a browser) are
marked ``+SKIP``; every other one runs here.
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {"harness": ROOT / "harness", "pytest_harness": ROOT / "fixtures" / "pytest_harness"}


def _module_names() -> list[str]:
    names = []
    for package, directory in PACKAGES.items():
        for path in sorted(directory.rglob("*.py")):
            parts = path.relative_to(directory).with_suffix("").parts
            if parts[-1] == "__main__":
                continue  # running it is the command line
            if parts[-1] == "__init__":
                parts = parts[:-1]
            names.append(".".join((package, *parts)))
    return [*names, "tests.support"]


MODULES = _module_names()


@pytest.mark.parametrize("name", MODULES)
def test_the_docstring_examples_hold(name: str) -> None:
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    failures: list[str] = []
    for test in finder.find(module, name):
        if module.__file__ is not None and test.filename != module.__file__:
            continue  # found through an import: it is tested in its own module
        result = runner.run(test, out=failures.append, clear_globs=True)
        assert result.failed == 0, "".join(failures)


def test_the_examples_are_found() -> None:
    assert {"harness.stash", "harness.http.framing", "harness.ws", "pytest_harness.plugin"} <= set(MODULES)
    examples = 0
    for name in ("harness.http.framing", "harness.stash.api"):
        for test in doctest.DocTestFinder().find(importlib.import_module(name), name):
            examples += len(test.examples)
    assert examples >= 10
