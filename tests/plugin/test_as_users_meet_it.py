"""The plugin as a user meets it: out of the way when unused, README examples, options, the CLI."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.run.state import write_state
from pytest_harness import Harness

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text()
# Read at import: pytester gives each nested run a HOME of its own.
PLAYWRIGHT_CACHE = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or Path.home() / ".cache" / "ms-playwright")


def readme_block(first_line: str) -> str:
    match = re.search(r"```python\n(" + re.escape(first_line) + r".*?)```", README, re.S)
    assert match is not None, f"README has no python block starting with {first_line!r}"
    return match.group(1)


def _has_chromium() -> tuple[bool, str]:
    from pytest_harness.browser import find_chromium

    if importlib.util.find_spec("playwright") is None:
        return False, "Playwright is not installed"
    path, looked = find_chromium()
    return path is not None, f"no Chromium found (looked for {looked})"


def needs_chromium() -> None:
    found, reason = _has_chromium()
    if not found:
        pytest.skip(reason)


# -- a run that does not use the plugin ----------------------------------------------------

UNRELATED = """
import os, pathlib

def test_one():
    pathlib.Path(os.environ["RECORD_DIR"], os.environ.get("PYTEST_XDIST_WORKER", "main")).touch()

def test_two():
    assert 1 + 1 == 2
"""


@pytest.mark.parametrize("mode", [["-p", "no:xdist"], ["-n", "2"]], ids=["no-xdist", "n2"])
def test_an_unrelated_project_starts_no_harness_and_ignores_harness_settings(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, mode: list[str]
) -> None:
    out = pytester.mkdir("records")
    monkeypatch.setenv("RECORD_DIR", str(out))
    # Settings that would stop any harness from starting: unused, they cost nothing.
    pytester.makeini("[pytest]\nharness_doc_root = no/such/folder\nharness_config = missing.json\n")
    pytester.makepyfile(UNRELATED)
    result = pytester.runpytest_subprocess(*mode, "--basetemp", str(pytester.path / "base"))
    result.assert_outcomes(passed=2)
    assert list(out.iterdir())  # the tests did run
    output = result.stdout.str() + result.stderr.str()
    assert "harness log:" not in output
    assert "the harness did not start" not in output
    assert not list((pytester.path / "base").glob("**/harness*")), "a harness work folder was made"


def test_a_run_that_uses_it_under_xdist_gets_one_harness_and_a_bad_setting_fails_once(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\nharness_doc_root = no/such/folder\n")
    pytester.makepyfile(UNRELATED.replace("def test_two():", "def test_two(harness):"))
    pytester.makepyfile(test_more="def test_three(harness):\n    pass\n")
    result = pytester.runpytest_subprocess("-n", "2", "--harness-browser=none")
    assert result.ret != 0
    output = result.stdout.str()
    assert output.count("no/such/folder") == 1, output
    assert "INTERNALERROR" not in output + result.stderr.str()


@pytest.mark.parametrize("mode", [["-p", "no:xdist"], ["-n", "2"]], ids=["no-xdist", "n2"])
def test_attach_with_a_doc_root_is_reported_not_ignored(
    pytester: pytest.Pytester, harness: Harness, tmp_path: Path, mode: list[str]
) -> None:
    state_file = tmp_path / "state.json"
    write_state(state_file, harness.state)
    pytester.makeini("[pytest]\nharness_doc_root = site\n")
    pytester.makepyfile("def test_uses(harness):\n    pass\n")
    result = pytester.runpytest_subprocess(*mode, f"--harness-attach={state_file}")
    assert result.ret != 0
    message = "--harness-attach uses a harness that is already running, so harness_doc_root cannot apply"
    assert result.stdout.str().count(message) == 1
    assert "INTERNALERROR" not in result.stdout.str()


# -- the README's examples ---------------------------------------------------------------


def test_the_readme_pytest_example_runs_as_written(pytester: pytest.Pytester) -> None:
    tour = pytester.mkdir("tour")
    for name in ("beacon.py", "wait_wsh.py"):
        shutil.copy(REPO / "handlers" / "examples" / name, tour / name)
    pytester.path.joinpath("test_tour.py").write_text(readme_block("# test_tour.py"))
    assert "--harness-doc-root=tour test_tour.py" in README
    result = pytester.runpytest_subprocess("-p", "no:xdist", "--harness-doc-root=tour", "test_tour.py")
    result.assert_outcomes(passed=1)


def test_the_readme_journal_example_runs_as_written(pytester: pytest.Pytester) -> None:
    pytester.path.joinpath("test_journal_example.py").write_text(readme_block("# test_journal_example.py"))
    pytester.runpytest_subprocess("-p", "no:xdist").assert_outcomes(passed=1)


def test_the_readme_uses_equals_forms_for_options() -> None:
    options = r"--(?:harness-[a-z-]+|doc-root|config|state-file|exit-with-pid|log-level)"
    spaced = re.findall(options + r" [A-Za-z/.~$\"]", README)
    assert spaced == []


def test_the_readme_has_a_differences_from_wptserve_section() -> None:
    assert "## Differences from wptserve" in README


def test_gitignore_lists_no_tracked_file() -> None:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    ignored = subprocess.run(
        ["git", "ls-files", "--cached", "--ignored", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert ignored == []


# -- browser ------------------------------------------------------------------------------

BROWSER_TEST = """
def test_page(harness_page):
    harness_page.goto("/examples/hello.py")
    assert harness_page.text_content("body") == "ok"
"""
PLAYWRIGHT_PAGE_TEST = """
def test_pytest_playwright_page(page):
    page.goto("/examples/hello.py")
    assert page.text_content("body") == "ok"
"""
ASYNCIO_TEST = """
import asyncio

def test_asyncio_run():
    async def answer():
        await asyncio.sleep(0)
        return 42
    assert asyncio.run(answer()) == 42
"""
SECOND_PLAYWRIGHT_TEST = """
def test_own_sync_playwright():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        assert playwright.chromium.name == "chromium"
"""


@pytest.mark.parametrize("order", ["browser-first", "asyncio-first"])
def test_a_browser_test_and_asyncio_run_in_one_process(pytester: pytest.Pytester, order: str) -> None:
    needs_chromium()
    parts = [BROWSER_TEST, ASYNCIO_TEST, SECOND_PLAYWRIGHT_TEST]
    if order == "asyncio-first":
        parts.reverse()
    pytester.makepyfile("\n".join(parts))
    pytester.runpytest_subprocess("-p", "no:xdist", "-p", "no:randomly").assert_outcomes(passed=3)


@pytest.mark.parametrize("order", ["harness-first", "pytest-playwright-first"])
def test_harness_page_and_pytest_playwright_page_in_one_run(pytester: pytest.Pytester, order: str) -> None:
    needs_chromium()
    pytest.importorskip("pytest_playwright", reason="pytest-playwright is not installed")
    pytester.makeconftest(
        "from pytest_harness.playwright import browser_context_args, browser_type_launch_args  # noqa: F401\n"
    )
    parts = [BROWSER_TEST, PLAYWRIGHT_PAGE_TEST, ASYNCIO_TEST]
    if order == "pytest-playwright-first":
        parts = [PLAYWRIGHT_PAGE_TEST, ASYNCIO_TEST, BROWSER_TEST]
    pytester.makepyfile("\n".join(parts))
    pytester.runpytest_subprocess("-p", "no:xdist", "-p", "no:randomly").assert_outcomes(passed=3)


def test_without_a_browser_browser_tests_skip_naming_the_reason(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(BROWSER_TEST + ASYNCIO_TEST)
    result = pytester.runpytest_subprocess("-p", "no:xdist", "-rs", "--harness-browser=none")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED*no Chromium found (looked for --harness-browser=none)*"])


def test_screenshot_and_trace_are_kept_for_the_failing_test_only(pytester: pytest.Pytester) -> None:
    needs_chromium()
    pytester.makepyfile(
        """
        def test_passes(harness_page):
            harness_page.goto("/examples/hello.py")

        def test_fails(harness_page):
            harness_page.goto("/examples/hello.py")
            assert harness_page.text_content("body") == "not ok"
        """
    )
    result = pytester.runpytest_subprocess(
        "-p",
        "no:xdist",
        "--harness-screenshot=only-on-failure",
        "--harness-tracing=retain-on-failure",
        "--harness-output=artifacts",
    )
    result.assert_outcomes(passed=1, failed=1)
    folders = {path.name: path for path in (pytester.path / "artifacts").iterdir()}
    failing = next(path for name, path in folders.items() if name.endswith("test_fails"))
    assert (failing / "screenshot-0.png").read_bytes().startswith(b"\x89PNG")
    assert (failing / "trace.zip").stat().st_size > 0
    assert not any(name.endswith("test_passes") for name in folders)


def test_video_is_kept_for_the_failing_test_only(pytester: pytest.Pytester) -> None:
    needs_chromium()
    browsers = PLAYWRIGHT_CACHE
    if not list(browsers.glob("ffmpeg-*/ffmpeg-*")):
        pytest.skip(f"Playwright's ffmpeg is not in {browsers} (playwright install ffmpeg): no video recording")
    pytester.makepyfile(
        """
        def test_passes(harness_page):
            harness_page.goto("/examples/hello.py")

        def test_fails(harness_page):
            harness_page.goto("/examples/hello.py")
            assert False
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:xdist", "--harness-video=retain-on-failure")
    result.assert_outcomes(passed=1, failed=1)
    videos = list((pytester.path / "harness-results").glob("**/*.webm"))
    assert videos and all("test_fails" in str(video) for video in videos)


def test_the_browser_options_are_listed_in_help(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--help")
    for option in ("--harness-headed", "--harness-tracing", "--harness-video", "--harness-screenshot"):
        result.stdout.fnmatch_lines([f"*{option}*"])


# -- the command line ---------------------------------------------------------------------


def _harness(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", *args], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
    )


def test_harness_alone_prints_help() -> None:
    result = _harness()
    assert result.returncode == 0
    assert "serve" in result.stdout and "config" in result.stdout
    assert "required" not in result.stderr


def test_serve_help_has_a_description_and_examples() -> None:
    result = _harness("serve", "--help")
    assert result.returncode == 0
    assert "Start the stash and the HTTP, HTTPS, WS and WSS servers" in result.stdout
    assert "examples:" in result.stdout and "harness serve --doc-root=site" in result.stdout


def test_harness_config_prints_the_effective_and_the_embedded_config(tmp_path: Path) -> None:
    override = tmp_path / "my.json"
    override.write_text('{"http": {"max_body_bytes": 10}}')
    effective = json.loads(_harness("config", f"--config={override}").stdout)
    assert effective["http"]["max_body_bytes"] == 10
    embedded = _harness("config", "--embedded").stdout
    assert json.loads(embedded) == json.loads((REPO / "config.json").read_text())
    bad = _harness("config", "--config=/no/such.json")
    assert bad.returncode == 2 and "no such configuration file" in bad.stderr


def test_the_banner_shows_the_document_root(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "harness", "serve", f"--doc-root={site}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if "ready in" in line:
                break
        assert f"harness: document root: {site}\n" in lines
    finally:
        process.terminate()
        process.wait(30)


def test_dev_py_takes_paths_from_the_callers_folder(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("dev", REPO / "dev.py")
    assert spec is not None and spec.loader is not None
    dev = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dev)
    (tmp_path / "tour").mkdir()
    (tmp_path / "x.json").write_text("{}")
    args = ["--doc-root=tour", "--config=x.json", "tour", "-k", "name", "--other=missing"]
    assert dev.caller_paths(args, tmp_path) == [
        f"--doc-root={tmp_path / 'tour'}",
        f"--config={tmp_path / 'x.json'}",
        str(tmp_path / "tour"),
        "-k",
        "name",
        "--other=missing",
    ]
