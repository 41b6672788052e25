"""The README's sections on TTLs, tables and the wpt migration work as written."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from pytest_harness import Harness
from tests.support import REPO, readme_block


def readme_function(first_line: str) -> Any:
    namespace: dict[str, Any] = {}
    exec(compile(readme_block(first_line), "README.md", "exec"), namespace)
    return namespace[first_line.split()[1].split("(")[0]]


@pytest.mark.parametrize("name", ["tally.py", "tally_wsh.py"])
def test_the_shipped_examples_are_the_readme_examples(name: str) -> None:
    assert readme_block(f"# examples/{name}") == (REPO / "handlers" / "examples" / name).read_text()


@pytest.mark.filterwarnings("ignore::pytest_harness.StashExpiredWarning")  # it expires on purpose
def test_the_ttl_example_runs(stash, stash_clock, token) -> None:
    readme_function("def test_reports_expire(stash, stash_clock, token):")(stash, stash_clock, token)


def test_the_tally_counts_across_all_four_protocols(harness: Harness, http_client, ws_connect, token) -> None:
    counts = [int(http_client.get(f"/examples/tally.py?name={token}", scheme=s).text) for s in ("http", "https")]
    for scheme in ("ws", "wss"):
        ws = ws_connect(f"/examples/tally?name={token}", scheme)
        ws.send("visit")
        counts.append(int(ws.recv(timeout=20)))
    assert counts == [1, 2, 3, 4]
    assert harness.stash().table("tallies").pop(token) == 4


def test_take_oldest_hands_each_message_to_exactly_one_reader(stash, token) -> None:
    take_oldest = readme_function("def take_oldest(queue, key):")
    queue = stash.table(f"queue-{token}")
    for index in range(200):
        queue.append("messages", index)
    taken: list[int] = []
    lock = threading.Lock()

    def reader() -> None:
        while (message := take_oldest(queue, "messages")) is not None:
            with lock:
                taken.append(message)

    readers = [threading.Thread(target=reader) for _ in range(8)]
    for thread in readers:
        thread.start()
    for thread in readers:
        thread.join(60)
    assert sorted(taken) == list(range(200))
    assert queue["messages"] == []
    queue.clear()


def test_the_tables_tour_runs_as_written(stash, token) -> None:
    name = f"sessions-{token}"  # the run's tables are shared: a name of this test's own
    block = readme_block('sessions = stash.table("sessions")').replace('"sessions"', repr(name))
    namespace: dict[str, Any] = {"stash": stash}
    exec(compile(block, "README.md", "exec"), namespace)
    sessions = stash.table(name)
    assert dict(sessions.items()) == {"hits": 1, "log": [{"event": "load"}], "owner": "worker-3"}
    assert name in stash.tables()
    sessions.clear()


def test_the_capability_examples_run_as_written(harness: Harness, stash) -> None:
    namespace: dict[str, Any] = {"stash": stash}
    exec(compile(readme_block('token = stash.capability(path="/beacons"'), "README.md", "exec"), namespace)
    assert namespace["token"].count(".") == 1
