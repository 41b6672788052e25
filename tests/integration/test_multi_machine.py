"""A real multi-machine run on this machine: two network namespaces, one Redis stash.

Namespace A (10.231.0.1) runs redis-server and harness A; namespace B (10.231.0.2) runs
harness B, which joins A's run (``harness serve --stash env`` with A's
``HARNESS_STASH_CONFIG``). Clients run inside the namespaces. Only the namespaces'
addresses and loopback are ever contacted; the namespaces are deleted at the end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.run.launcher import HarnessProcess
from harness.run.state import HarnessState
from tests.netns_support import ADDRESSES, TwoMachines, why_no_namespaces
from tests.redis_support import REDIS_SERVER, RedisServer

REPO = Path(__file__).resolve().parents[2]
REDIS_PORT = 6379


def _harness(machines: TwoMachines, machine: str, workdir: Path, stash: str, env: dict[str, str]) -> HarnessProcess:
    address = ADDRESSES[machine]
    config = workdir / f"config-{machine}.json"
    config.write_text(json.dumps({"bind_address": address, "host": address, "hostnames": [address]}))
    process = HarnessProcess(config=config, extra_args=["--stash", stash], env=env, workdir=workdir / machine)
    process.args = [*machines.prefix(machine), *process.args]
    return process


class Run:
    def __init__(self, machines: TwoMachines, a: HarnessState, b: HarnessState, a_file: Path, b_file: Path) -> None:
        self.machines, self.a, self.b, self.a_file, self.b_file = machines, a, b, a_file, b_file

    def client(self, machine: str, *args: str, **kwargs: object) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [*self.machines.prefix(machine), sys.executable, "-m", "tests.multi_machine_client", *args],
            cwd=REPO,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            **kwargs,  # type: ignore[call-overload]
        )

    def ask(self, machine: str, *args: str) -> dict[str, object]:
        process = self.client(machine, *args)
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        return dict(json.loads(out.strip().splitlines()[-1]))


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    reason = why_no_namespaces() or (None if REDIS_SERVER else "redis-server is not installed")
    if reason:
        print(f"skipping the multi-machine run: {reason}")
        pytest.skip(reason)
    workdir = tmp_path_factory.mktemp("machines")
    (workdir / "a").mkdir()
    (workdir / "b").mkdir()
    with TwoMachines() as machines:
        redis_server = RedisServer(
            workdir / "redis", bind=ADDRESSES["a"], port=REDIS_PORT, prefix=tuple(machines.prefix("a"))
        ).start()
        harnesses: list[HarnessProcess] = []
        try:
            env = {key: value for key, value in os.environ.items() if key != "HARNESS_STASH_CONFIG"}
            first = _harness(machines, "a", workdir, redis_server.url, env)
            harnesses.append(first)
            state_a = first.start()
            joined = {**env, "HARNESS_STASH_CONFIG": state_a.stash_config}
            second = _harness(machines, "b", workdir, "env", joined)
            harnesses.append(second)
            state_b = second.start()
            yield Run(machines, state_a, state_b, first.state_file, second.state_file)
        finally:
            for process in harnesses:
                process.close()
            redis_server.stop()


def test_both_harnesses_serve_one_run_on_their_own_addresses(run: Run) -> None:
    assert run.a.urls["https"].startswith("https://10.231.0.1:")
    assert run.b.urls["https"].startswith("https://10.231.0.2:")
    assert run.a.stash_config == run.b.stash_config
    assert json.loads(run.a.stash_config)["backend"] == f"redis://10.231.0.1:{REDIS_PORT}/0"


def test_https_put_on_a_is_taken_over_wss_on_b_and_wakes_a_blocked_take(run: Run, tmp_path: Path) -> None:
    keys = [str(uuid.uuid4()) for _ in range(3)]
    seen = run.ask("b", "cross", str(run.a_file), str(run.b_file), *keys)
    assert seen["put_status"] == 201
    assert seen["taken"] == {"ok": True, "value": "put over https on A"}
    assert seen["waiting_seen"] is True
    assert seen["woken"] == {"ok": True, "value": "woke B"}
    print(f"\nwake-up across the veth pair: {float(seen['wake_latency']) * 1000:.1f} ms")
    # A pytest run attached to B sees what was stashed through A.
    test_file = tmp_path / "test_attached.py"
    test_file.write_text(
        "import os\n\n"
        "def test_value_from_a(stash):\n"
        "    value = stash.take(os.environ['MM_KEY'], path='/multi-machine', timeout=10)\n"
        "    assert value == b'for the pytest run on B'\n"
    )
    assert seen["put_for_pytest"] == 201
    pytest_run = subprocess.run(
        [
            *run.machines.prefix("b"),
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:xdist",
            "-p",
            "no:cacheprovider",
            "-q",
            "--harness-attach",
            str(run.b_file),
            str(test_file),
        ],
        cwd=tmp_path,
        env={**os.environ, "MM_KEY": keys[2]},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert pytest_run.returncode == 0, pytest_run.stdout + pytest_run.stderr
    assert "1 passed" in pytest_run.stdout


def test_the_lock_excludes_across_both_machines(run: Run) -> None:
    holder = run.client("a", "hold-lock", str(run.a_file), stdin=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdin is not None
        assert json.loads(holder.stdout.readline()) == {"held": True}
        assert run.ask("b", "try-lock", str(run.b_file), "0.5") == {"acquired": False}
        holder.stdin.write("release\n")
        holder.stdin.flush()
        assert json.loads(holder.stdout.readline()) == {"released": True}
        assert run.ask("b", "try-lock", str(run.b_file), "5") == {"acquired": True}
    finally:
        holder.kill()
        holder.wait(10)
