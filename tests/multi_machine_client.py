"""A client run on one of the namespace "machines" (``python -m tests.multi_machine_client``).

The test process lives outside the namespaces, so what must reach a harness's address runs
here, inside one, and prints one JSON line with what it saw.

    cross STATE_A STATE_B KEY1 KEY2 KEY3   # HTTPS put on A taken over WSS on B; a blocked
                                           # take on B woken by a put on A; KEY3 put on A
    hold-lock STATE                        # acquire, print, wait for a line on stdin, release
    try-lock STATE TIMEOUT                 # whether the lock could be acquired in TIMEOUT
"""

from __future__ import annotations

import json
import sys
import time

from harness.run.state import read_state
from pytest_harness import Harness
from tests.support import wait_until

PATH = "/multi-machine"


def _put(harness: Harness, key: str, value: bytes) -> int:
    session = harness.http_session()
    url = f"/conformance/stash.py?op=put&id={key}&path={PATH}"
    return int(session.post(url, data=value, scheme="https", timeout=20).status_code)


def cross(state_a: str, state_b: str, key1: str, key2: str, key3: str) -> dict[str, object]:
    a, b = Harness(read_state(state_a)), Harness(read_state(state_b))
    ws = b.ws_connect("/conformance/stash", "wss")
    put_status = _put(a, key1, b"put over https on A")
    ws.send(json.dumps({"op": "take", "id": key1, "path": PATH}))
    taken = json.loads(ws.recv(timeout=20))
    ws.send(json.dumps({"op": "take", "id": key2, "path": PATH, "timeout": 30}))
    waiting = wait_until(lambda: b.stash().waiting(key2, path=PATH) == 1, timeout=20)
    started = time.perf_counter()
    _put(a, key2, b"woke B")
    woken = json.loads(ws.recv(timeout=30))
    latency = time.perf_counter() - started
    ws.close()
    stored_for_pytest = _put(a, key3, b"for the pytest run on B")
    return {
        "put_status": put_status,
        "taken": taken,
        "waiting_seen": waiting,
        "woken": woken,
        "wake_latency": latency,
        "put_for_pytest": stored_for_pytest,
    }


def hold_lock(state: str) -> None:
    stash = Harness(read_state(state)).stash()
    assert stash.lock.acquire(timeout=20)
    print(json.dumps({"held": True}), flush=True)
    sys.stdin.readline()
    stash.lock.release()
    print(json.dumps({"released": True}), flush=True)


def try_lock(state: str, timeout: float) -> dict[str, object]:
    stash = Harness(read_state(state)).stash()
    acquired = stash.lock.acquire(timeout=timeout)
    if acquired:
        stash.lock.release()
    return {"acquired": acquired}


def main(argv: list[str]) -> None:
    command, *args = argv
    if command == "cross":
        print(json.dumps(cross(*args)), flush=True)
    elif command == "hold-lock":
        hold_lock(args[0])
    elif command == "try-lock":
        print(json.dumps(try_lock(args[0], float(args[1]))), flush=True)
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
