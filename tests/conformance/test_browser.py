"""A real headless Chromium: an HTTPS page POSTs over CORS to the HTTP server, sends a beacon
to the HTTPS server and reads, over WSS, what its POST put; the test takes the beacon."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_fetch_beacon_and_wss_from_a_page(harness_page, stash, tokens) -> None:
    posted, beacon = tokens(), tokens()
    harness_page.goto(f"/conformance/beacon_page.py?id={posted}&beacon={beacon}")
    assert stash.take(beacon, path="/browser", timeout=15) == b"sent by beacon"
    harness_page.wait_for_function(
        "document.querySelector('#ws').textContent || document.querySelector('#error').textContent", timeout=15000
    )
    assert harness_page.text_content("#error") == ""
    assert harness_page.text_content("#fetch") == "201"
    assert harness_page.text_content("#ws") == "posted by fetch"


def test_the_browser_trusts_only_the_pinned_certificate(harness_browser, harness) -> None:
    """The trust comes from the SPKI pin of this run's certificate, not from ignoring errors."""
    from playwright.sync_api import Error

    context = harness_browser.new_context()
    try:
        page = context.new_page()
        page.goto(harness.url("https", "/examples/hello.py"))
        assert page.text_content("body") == "ok"
    finally:
        context.close()
    # A certificate for another name is not covered by the pin.
    other = harness.url("https", "/examples/hello.py").replace("localhost", "127.0.0.2")
    context = harness_browser.new_context()
    try:
        with pytest.raises(Error):
            context.new_page().goto(other, timeout=10000)
    finally:
        context.close()
