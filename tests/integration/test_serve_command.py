"""``harness serve`` as a user runs it: start, state file, signals, failures, restarts."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import requests

from harness.run.launcher import HarnessProcess
from harness.stash import Stash, StashUnavailable
from harness.stash.envconfig import decode_env_config
from pytest_harness import Harness
from tests.support import ports_of, wait_until

SERVERS = ("http", "https", "ws", "wss")


def serve(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", "serve", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def launched(tmp_path: Path) -> Iterator[HarnessProcess]:
    process = HarnessProcess(workdir=tmp_path)
    try:
        yield process
    finally:
        process.close()


def wait_for_exit(process: subprocess.Popen[bytes], timeout: float = 15) -> int:
    return process.wait(timeout)


def all_pids(state_pid: int, server_pids: dict[str, int]) -> list[int]:
    return [state_pid, *server_pids.values()]


def test_state_file_and_run_directory(launched: HarnessProcess) -> None:
    state = launched.start()
    assert stat.S_IMODE(launched.state_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(os.stat(state.run_dir).st_mode) == 0o700
    data = json.loads(launched.state_file.read_text())
    assert {"urls", "ca_cert", "stash_config", "pid"} <= set(data)
    assert set(data["urls"]) == set(SERVERS)
    assert data["pid"] == launched.process.pid  # type: ignore[union-attr]
    address, authkey = decode_env_config(data["stash_config"])
    assert len(authkey) == 32
    assert isinstance(address, str)
    assert address.startswith(state.run_dir)
    response = requests.get(state.urls["https"] + "/examples/hello.py", verify=state.ca_cert, timeout=10)
    assert response.text == "ok"


def test_every_server_finds_the_stash_through_the_environment(api_harness: Harness, api_client) -> None:
    expected = hashlib.sha256(api_harness.stash_config.encode()).hexdigest()
    for scheme in ("http", "https"):
        assert api_client.get("/api/stash_env.py", scheme=scheme).text == expected
    for scheme in ("ws", "wss"):
        with api_harness.ws_connect("/ws/stash_env", scheme) as ws:
            assert ws.recv(timeout=10) == expected


def test_servers_listen_on_loopback_only(launched: HarnessProcess) -> None:
    state = launched.start()
    for scheme in SERVERS:
        listening = [c for c in psutil.Process(state.server_pids[scheme]).net_connections() if c.status == "LISTEN"]
        assert listening
        assert all(c.laddr.ip == "127.0.0.1" for c in listening)


def test_authkey_is_random_per_run_and_never_printed(tmp_path: Path) -> None:
    keys = []
    for run in range(2):
        process = HarnessProcess(workdir=tmp_path / str(run), extra_args=["--log-level", "debug"])
        (tmp_path / str(run)).mkdir()
        try:
            state = process.start()
            keys.append(state.stash_config)
            _, authkey = decode_env_config(state.stash_config)
            # Some traffic so debug logs have something to say.
            requests.get(state.urls["http"] + "/examples/hello.py", timeout=10)
        finally:
            process.stop()
        output = process.logs()
        import base64

        assert base64.b64encode(authkey).decode() not in output
        assert authkey.hex() not in output
    assert keys[0] != keys[1]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_everything_and_removes_files(launched: HarnessProcess, signum: int) -> None:
    state = launched.start()
    pids = all_pids(state.pid, state.server_pids)
    assert launched.process is not None
    launched.process.send_signal(signum)
    assert wait_for_exit(launched.process) == 0
    assert not launched.state_file.exists()
    assert not os.path.exists(state.run_dir)
    _gone, alive = psutil.wait_procs([psutil.Process(pid) for pid in pids if psutil.pid_exists(pid)], timeout=10)
    assert not alive


def test_restart_right_after_stop_gets_the_same_fixed_ports(tmp_path: Path) -> None:
    # The first run's servers pick their ports (no port is freed and then hoped to stay
    # free); the next run is configured with those ports, right after the first stopped.
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"ports": {scheme: 0 for scheme in SERVERS}}))
    ports: dict[str, int] | None = None
    for attempt in range(2):
        workdir = tmp_path / f"run{attempt}"
        workdir.mkdir()
        process = HarnessProcess(config=config, workdir=workdir)
        try:
            state = process.start()
            if ports is None:
                ports = ports_of(state.urls)
                config.write_text(json.dumps({"ports": ports}))
            assert ports_of(state.urls) == ports
            # Leave a connection in TIME_WAIT on the server side.
            assert requests.get(state.urls["http"] + "/examples/hello.py", timeout=10).text == "ok"
        finally:
            assert process.stop() == 0


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"prots": {}}, "prots: unknown key (did you mean 'ports'?)"),
        ({"ports": {"https": "443"}}, 'ports.https: expected an integer, got "443"'),
        ({"ports": {"ws": 70000}}, "ports.ws: must be at most 65535, got 70000"),
        ({"http": {"max_body_bytes": -1}}, "http.max_body_bytes: must be at least 0, got -1"),
        ({"http": {"handler_timeout": "often"}}, "http.handler_timeout: expected a number or null"),
        ({"doc_root": "no/such/dir"}, "doc_root: the document root"),
        ({"tls": {"cert": "x.pem"}}, "tls.key: missing key"),
        ({"on_server_exit": "explode"}, 'on_server_exit: expected "stop" or "restart"'),
    ],
)
def test_config_errors_exit_2_with_one_line(tmp_path: Path, config: dict[str, object], message: str) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    state_file = tmp_path / "state.json"
    result = serve("--config", str(path), "--state-file", str(state_file))
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not state_file.exists()


def test_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text('{"ports": {"http": 0,}}')
    result = serve("--config", str(path))
    assert result.returncode == 2
    assert "invalid JSON at line 1 column" in result.stderr


def test_port_in_use_exits_2_naming_the_port_and_leaves_nothing_running(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        path = tmp_path / "config.json"
        path.write_text(json.dumps({"ports": {"wss": port}}))
        before = {p.pid for p in psutil.Process().children(recursive=True)}
        result = serve("--config", str(path), "--state-file", str(tmp_path / "state.json"))
    assert result.returncode == 2
    assert f"ports.wss: port {port} on 127.0.0.1 is already in use" in result.stderr
    assert not (tmp_path / "state.json").exists()
    assert {p.pid for p in psutil.Process().children(recursive=True)} <= before


@pytest.mark.parametrize("victim", ["https", "ws"])
def test_a_dead_server_stops_the_harness_and_says_which(launched: HarnessProcess, victim: str) -> None:
    state = launched.start()
    others = [pid for name, pid in state.server_pids.items() if name != victim]
    os.kill(state.server_pids[victim], signal.SIGKILL)
    assert launched.process is not None
    assert wait_for_exit(launched.process) == 1
    assert f"the {victim} server (pid {state.server_pids[victim]}) was killed by SIGKILL" in launched.logs()
    _gone, alive = psutil.wait_procs([psutil.Process(p) for p in others if psutil.pid_exists(p)], timeout=10)
    assert not alive
    assert not launched.state_file.exists()


def test_a_dead_stash_stops_the_harness_and_clients_get_a_clear_error(launched: HarnessProcess) -> None:
    state = launched.start()
    address, authkey = decode_env_config(state.stash_config)
    stash = Stash("/x", address, authkey)
    stash.put(uuid.uuid4(), "before")  # the client has pooled connections now
    os.kill(state.server_pids["stash"], signal.SIGKILL)
    with pytest.raises(StashUnavailable, match="is gone or unreachable"):
        stash.put(uuid.uuid4(), "after")
    assert launched.process is not None
    assert wait_for_exit(launched.process) == 1
    assert "the stash server" in launched.logs()
    assert "killed by SIGKILL" in launched.logs()


def test_restart_policy_brings_a_server_back_on_its_port_with_the_same_stash(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"on_server_exit": "restart"}))
    process = HarnessProcess(config=config, workdir=tmp_path)
    try:
        state = process.start()
        harness = Harness(state)
        stash = harness.stash("/survivor")
        key = uuid.uuid4()
        stash.put(key, "kept across the restart")
        old_pid = state.server_pids["http"]
        os.kill(old_pid, signal.SIGKILL)
        # The listening socket stays with the supervisor: requests queue until the new process serves.
        response = requests.get(
            harness.url("http", f"/conformance/stash.py?op=take&id={key}&path=/survivor"), timeout=15
        )
        assert response.text == "kept across the restart"
        assert "restarting it on the same port with the same stash" in process.logs()
        # The state file is rewritten once the supervisor has read the new process's ready message.
        assert wait_until(lambda: json.loads(process.state_file.read_text())["server_pids"]["http"] != old_pid)
        assert psutil.pid_exists(state.pid)
    finally:
        assert process.stop() == 0


def test_stops_when_the_process_it_serves_exits(tmp_path: Path) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    process = HarnessProcess(workdir=tmp_path, exit_with_caller=False, extra_args=["--exit-with-pid", str(sleeper.pid)])
    try:
        state = process.start()
        sleeper.kill()
        sleeper.wait()
        assert process.process is not None
        assert wait_for_exit(process.process) == 0
        assert not os.path.exists(state.run_dir)
    finally:
        sleeper.kill()
        process.close()


def _a_pid_no_process_has() -> str:
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    assert not psutil.pid_exists(finished.pid)
    return str(finished.pid)


@pytest.mark.parametrize(
    ("pid", "message"),
    [
        ("0", "0 is not a process id (it must be a positive number)"),
        ("-5", "-5 is not a process id (it must be a positive number)"),
        ("abc", "'abc' is not a process id"),
        (None, "no process {pid} is running"),
    ],
    ids=["zero", "negative", "not-a-number", "not-running"],
)
def test_a_bad_exit_with_pid_exits_2_naming_it(tmp_path: Path, pid: str | None, message: str) -> None:
    pid = pid if pid is not None else _a_pid_no_process_has()
    state_file = tmp_path / "state.json"
    result = serve(f"--exit-with-pid={pid}", "--state-file", str(state_file))
    assert result.returncode == 2
    assert f"argument --exit-with-pid: {message.format(pid=pid)}" in result.stderr
    assert not state_file.exists()


def test_warns_when_listening_beyond_loopback(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"bind_address": "0.0.0.0"}))
    process = HarnessProcess(config=config, workdir=tmp_path)
    try:
        process.start()
        assert "reachable from other machines" in process.logs()
        assert "arbitrary Python code" in process.logs()
    finally:
        process.close()
