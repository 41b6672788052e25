"""The pytest plugin, exercised through nested pytest runs (pytester, in subprocesses)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import psutil
import pytest

from harness.run.state import write_state
from pytest_harness import Harness
from tests.support import wait_until

REPO = Path(__file__).resolve().parents[2]

RECORD_TEST = """
import json, os, pathlib

def record(harness, name):
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    out = pathlib.Path(os.environ["RECORD_DIR"]) / f"{worker}-{name}.json"
    out.write_text(json.dumps({
        "worker": worker,
        "stash_config": harness.stash_config,
        "server_pids": harness.server_pids,
        "pid": harness.state.pid,
    }))

def test_a(harness): record(harness, "a")
def test_b(harness): record(harness, "b")
def test_c(harness): record(harness, "c")
def test_d(harness): record(harness, "d")
"""


def records(directory: Path) -> list[dict[str, object]]:
    return [json.loads(path.read_text()) for path in sorted(directory.glob("*.json"))]


def test_fixtures_without_xdist(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import json

        def test_fixtures(harness, stash, harness_token, http_client, ws_connect):
            stash.put(harness_token, b"from the test", path="/shared")
            response = http_client.get(f"/conformance/stash.py?op=take&id={harness_token}&path=/shared", scheme="https")
            assert response.content == b"from the test"
            ws = ws_connect("/examples/echo", scheme="wss")
            ws.send("ping")
            assert ws.recv(timeout=10) == "ping"
            assert harness.url("wss", "/x").startswith("wss://localhost:")
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:xdist")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["harness log: *harness.log"])


@pytest.mark.parametrize("workers", ["2", "4"])
def test_xdist_workers_share_one_harness(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, workers: str
) -> None:
    out = pytester.mkdir("records")
    monkeypatch.setenv("RECORD_DIR", str(out))
    pytester.makepyfile(RECORD_TEST)
    # --dist each runs every test on every worker, so each worker surely uses the harness.
    result = pytester.runpytest_subprocess("-n", workers, "--dist", "each")
    result.assert_outcomes(passed=4 * int(workers))
    seen = records(out)
    assert len({r["worker"] for r in seen}) == int(workers)
    assert len({r["stash_config"] for r in seen}) == 1
    assert len({json.dumps(r["server_pids"], sort_keys=True) for r in seen}) == 1
    assert len({r["pid"] for r in seen}) == 1
    # The controller stopped it at the end of the run.
    assert not psutil.pid_exists(int(seen[0]["pid"]))  # type: ignore[call-overload]


def test_two_workers_and_four_servers_count_exactly(
    pytester: pytest.Pytester, harness: Harness, stash, harness_token, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The global lock holds across all four servers and two xdist workers of another run."""
    state_file = tmp_path / "state.json"
    write_state(state_file, harness.state)
    monkeypatch.setenv("COUNTER_KEY", harness_token)
    out = pytester.mkdir("workers")
    monkeypatch.setenv("RECORD_DIR", str(out))
    pytester.makepyfile(
        """
        import os, pathlib
        from concurrent.futures import ThreadPoolExecutor

        KEY = os.environ["COUNTER_KEY"]
        QUERY = f"?id={KEY}&path=/lock-counter"

        def bump(harness, scheme):
            if scheme in ("http", "https"):
                with harness.http_session() as session:
                    for _ in range(10):
                        assert session.get(f"/conformance/counter.py{QUERY}", scheme=scheme).ok
            else:
                with harness.ws_connect(f"/conformance/counter{QUERY}", scheme) as ws:
                    for _ in range(10):
                        ws.send("+1")
                        int(ws.recv(timeout=30))

        def test_increment(harness):
            pathlib.Path(os.environ["RECORD_DIR"], os.environ["PYTEST_XDIST_WORKER"]).touch()
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(lambda s: bump(harness, s), ["http", "https", "ws", "wss"] * 2))
        """
    )
    result = pytester.runpytest_subprocess("-n", "2", "--dist", "each", "--harness-attach", str(state_file))
    result.assert_outcomes(passed=2)
    assert sorted(path.name for path in out.iterdir()) == ["gw0", "gw1"]
    assert stash.take(harness_token, path="/lock-counter") == 2 * 8 * 10
    assert psutil.pid_exists(harness.state.pid)  # attached runs never stop the harness


def test_attach_uses_the_running_harness(
    pytester: pytest.Pytester, harness: Harness, tmp_path: Path, monkeypatch
) -> None:
    state_file = tmp_path / "state.json"
    write_state(state_file, harness.state)
    out = pytester.mkdir("records")
    monkeypatch.setenv("RECORD_DIR", str(out))
    pytester.makepyfile(RECORD_TEST)
    pytester.runpytest_subprocess("-p", "no:xdist", "--harness-attach", str(state_file)).assert_outcomes(passed=4)
    assert {r["pid"] for r in records(out)} == {harness.state.pid}
    assert psutil.pid_exists(harness.state.pid)


def test_attach_to_a_missing_state_file_fails_once(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(RECORD_TEST)
    result = pytester.runpytest_subprocess("-p", "no:xdist", "--harness-attach", "/nonexistent/state.json")
    assert result.ret != 0
    assert result.stdout.str().count("no such state file") == 1


@pytest.mark.parametrize("mode", [["-p", "no:xdist"], ["-n", "2"]])
def test_a_harness_that_cannot_start_fails_the_run_once(pytester: pytest.Pytester, mode: list[str]) -> None:
    pytester.makefile(".json", bad='{"ports": {"http": "eighty"}}')
    pytester.makepyfile(RECORD_TEST)
    result = pytester.runpytest_subprocess(*mode, "--harness-config", "bad.json")
    assert result.ret != 0
    message = 'ports.http: expected an integer, got "eighty"'
    # Once for the run: pytest echoes its Exit reason on stdout and on stderr, never per test.
    counts = [result.stdout.str().count(message), result.stderr.str().count(message)]
    assert max(counts) == 1, counts
    assert "passed" not in result.stdout.str().splitlines()[-1]


def test_doc_root_option_and_ini(pytester: pytest.Pytester) -> None:
    pytester.mkdir("site")
    pytester.path.joinpath("site", "mine.py").write_text("def main(request, response):\n    return 'my own handler'\n")
    pytester.makepyfile(
        """
        def test_mine(http_client):
            assert http_client.get("/mine.py").text == "my own handler"
        """
    )
    pytester.runpytest_subprocess("-p", "no:xdist", "--harness-doc-root", "site").assert_outcomes(passed=1)
    pytester.makeini("[pytest]\nharness_doc_root = site\n")
    pytester.runpytest_subprocess("-p", "no:xdist").assert_outcomes(passed=1)


def test_wpt_option_serves_wpt_hosts_and_ws_doc_root(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_wpt_layout(harness, http_client, ws_connect):
            port = harness.urls["https"].rsplit(":", 1)[1]
            response = http_client.get(f"https://www.web-platform.test:{port}/cors.py")
            assert response.json() == {"host": f"www.web-platform.test:{port}"}
            wss = harness.urls["wss"].rsplit(":", 1)[1]
            ws = ws_connect(f"wss://élève.web-platform.test:{wss}/echo", subprotocols=["echo"])
            assert ws.subprotocol == "echo"
            ws.send("through the plugin")
            assert ws.recv(timeout=10) == "through the plugin"
            assert "--host-resolver-rules=" in " ".join(harness.chromium_host_rules())
        """
    )
    root = REPO / "tests" / "wpt_handlers"
    result = pytester.runpytest_subprocess("-p", "no:xdist", "--harness-doc-root", str(root), "--harness-wpt")
    result.assert_outcomes(passed=1)


def test_ws_doc_root_option(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_echo(ws_connect):
            ws = ws_connect("/echo")
            ws.send("hi")
            assert ws.recv(timeout=10) == "hi"
        """
    )
    handlers = REPO / "tests" / "wpt_handlers" / "websockets" / "handlers"
    result = pytester.runpytest_subprocess("-p", "no:xdist", "--harness-ws-doc-root", str(handlers))
    result.assert_outcomes(passed=1)


def test_config_option(pytester: pytest.Pytester) -> None:
    pytester.makefile(".json", small='{"http": {"max_body_bytes": 10}}')
    pytester.makepyfile(
        """
        def test_small_bodies(http_client):
            assert http_client.post("/examples/hello.py", data=b"x" * 20).status_code == 413
        """
    )
    pytester.runpytest_subprocess("-p", "no:xdist", "--harness-config", "small.json").assert_outcomes(passed=1)


LEFTOVER_TEST = """
def test_leaves_a_put_value(stash, harness_token):
    stash.put(harness_token, b"forgotten", path="/left")

def test_leaves_a_handler_value(http_client, harness_token):
    assert http_client.get(f"/conformance/stash.py?op=put&id={harness_token}&path=/left&value=x").status_code == 201

def test_clean(stash, harness_token):
    stash.put(harness_token, b"taken", path="/left")
    assert stash.take(harness_token, path="/left") == b"taken"

def test_values_are_discarded(harness):
    assert harness.stash().entries(path="/left") == []
"""


def test_leftovers_warn_by_default(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(LEFTOVER_TEST)
    result = pytester.runpytest_subprocess("-p", "no:xdist")
    result.assert_outcomes(passed=4, warnings=2)
    result.stdout.fnmatch_lines(["*StashLeftoverWarning: 1 stash value(s) put during this test were never taken*"])
    assert "at path '/left'" in result.stdout.str()
    # The warning points at the test, not at the plugin.
    result.stdout.fnmatch_lines(["*test_leftovers_warn_by_default.py:1: StashLeftoverWarning*"])
    assert "plugin.py" not in result.stdout.str()


def test_leftovers_are_errors_when_strict(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(LEFTOVER_TEST)
    result = pytester.runpytest_subprocess("-p", "no:xdist", "--harness-strict-stash")
    # The test itself fails (as documented), not its teardown.
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(["*never taken*", "FAILED *::test_leaves_a_put_value*"])


@pytest.mark.parametrize("how", ["option", "ini"])
def test_leftovers_are_reported_on_a_redis_stash(pytester: pytest.Pytester, redis_server, how: str) -> None:
    pytester.makepyfile(LEFTOVER_TEST)
    if how == "ini":
        pytester.makeini(f"[pytest]\nharness_stash = {redis_server.url}\n")
        result = pytester.runpytest_subprocess("-p", "no:xdist")
    else:
        result = pytester.runpytest_subprocess("-p", "no:xdist", "--harness-stash", redis_server.url)
    result.assert_outcomes(passed=4, warnings=2)
    result.stdout.fnmatch_lines(["*StashLeftoverWarning: 1 stash value(s) put during this test were never taken*"])


def test_a_bad_harness_stash_url_fails_the_run_naming_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_uses(harness):\n    assert harness\n")
    result = pytester.runpytest_subprocess("-p", "no:xdist", "--harness-stash", "redis://u:hunter2@h/x")
    assert result.ret != 0
    output = result.stdout.str() + result.stderr.str()
    assert "the database must be a number" in output and "hunter2" not in output


def test_a_harness_browser_option_that_is_no_executable_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing():\n    assert True\n")
    result = pytester.runpytest_subprocess("-p", "no:xdist", "--harness-browser", "/nonexistent/chromium")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--harness-browser=/nonexistent/chromium is not an executable file*"])


def test_a_harness_browser_variable_that_is_no_executable_fails_the_browser_test(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HARNESS_BROWSER", "/nonexistent/chromium")
    pytester.makepyfile(
        """
        def test_page(harness_page):
            raise AssertionError("the fixture should have failed")

        def test_without_browser():
            assert True
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:xdist")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*$HARNESS_BROWSER=/nonexistent/chromium is not an executable file*"])


def _harness_pids(record: Path) -> list[int]:
    data = json.loads(record.read_text())
    return [int(data["pid"]), *(int(pid) for pid in data["server_pids"].values())]


def _run_nested(pytester: pytest.Pytester, args: list[str]) -> subprocess.Popen[bytes]:
    # A clean environment: not this run's xdist worker, not its harness.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_XDIST", "PYTEST_CURRENT_TEST", "HARNESS_"))}
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", *args],
        cwd=pytester.path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def test_ctrl_c_stops_the_harness(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    out = pytester.mkdir("records")
    monkeypatch.setenv("RECORD_DIR", str(out))
    pytester.makepyfile(
        RECORD_TEST
        + textwrap.dedent(
            """
            import signal
            def test_z_interrupt(harness):
                os.kill(os.getpid(), signal.SIGINT)
            """
        )
    )
    process = _run_nested(pytester, ["-p", "no:xdist"])
    assert process.wait(60) == 2  # pytest's "interrupted"
    pids = _harness_pids(next(out.glob("*-a.json")))
    _gone, alive = psutil.wait_procs([psutil.Process(pid) for pid in pids if psutil.pid_exists(pid)], timeout=10)
    assert not alive


def test_a_crashed_worker_does_not_stop_the_harness_early(pytester: pytest.Pytester, monkeypatch) -> None:
    out = pytester.mkdir("records")
    monkeypatch.setenv("RECORD_DIR", str(out))
    pytester.makepyfile(
        RECORD_TEST
        + textwrap.dedent(
            """
            def test_crash():
                os._exit(3)
            """
        )
    )
    result = pytester.runpytest_subprocess("-n", "2")
    result.assert_outcomes(passed=4, failed=1)
    assert len({r["pid"] for r in records(out)}) == 1
    pids = _harness_pids(next(out.glob("*-a.json")))
    _gone, alive = psutil.wait_procs([psutil.Process(pid) for pid in pids if psutil.pid_exists(pid)], timeout=10)
    assert not alive


def test_a_killed_pytest_leaves_no_harness_behind(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    out = pytester.mkdir("records")
    monkeypatch.setenv("RECORD_DIR", str(out))
    release = pytester.path / "release"
    monkeypatch.setenv("RELEASE_FILE", str(release))
    pytester.makepyfile(
        RECORD_TEST
        + textwrap.dedent(
            """
            import time
            def test_z_block(harness):
                while not pathlib.Path(os.environ["RELEASE_FILE"]).exists():
                    time.sleep(0.05)
            """
        )
    )
    process = _run_nested(pytester, ["-n", "2"])
    try:
        assert wait_until(lambda: len(list(out.glob("*.json"))) == 4, timeout=60)
        pids = _harness_pids(next(out.glob("*-a.json")))
        os.killpg(process.pid, signal.SIGKILL)  # the controller and its workers, not the harness
        process.wait(10)
        _gone, alive = psutil.wait_procs([psutil.Process(pid) for pid in pids if psutil.pid_exists(pid)], timeout=15)
        assert not alive
    finally:
        release.touch()
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


@pytest.mark.parametrize("mode", [["-p", "no:xdist"], ["-n", "2"], ["-n", "4"]], ids=["no-xdist", "n2", "n4"])
def test_the_conformance_suite_passes(pytester: pytest.Pytester, mode: list[str]) -> None:
    result = pytester.runpytest_subprocess(str(REPO / "tests" / "conformance"), "--rootdir", str(REPO), "-rs", *mode)
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == 0
    assert outcomes.get("errors", 0) == 0
    # Without Chromium the browser tests skip (and say why): the count adapts.
    assert outcomes["passed"] + outcomes.get("skipped", 0) >= 55
    if outcomes.get("skipped"):
        assert "no Chromium found" in result.stdout.str() or "Playwright is not installed" in result.stdout.str()


def test_pytest_playwright_page_points_at_the_harness_with_one_line(pytester: pytest.Pytester) -> None:
    pytest.importorskip("pytest_playwright", reason="pytest-playwright is not installed")
    from pytest_harness.browser import find_chromium

    path, looked = find_chromium()
    if path is None:
        pytest.skip(f"no Chromium found (looked for {looked})")
    pytester.makeconftest(
        "from pytest_harness.playwright import browser_context_args, browser_type_launch_args  # noqa: F401\n"
    )
    pytester.makepyfile(
        """
        def test_its_page(page):
            page.goto("/examples/hello.py")
            assert page.text_content("body") == "ok"
            assert page.url.startswith("https://localhost:")
        """
    )
    pytester.runpytest_subprocess("-p", "no:xdist").assert_outcomes(passed=1)


def test_the_harness_fixture_carries_the_config_with_real_ports(harness: Harness) -> None:
    config = harness.config
    assert config.bind_address == "127.0.0.1"
    assert harness.urls["https"].endswith(f":{config.ports.https}")
    assert config.ports.https != 0
    assert config.doc_root == harness.doc_root
