"""Result tables: one row per metric, ours against a peer, with the target and whether it is met.

Tables print as Markdown so that a run's output can be pasted into BENCHMARKS.md as is.

>>> row = Row("pairs/s", 9000.0, 3000.0, target=ratio_at_least(2.0))
>>> row.met
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "Row",
    "Table",
    "Target",
    "ratio_at_least",
    "ratio_at_most",
    "render",
    "value_below",
    "within_factor",
]

Check = Callable[[float, float | None], bool]


@dataclass(frozen=True)
class Target:
    """A goal for ``ours``, possibly relative to ``peer``: its text and its test."""

    text: str
    check: Check
    needs_peer: bool = True

    def met(self, ours: float | None, peer: float | None) -> bool | None:
        """``None`` when it cannot be judged (a value is missing)."""
        if ours is None or (self.needs_peer and not peer):
            return None
        return self.check(ours, peer)


def ratio_at_least(factor: float) -> Target:
    """ours >= factor x peer (a rate: higher is better)."""
    return Target(f">= {factor:g}x peer", lambda ours, peer: peer is not None and ours >= factor * peer)


def ratio_at_most(factor: float) -> Target:
    """ours <= factor x peer (a cost: lower is better)."""
    return Target(f"<= {factor:g}x peer", lambda ours, peer: peer is not None and ours <= factor * peer)


def within_factor(factor: float) -> Target:
    """ours >= peer / factor (a rate close to a baseline's)."""
    return Target(f">= peer/{factor:g}", lambda ours, peer: peer is not None and ours * factor >= peer)


def value_below(limit: float, unit: str) -> Target:
    """ours < limit, whatever the peer does."""
    return Target(f"< {limit:g} {unit}", lambda ours, peer: ours < limit, needs_peer=False)


@dataclass(frozen=True)
class Row:
    """One metric. ``digits`` is the number of decimals its values print with."""

    metric: str
    ours: float | None
    peer: float | None
    digits: int = 0
    target: Target | None = None

    @property
    def ratio(self) -> float | None:
        if self.ours is None or not self.peer:
            return None
        return self.ours / self.peer

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.target.met(self.ours, self.peer)


@dataclass
class Table:
    """The rows of one benchmark, with a title and notes printed under it."""

    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, row: Row) -> None:
        self.rows.append(row)


def _number(value: float | None, digits: int) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def _met(value: bool | None, has_target: bool) -> str:
    if not has_target:
        return ""
    return {True: "yes", False: "**NO**", None: "n/a"}[value]


_HEADER = ("metric", "ours", "peer", "ratio", "target", "met?")
_RIGHT = (False, True, True, True, False, False)


def render(table: Table) -> str:
    """The table as Markdown: a heading, the aligned rows, then the notes as a list."""
    cells: list[Sequence[str]] = [_HEADER]
    for row in table.rows:
        ratio = row.ratio
        cells.append(
            (
                row.metric,
                _number(row.ours, row.digits),
                _number(row.peer, row.digits),
                "-" if ratio is None else f"{ratio:.2f}x",
                row.target.text if row.target else "",
                _met(row.met, row.target is not None),
            )
        )
    widths = [max(len(line[i]) for line in cells) for i in range(len(_HEADER))]

    def line(values: Sequence[str]) -> str:
        padded = (v.rjust(w) if right else v.ljust(w) for v, w, right in zip(values, widths, _RIGHT, strict=True))
        return "| " + " | ".join(padded) + " |"

    dashes = (("-" * (w + 1) + ":") if right else ("-" * (w + 2)) for w, right in zip(widths, _RIGHT, strict=True))
    rule = "|" + "|".join(dashes) + "|"
    lines = [f"### {table.title}", "", line(cells[0]), rule]
    lines += [line(values) for values in cells[1:]]
    if table.notes:
        lines.append("")
        lines += [f"- {note}" for note in table.notes]
    return "\n".join(lines)
