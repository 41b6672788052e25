"""Handlers that block, and stash misuse inside handlers."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from pytest_harness import Harness

pytestmark = pytest.mark.usefixtures("stash_sentinel")


def test_a_handler_that_blocks_gets_504_at_the_handler_timeout(strict_harness: Harness) -> None:
    with strict_harness.http_session() as session:
        started = time.monotonic()
        response = session.get("/api/sleep.py?seconds=30", timeout=20)
        elapsed = time.monotonic() - started
    assert response.status_code == 504
    assert "did not finish within 1.5 s (http.handler_timeout)" in response.text
    assert elapsed < 10


def test_timed_out_handlers_do_not_use_up_the_workers(strict_harness: Harness) -> None:
    """max_connections is 8: twice that many stuck handlers, then the server still answers."""

    def stuck() -> int:
        with strict_harness.http_session() as session:
            return int(session.get("/api/sleep.py?seconds=30", timeout=30).status_code)

    for _round in range(2):
        with ThreadPoolExecutor(8) as pool:
            assert list(pool.map(lambda _: stuck(), range(8))) == [504] * 8
    with strict_harness.http_session() as session:
        assert session.get("/static/hello.txt", timeout=10).status_code == 200


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("bad_key", "stash key 'not-a-uuid' is not a UUID"),
        ("none", "cannot stash None"),
        ("unpicklable", "stash value of type function cannot be pickled"),
        ("huge", "over the limit of 65536 bytes (stash.max_value_bytes)"),
        ("bad_path", "stash path must be str or bytes, not int"),
        ("bad_timeout", "timeout must be a non-negative number of seconds"),
    ],
)
def test_stash_misuse_in_a_handler_is_a_clear_500(
    strict_harness: Harness, harness_token: str, case: str, expected: str
) -> None:
    with strict_harness.http_session() as session:
        response = session.get(f"/api/stash_misuse.py?case={case}&id={harness_token}")
    assert response.status_code == 500
    assert expected in response.json()["error"]["message"]
    assert strict_harness.stash().take(harness_token, path="/api/stash_misuse.py") is None
