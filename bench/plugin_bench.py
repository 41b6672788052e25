"""What a test run pays for the harness: the pytest plugin's costs.

- session start to first test: from launching pytest to the first test's body, for a test
  that uses ``harness`` and one that uses nothing (the difference is the harness's start);
- per-test overhead of the ``stash`` and ``harness_token`` fixtures: 200 tests using them against
  200 tests using nothing, in one session;
- wall time of the conformance suite (tests/conformance) with ``-n 1`` and ``-n 2``.

There is no peer: nothing else gives these fixtures.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .common import median
from .table import Row, Table

__all__ = ["PluginSettings", "run"]

ROOT = Path(__file__).resolve().parent.parent
TESTS = 200


@dataclass(frozen=True)
class PluginSettings:
    runs: int
    conformance: bool = True


FIRST_TEST = """
import os, time
def test_first({fixture}):
    with open(os.environ["FIRST_TEST_FILE"], "w") as out:
        out.write(repr(time.time()))
"""

MANY_TESTS = """
import pytest
@pytest.mark.parametrize("i", range({count}))
def test_many(i{fixtures}):
    {body}
"""


def _pytest(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"pytest {' '.join(args)} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return elapsed


def _first_test_seconds(directory: Path, fixture: str) -> float:
    (directory / "test_first.py").write_text(FIRST_TEST.format(fixture=fixture))
    marker = directory / "first"
    env = {**os.environ, "FIRST_TEST_FILE": str(marker)}
    started = time.time()
    _pytest(["-p", "no:xdist", "test_first.py"], directory, env)
    return float(marker.read_text()) - started


def _many_seconds(directory: Path, with_fixtures: bool) -> float:
    fixtures = ", stash, harness_token" if with_fixtures else ""
    body = (
        'stash.put(harness_token, i, path="/bench"); assert stash.take(harness_token, path="/bench") == i'
        if with_fixtures
        else "pass"
    )
    (directory / "test_many.py").write_text(MANY_TESTS.format(count=TESTS, fixtures=fixtures, body=body))
    return _pytest(["-p", "no:xdist", "test_many.py"], directory)


def run(settings: PluginSettings) -> Table:
    table = Table(f"plugin: the cost of the harness to a test run, median of {settings.runs} runs; no peer")
    with tempfile.TemporaryDirectory(prefix="harness-plugin-bench-") as tmp:
        directory = Path(tmp)
        plain = median([_first_test_seconds(directory, "") for _ in range(settings.runs)])
        with_harness = median([_first_test_seconds(directory, "harness") for _ in range(settings.runs)])
        table.add(Row("pytest start to first test body, test using nothing, s", plain, None, 3))
        table.add(Row("pytest start to first test body, test using harness, s", with_harness, None, 3))
        table.add(Row("harness start as seen by the session (difference), s", with_harness - plain, None, 3))
        bare = median([_many_seconds(directory, False) for _ in range(settings.runs)])
        used = median([_many_seconds(directory, True) for _ in range(settings.runs)])
        per_test = (used - bare - (with_harness - plain)) / TESTS * 1000
        table.add(
            Row(
                f"per-test overhead of stash + harness_token (put and take included), ms ({TESTS} tests)",
                per_test,
                None,
                2,
            )
        )
    if settings.conformance:
        suite = str(ROOT / "tests" / "conformance")
        for workers in ("1", "2"):
            seconds = median([_pytest([suite, "-n", workers], ROOT) for _ in range(settings.runs)])
            table.add(
                Row(
                    f"conformance suite (tests/conformance), -n {workers}: wall s",
                    seconds,
                    None,
                    2,
                )
            )
    table.notes.append(
        "per-test overhead = (200 tests with stash+token) - (200 bare tests) - the harness start, over 200; each "
        "test also does one put and one take through the stash server"
    )
    table.notes.append("the conformance suite includes the browser test (a headless Chromium launch per worker)")
    return table
