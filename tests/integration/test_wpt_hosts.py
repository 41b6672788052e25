"""wpt's host layout on loopback: the certificate covers every name, clients and Chromium resolve them.

No hosts file and no root: the plugin's clients dial 127.0.0.1 for the layout's names and keep
the name in Host and SNI; Chromium gets ``--host-resolver-rules``. TLS is verified against the
run's CA throughout.
"""

from __future__ import annotations

import json
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from websockets.sync.client import connect

from harness.run.launcher import HarnessProcess
from harness.wpt.hosts import HostLayout
from pytest_harness import Harness
from pytest_harness.browser import chromium_launch_args, find_chromium

WPT_ROOT = Path(__file__).resolve().parents[1] / "wpt_handlers"


@pytest.fixture(scope="module")
def wpt_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    config = tmp_path_factory.mktemp("wpt-hosts") / "config.json"
    config.write_text(json.dumps({"wpt": {"enabled": True}}))
    process = HarnessProcess(config=config, doc_root=WPT_ROOT)
    try:
        yield Harness(process.start())
    finally:
        process.close()


def _port(harness: Harness, scheme: str) -> int:
    return int(harness.urls[scheme].rsplit(":", 1)[1])


def test_urls_use_the_browser_host(wpt_harness: Harness) -> None:
    assert wpt_harness.urls["https"] == f"https://web-platform.test:{_port(wpt_harness, 'https')}"
    assert wpt_harness.hosts_enabled


@pytest.mark.parametrize(
    "host",
    ["web-platform.test", "www.web-platform.test", "www2.www1.not-web-platform.test", "天気の良い日.web-platform.test"],
)
def test_https_to_a_wpt_host_verifies_against_the_run_ca(wpt_harness: Harness, host: str) -> None:
    port = _port(wpt_harness, "https")
    with wpt_harness.http_session() as session:
        response = session.get(f"https://{host}:{port}/cors.py", timeout=10)
    assert response.status_code == 200
    ascii_host = host.encode("idna").decode("ascii")
    assert response.json() == {"host": f"{ascii_host}:{port}"}


def test_http_to_the_alt_host(wpt_harness: Harness) -> None:
    port = _port(wpt_harness, "http")
    with wpt_harness.http_session() as session:
        response = session.get(f"http://not-web-platform.test:{port}/cors.py", timeout=10)
    assert response.json() == {"host": f"not-web-platform.test:{port}"}


def test_sub_files_get_the_layouts_names(wpt_harness: Harness) -> None:
    with wpt_harness.http_session() as session:
        response = session.get(wpt_harness.url("https", "/websockets/hosts.sub.txt"), timeout=10)
    assert response.status_code == 200
    assert response.text.split() == [
        "web-platform.test",
        "www.web-platform.test",
        "www.www1.web-platform.test",
        "xn--lve-6lad.not-web-platform.test",
        "nonexistent.web-platform.test",
        str(_port(wpt_harness, "wss")),
    ]


def test_wss_to_an_idna_subdomain_verifies_against_the_run_ca(wpt_harness: Harness) -> None:
    port = _port(wpt_harness, "wss")
    with wpt_harness.ws_connect(f"wss://élève.web-platform.test:{port}/headers?a=2") as ws:
        report = json.loads(ws.recv(timeout=10))
    assert report["host"] == f"xn--lve-6lad.web-platform.test:{port}"
    assert report["https"] is True


def test_the_certificate_is_checked_against_the_name(wpt_harness: Harness) -> None:
    # The run's CA, but a name the certificate does not cover: refused, even though it is loopback.
    port = _port(wpt_harness, "wss")
    context = ssl.create_default_context(cafile=str(wpt_harness.ca_cert))
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    with pytest.raises(ssl.SSLCertVerificationError):
        connect(f"wss://other.test:{port}/echo", sock=sock, ssl=context, open_timeout=10)


def test_nonexistent_names_are_not_sent_to_loopback(wpt_harness: Harness) -> None:
    layout = wpt_harness.host_layout
    assert not layout.resolves("nonexistent.web-platform.test")
    assert layout.resolves("WWW.Web-Platform.Test")
    assert layout.not_domains()["alt"]["nonexistent"] == "nonexistent.not-web-platform.test"


def test_a_plain_requests_session_cannot_reach_them(wpt_harness: Harness) -> None:
    # Nothing is patched process-wide: only the harness's clients resolve the layout's names.
    port = _port(wpt_harness, "https")
    layout = HostLayout.wpt()
    assert layout.resolves("www.web-platform.test")
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"https://www.web-platform.test:{port}/cors.py", timeout=5, verify=str(wpt_harness.ca_cert))


@pytest.fixture(scope="module")
def chromium_page(wpt_harness: Harness, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    path, looked = find_chromium()
    if path is None:
        pytest.skip(f"no Chromium found (looked for {looked})")
    trust = wpt_harness.chromium_trust(tmp_path_factory.mktemp("chromium-trust"))
    if trust.mode != "ca":
        pytest.skip(f"certutil is missing, so Chromium cannot check host names: {trust.note}")
    args = [*chromium_launch_args(trust), *wpt_harness.chromium_host_rules()]
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=args, env=dict(trust.env or {}), headless=True)
        page = browser.new_page()
        yield page
        browser.close()


@pytest.mark.browser
def test_chromium_fetches_a_cross_origin_subdomain(wpt_harness: Harness, chromium_page: Any) -> None:
    https = _port(wpt_harness, "https")
    chromium_page.goto(wpt_harness.url("https", "/page.html"))
    assert chromium_page.evaluate("location.origin") == f"https://web-platform.test:{https}"
    result = chromium_page.evaluate(
        """async (url) => {
            const response = await fetch(url, {mode: "cors"});
            return await response.json();
        }""",
        f"https://www1.web-platform.test:{https}/cors.py",
    )
    assert result == {"host": f"www1.web-platform.test:{https}"}


@pytest.mark.browser
def test_chromium_opens_wss_to_an_idna_subdomain(wpt_harness: Harness, chromium_page: Any) -> None:
    wss = _port(wpt_harness, "wss")
    chromium_page.goto(wpt_harness.url("https", "/page.html"))
    echoed = chromium_page.evaluate(
        """(url) => new Promise((resolve, reject) => {
            const ws = new WebSocket(url, "echo");
            ws.onopen = () => ws.send("from chromium");
            ws.onmessage = (event) => { resolve([ws.protocol, event.data]); ws.close(); };
            ws.onerror = () => reject(new Error("WebSocket error"));
        })""",
        f"wss://élève.web-platform.test:{wss}/echo",
    )
    assert echoed == ["echo", "from chromium"]
