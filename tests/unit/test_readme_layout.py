"""The README's Layout section names every module of ``harness/``, in its folder, and no other."""

from __future__ import annotations

import re

from tests.support import REPO

HARNESS = REPO / "harness"
DESCRIPTION_COLUMN = 20  # a line indented this far continues the description above it


def layout_files() -> set[str]:
    """The files the Layout block lists under ``harness/``, as paths relative to the repo."""
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Layout", 1)[1]
    block = re.search(r"```\n(.*?)```", section, re.S)
    assert block is not None, "the Layout section has no code block"
    folders: list[str] = []
    listed: set[str] = set()
    for line in block.group(1).splitlines():
        indent = len(line) - len(line.lstrip())
        if not line.strip() or indent >= DESCRIPTION_COLUMN:
            continue
        names = re.split(r"\s{2,}", line.strip())[0]
        depth = indent // 2
        del folders[depth:]
        if names.endswith("/"):
            folders.append(names)
            continue
        if folders[:1] == ["harness/"]:
            listed.update("".join(folders) + name for name in names.split(", "))
    return listed


def test_the_layout_lists_each_module_of_harness_in_its_folder() -> None:
    actual = {str(path.relative_to(REPO)) for path in HARNESS.rglob("*.py") if path.name != "__init__.py"}
    actual |= {str(path.relative_to(REPO)) for path in HARNESS.rglob("*.js")}
    listed = layout_files()
    assert sorted(actual - listed) == [], "modules the README's Layout does not name"
    assert sorted(listed - actual) == [], "names in the README's Layout that are not modules"
