"""The soak of the reliability suite, for about a minute: put/take pairs across all four
protocols and the test process, every value taken exactly once, RSS before and after.

The same engine runs for a few seconds in CI (tests/reliability/test_load.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.run.launcher import HarnessProcess
from pytest_harness import Harness

from .soak import run_soak
from .table import Row, Table, value_below

__all__ = ["SoakSettings", "run"]

RSS_BOUND_MIB = 64


@dataclass(frozen=True)
class SoakSettings:
    seconds: float
    clients_per_protocol: int = 2


def run(settings: SoakSettings) -> Table:
    process = HarnessProcess()
    try:
        harness = Harness(process.start())
        result = run_soak(harness, settings.seconds, settings.clients_per_protocol)
    finally:
        process.close()
    table = Table(
        f"soak: {settings.seconds:g} s, {settings.clients_per_protocol} clients per protocol (http, https, ws, wss, "
        "the test process), each putting a value one protocol takes over another; no peer"
    )
    table.add(Row("put/take pairs completed", result.pairs, None, 0))
    table.add(Row("pairs per second", result.pairs / settings.seconds, None, 0))
    problems = len(result.errors) + len(result.wrong_values) + len(result.double_takes) + result.left_over
    table.add(Row("values lost, taken twice, wrong, or errors", problems, None, 0, value_below(1, "")))
    table.add(Row("RSS of all harness processes before, MiB", result.rss_before / 2**20, None, 1))
    table.add(Row("RSS of all harness processes after, MiB", result.rss_after / 2**20, None, 1))
    table.add(Row("RSS growth, MiB", result.rss_growth / 2**20, None, 1, value_below(RSS_BOUND_MIB, "MiB")))
    table.add(Row("threads of all harness processes, before", result.threads_before, None, 0))
    table.add(Row("threads of all harness processes, after", result.threads_after, None, 0))
    for line in (result.errors + result.wrong_values + result.double_takes)[:5]:
        table.notes.append(f"problem: {line}")
    table.notes.append(
        "RSS before is sampled once every client is connected and warmed up; after, once all have stopped"
    )
    return table
