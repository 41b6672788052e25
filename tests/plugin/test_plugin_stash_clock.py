"""The plugin's stash_clock fixture and the leftover report of values that expired."""

from __future__ import annotations

import pytest

EXPIRY_TEST = """
def test_a_value_expires_when_the_clock_moves(stash, stash_clock, token):
    stash.put(token, "report", path="/reports", ttl=30)
    stash_clock.advance(29)
    assert [e.key for e in stash.entries(key=token)] == [token]
    stash_clock.advance(1)
    assert stash.take(token, path="/reports") is None

def test_a_table_key_expires(stash, stash_clock, token):
    sessions = stash.table("sessions-" + token, ttl=60)
    sessions["user"] = "alice"
    stash_clock.advance(60)
    assert "user" not in sessions

def test_the_offset_only_grows(stash_clock):
    before = stash_clock.offset
    assert stash_clock.advance(5) == before + 5
"""


def test_stash_clock_expires_ttls_and_the_report_says_so(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(EXPIRY_TEST)
    result = pytester.runpytest_subprocess("-p", "no:xdist", "--harness-strict-stash")
    result.assert_outcomes(passed=3, warnings=1)  # expired values warn, even when strict
    result.stdout.fnmatch_lines(
        ["*StashExpiredWarning: 1 stash value(s) put during this test expired before anyone took them:*"]
    )
    assert "at path '/reports'" in result.stdout.str()
    assert "TTL ran out" in result.stdout.str()


def test_stash_clock_on_a_harness_without_the_test_clock_says_how_to_turn_it_on(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import pytest
        from harness.run.launcher import HarnessProcess
        from harness.stash import StashError
        from harness.testing import StashClock
        from pytest_harness import Harness

        def test_refused():
            process = HarnessProcess()
            try:
                clock = StashClock(Harness(process.start()).stash())
                assert clock.offset == 0.0
                with pytest.raises(StashError, match="set stash.test_clock to true"):
                    clock.advance(1)
            finally:
                process.close()
        """
    )
    pytester.runpytest_subprocess("-p", "no:xdist").assert_outcomes(passed=1)
