"""``wptserve.ranges``: ``RangeParser`` for handlers that serve byte ranges themselves.

>>> [r.header_value() for r in RangeParser()(b"bytes=0-1,5-", 10)]
['bytes 0-1/10', 'bytes 5-9/10']
"""

from __future__ import annotations

from harness.http.request import HTTPException

__all__ = ["Range", "RangeParser"]


class Range:
    """``[lower, upper)`` of a file of ``file_size`` bytes; a ``ValueError`` if empty or past the end."""

    def __init__(self, lower: int | None, upper: int | None, file_size: int) -> None:
        self.file_size = file_size
        if lower is None:
            start, end = (0, file_size) if upper is None else (max(0, file_size - upper), file_size)
        else:
            start, end = (lower, file_size) if upper is None else (lower, min(file_size, upper + 1))
        if start >= end or start >= file_size:
            raise ValueError(f"empty range {lower}-{upper} of {file_size} bytes")
        self.lower, self.upper = start, end

    def __repr__(self) -> str:
        return f"<Range {self.lower}-{self.upper}>"

    def __lt__(self, other: Range) -> bool:
        return self.lower < other.lower

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Range) and (self.lower, self.upper) == (other.lower, other.upper)

    __hash__ = None  # type: ignore[assignment]

    def header_value(self) -> str:
        """The Content-Range value, e.g. ``bytes 0-9/100``."""
        return f"bytes {self.lower}-{self.upper - 1}/{self.file_size}"


class RangeParser:
    """``RangeParser()(header, file_size)``: the ranges of a ``Range`` header, merged, in order.

    A header that is not ASCII is an ``HTTPException(400)``; another unit, or a range that is
    malformed or selects nothing, an ``HTTPException(416)``.
    """

    def __call__(self, header: bytes, file_size: int) -> list[Range]:
        try:
            text = header.decode("ascii")
        except UnicodeDecodeError:
            raise HTTPException(400, "Non-ASCII range header value") from None
        if not text.startswith("bytes="):
            raise HTTPException(416, f"Unrecognised range type {text}")
        ranges = []
        for item in text[len("bytes=") :].split(","):
            bounds = item.split("-")
            try:
                if len(bounds) != 2:
                    raise ValueError(item)
                lower, upper = (int(bound) if bound else None for bound in bounds)
                ranges.append(Range(lower, upper, file_size))
            except ValueError:
                raise HTTPException(416, f"Bad range specifier {item}") from None
        merged: list[Range] = []
        for current in sorted(ranges, key=lambda r: r.lower):
            if merged and current.lower <= merged[-1].upper:
                last = merged[-1]
                merged[-1] = Range(last.lower, max(last.upper, current.upper) - 1, file_size)
            else:
                merged.append(current)
        return merged
