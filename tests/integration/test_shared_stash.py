"""One stash shared by the HTTP, HTTPS, WS and WSS server processes and the test process."""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psutil
import pytest

from harness.stash import Stash, StashError
from pytest_harness import Harness

TRIALS = 50
RACERS = 8


def ws_command(ws: Any, **command: Any) -> dict[str, Any]:
    ws.send(json.dumps(command))
    reply: dict[str, Any] = json.loads(ws.recv(timeout=20))
    return reply


def test_http_put_is_taken_over_wss_and_by_the_test(
    harness: Harness, http_client, ws_connect, harness_token, harness_tokens
) -> None:
    put = http_client.get(f"/conformance/stash.py?op=put&id={harness_token}&path=/shared&value=from-http")
    assert put.status_code == 201
    ws = ws_connect("/conformance/stash", "wss")
    assert ws_command(ws, op="take", id=harness_token, path="/shared") == {"ok": True, "value": "from-http"}
    assert ws_command(ws, op="take", id=harness_token, path="/shared") == {"ok": True, "value": None}

    second = harness_tokens()
    http_client.post(f"/conformance/stash.py?op=put&id={second}&path=/shared", scheme="https", data=b"from-https")
    assert harness.stash().take(second, path="/shared") == b"from-https"


def test_test_process_put_is_taken_over_http_and_ws(stash, http_client, ws_connect, harness_tokens) -> None:
    first, second = harness_tokens(), harness_tokens()
    stash.put(first, b"for http", path="/shared")
    stash.put(second, b"for ws", path="/shared")
    assert http_client.get(f"/conformance/stash.py?op=take&id={first}&path=/shared").content == b"for http"
    ws = ws_connect("/conformance/stash", "ws")
    assert ws_command(ws, op="take", id=second, path="/shared")["value"] == "for ws"
    assert http_client.get(f"/conformance/stash.py?op=take&id={first}&path=/shared").status_code == 404


def test_a_blocking_take_in_a_ws_handler_is_woken_by_an_https_put(http_client, ws_connect, harness_token) -> None:
    ws = ws_connect("/conformance/stash", "ws")
    ws.send(json.dumps({"op": "take", "id": harness_token, "path": "/wake", "timeout": 20}))
    # The handler is now blocked in take(); nothing has been put yet.
    assert (
        http_client.get(
            f"/conformance/stash.py?op=put&id={harness_token}&path=/wake&value=wake+up", scheme="https"
        ).status_code
        == 201
    )
    assert json.loads(ws.recv(timeout=20)) == {"ok": True, "value": "wake up"}


def test_a_blocking_take_in_the_test_is_woken_by_a_wss_put(stash, ws_connect, harness_token) -> None:
    result: list[Any] = []
    waiter = threading.Thread(target=lambda: result.append(stash.take(harness_token, path="/wake", timeout=20)))
    waiter.start()
    ws = ws_connect("/conformance/stash", "wss")
    assert ws_command(ws, op="put", id=harness_token, path="/wake", value="from wss") == {"ok": True, "value": None}
    waiter.join(20)
    assert result == [b"from wss"]


def test_a_queue_proxy_crosses_from_a_ws_handler_to_an_http_handler(http_client, ws_connect, harness_token) -> None:
    ws = ws_connect(f"/conformance/queue?id={harness_token}", "wss")
    assert ws.recv(timeout=10) == "ready"
    assert http_client.get(f"/conformance/queue_send.py?id={harness_token}&msg=through+the+queue").text == "sent"
    assert ws.recv(timeout=10) == "through the queue"


def test_lock_protected_counter_over_200_requests_on_four_servers(harness: Harness, stash, harness_token) -> None:
    path = "/counter"
    query = f"?id={harness_token}&path={path}"

    def over_http(scheme: str) -> None:
        with harness.http_session() as session:
            for _ in range(10):
                assert session.get(f"/conformance/counter.py{query}", scheme=scheme).status_code == 200

    def over_ws(scheme: str) -> None:
        with harness.ws_connect(f"/conformance/counter{query}", scheme) as ws:
            for _ in range(10):
                ws.send("+1")
                int(ws.recv(timeout=30))

    jobs = [(over_http, "http"), (over_http, "https"), (over_ws, "ws"), (over_ws, "wss")] * 5
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        for future in [pool.submit(job, scheme) for job, scheme in jobs]:
            future.result()
    assert stash.take(harness_token, path=path) == 200


def _racer(role: str, stash_config: str, keys: list[str], barrier: Any, results: Any, ident: int) -> None:
    os.environ["HARNESS_STASH_CONFIG"] = stash_config
    stash = Stash("/race")
    for key in keys:
        barrier.wait(30)
        if role == "take":
            results.put((key, ident, stash.take(key)))
        else:
            try:
                stash.put(key, ident)
                results.put((key, ident, "stored"))
            except StashError:
                results.put((key, ident, "refused"))


def _race(harness: Harness, role: str, keys: list[str]) -> dict[str, list[tuple[int, Any]]]:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(RACERS)
    results = context.Queue()
    processes = [
        context.Process(target=_racer, args=(role, harness.stash_config, keys, barrier, results, ident))
        for ident in range(RACERS)
    ]
    for process in processes:
        process.start()
    outcomes: dict[str, list[tuple[int, Any]]] = {key: [] for key in keys}
    for _ in range(RACERS * len(keys)):
        key, ident, outcome = results.get(timeout=60)
        outcomes[key].append((ident, outcome))
    for process in processes:
        process.join(30)
        assert process.exitcode == 0
    return outcomes


def test_eight_racing_takers_get_exactly_one_value_in_every_trial(harness: Harness) -> None:
    stash = harness.stash("/race")
    keys = [str(uuid.uuid4()) for _ in range(TRIALS)]
    for index, key in enumerate(keys):
        stash.put(key, f"value {index}")
    outcomes = _race(harness, "take", keys)
    for index, key in enumerate(keys):
        values = [value for _ident, value in outcomes[key] if value is not None]
        assert values == [f"value {index}"], f"trial {index}: {outcomes[key]}"


def test_eight_racing_putters_get_exactly_one_success_in_every_trial(harness: Harness) -> None:
    stash = harness.stash("/race")
    keys = [str(uuid.uuid4()) for _ in range(TRIALS)]
    outcomes = _race(harness, "put", keys)
    for index, key in enumerate(keys):
        winners = [ident for ident, outcome in outcomes[key] if outcome == "stored"]
        assert len(winners) == 1, f"trial {index}: {outcomes[key]}"
        assert stash.take(key) == winners[0]


def test_server_processes_reuse_stash_connections(harness: Harness, harness_token) -> None:
    """50 requests on 50 new HTTP connections (50 threads) must not open 50 stash connections."""
    stash_pid = harness.server_pids["stash"]
    before = len(psutil.Process(stash_pid).net_connections(kind="unix"))
    for _ in range(50):
        with harness.http_session() as session:  # a new TCP connection, a new server thread
            session.get(f"/conformance/stash.py?op=take&id={harness_token}&path=/reuse")
    after = len(psutil.Process(stash_pid).net_connections(kind="unix"))
    assert after - before <= 2


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_default_path_scoping_between_two_handlers(harness: Harness, http_client, harness_token, scheme: str) -> None:
    assert http_client.get(f"/conformance/a.py?op=put&id={harness_token}&value=mine", scheme=scheme).text == "stored"
    assert http_client.get(f"/conformance/b.py?op=take&id={harness_token}", scheme=scheme).status_code == 404
    assert harness.stash().take(harness_token, path="/conformance/b.py") is None
    assert http_client.get(f"/conformance/a.py?op=take&id={harness_token}", scheme=scheme).text == "mine"
