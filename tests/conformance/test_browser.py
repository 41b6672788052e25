"""A real headless Chromium: an HTTPS page POSTs over CORS to the HTTP server, sends a beacon
to the HTTPS server and reads, over WSS, what its POST put; the test takes the beacon."""

from __future__ import annotations

import os
import shutil

import pytest

pytestmark = pytest.mark.browser


def test_fetch_beacon_and_wss_from_a_page(harness_page, stash, harness_tokens) -> None:
    posted, beacon = harness_tokens(), harness_tokens()
    harness_page.goto(f"/conformance/beacon_page.py?id={posted}&beacon={beacon}")
    assert stash.take(beacon, path="/browser", timeout=15) == b"sent by beacon"
    harness_page.wait_for_function(
        "document.querySelector('#ws').textContent || document.querySelector('#error').textContent", timeout=15000
    )
    assert harness_page.text_content("#error") == ""
    assert harness_page.text_content("#fetch") == "201"
    assert harness_page.text_content("#ws") == "posted by fetch"


def test_the_browser_trusts_the_run_ca_as_a_root(harness_browser_launch_args, harness_page) -> None:
    """With certutil (CI installs it) the trust is the run's CA, not a flag that ignores errors.

    tests/plugin/test_browser_trust.py shows that this trust refuses other CAs and other names.
    """
    harness_page.goto("/examples/hello.py")
    assert harness_page.text_content("body") == "ok"
    flags = " ".join(harness_browser_launch_args["args"])
    if shutil.which("certutil") is None:
        assert "--ignore-certificate-errors-spki-list=" in flags
        pytest.skip("certutil is not installed (Debian: libnss3-tools): the browser trusts the SPKI pin instead")
    assert "ignore-certificate-errors" not in flags
    assert harness_browser_launch_args["env"]["HOME"] != os.environ.get("HOME")
