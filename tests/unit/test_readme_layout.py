"""The README's Layout section names every module of ``harness/``, in its folder, and no other.

A folder line with nothing listed under it (``shims/wptserve/  ...``) stands for all its files.
"""

from __future__ import annotations

import re

from tests.support import REPO

HARNESS = REPO / "harness"
DESCRIPTION_COLUMN = 20  # a line indented this far continues the description above it


def layout_entries() -> list[tuple[int, str]]:
    """``(depth, path)`` of each file or folder line of the Layout block, in order."""
    readme = (REPO / "README.md").read_text()
    block = re.search(r"```\n(.*?)```", readme.split("## Layout", 1)[1], re.S)
    assert block is not None, "the Layout section has no code block"
    folders: list[str] = []
    entries: list[tuple[int, str]] = []
    for line in block.group(1).splitlines():
        indent = len(line) - len(line.lstrip())
        if not line.strip() or indent >= DESCRIPTION_COLUMN:
            continue
        names, depth = re.split(r"\s{2,}", line.strip())[0], indent // 2
        del folders[depth:]
        if names.endswith("/"):
            folders.append(names)
            entries.append((depth, "".join(folders)))
        else:
            entries.extend((depth, "".join(folders) + name) for name in names.split(", "))
    return entries


def test_the_layout_lists_each_module_of_harness_in_its_folder() -> None:
    entries = [(depth, path) for depth, path in layout_entries() if path.startswith("harness/")]
    files = {path for _depth, path in entries if not path.endswith("/")}
    summarized = [
        path
        for index, (depth, path) in enumerate(entries)
        if path.endswith("/") and (index + 1 == len(entries) or entries[index + 1][0] <= depth)
    ]
    actual = {
        str(path.relative_to(REPO))
        for pattern in ("*.py", "*.js")
        for path in HARNESS.rglob(pattern)
        if path.name != "__init__.py"
    }
    unnamed = [path for path in actual - files if not path.startswith(tuple(summarized))]
    assert sorted(unnamed) == [], "modules the README's Layout does not name"
    assert sorted(files - actual) == [], "names in the README's Layout that are not modules"
