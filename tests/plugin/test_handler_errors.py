"""A handler that raises during a test fails that test, with the handler's traceback (nested runs)."""

from __future__ import annotations

import pytest

RAISING_HANDLERS = {
    "site/raises.py": "def main(request, response):\n    raise KeyError('no such customer 42')\n",
    "site/raises_wsh.py": "def main(ws, request):\n    ws.recv()\n    raise RuntimeError('the chat room exploded')\n",
    "site/ok.py": "def main(request, response):\n    return 'fine'\n",
}

TESTS = """
import pytest, requests
from websockets.exceptions import ConnectionClosed

def test_http_handler_raises(http_client):
    assert http_client.get("/raises.py", scheme="https").status_code == 500

def test_ws_handler_raises(ws_connect):
    ws = ws_connect("/raises", scheme="wss")
    ws.send("go")
    with pytest.raises(ConnectionClosed):
        ws.recv(timeout=10)

@pytest.mark.harness_allow_handler_errors
def test_expected_error(http_client):
    assert http_client.get("/raises.py").status_code == 500

def test_fine(http_client):
    assert http_client.get("/ok.py").text == "fine"

def test_unowned(harness):
    # A client that does not name the test: reported at the end of the run.
    requests.get(harness.url("http", "/raises.py?unowned=1"))
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    for path, text in RAISING_HANDLERS.items():
        target = pytester.path / path
        target.parent.mkdir(exist_ok=True)
        target.write_text(text)
    pytester.makeini("[pytest]\nharness_doc_root = site\n")
    pytester.makepyfile(TESTS)
    return pytester


@pytest.mark.parametrize("mode", [["-p", "no:xdist"], ["-n", "2"]], ids=["no-xdist", "n2"])
def test_a_raising_handler_fails_its_test_with_the_traceback(project: pytest.Pytester, mode: list[str]) -> None:
    result = project.runpytest_subprocess(*mode)
    result.assert_outcomes(passed=3, failed=2)
    output = result.stdout.str()
    result.stdout.fnmatch_lines(["FAILED *test_http_handler_raises*", "FAILED *test_ws_handler_raises*"])
    assert "1 handler error(s) while serving this test's requests" in output
    assert "GET https /raises.py -> 500" in output
    assert "KeyError: 'no such customer 42'" in output
    assert "RuntimeError: the chat room exploded" in output
    assert 'raise KeyError("no such customer 42")' in output or "raise KeyError('no such customer 42')" in output
    # The error nobody's request owned is listed once, at the end of the run.
    assert output.count("harness: handler errors no test owns") == 1
    assert "GET http /raises.py?unowned=1 -> 500" in output


def test_warn_mode_keeps_the_test_passing_with_a_warning(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("-p", "no:xdist", "--harness-handler-errors=warn")
    result.assert_outcomes(passed=5, warnings=2)
    result.stdout.fnmatch_lines(["*HandlerErrorWarning: 1 handler error(s)*"])


def test_off_mode_and_the_ini(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\nharness_doc_root = site\nharness_handler_errors = off\n")
    project.runpytest_subprocess("-p", "no:xdist").assert_outcomes(passed=5)


def test_a_bad_mode_in_the_ini_is_named(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\nharness_doc_root = site\nharness_handler_errors = loud\n")
    result = project.runpytest_subprocess("-p", "no:xdist", "-k", "fine")
    assert result.ret != 0
    output = result.stdout.str() + result.stderr.str()
    assert "harness_handler_errors = 'loud': expected one of fail, warn, off" in output
