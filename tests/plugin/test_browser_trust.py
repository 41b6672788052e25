"""Chromium's trust in a run's CA is real verification: another CA or another name is refused.

Each case launches the system's Chromium with the trust the plugin would give it, against small
TLS servers of the test's own whose certificates come from a trustme CA made here.
"""

from __future__ import annotations

import http.server
import shutil
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from harness.run.tls import spki_pin
from pytest_harness.browser import ChromiumTrust, ca_trust, chromium_launch_args, find_chromium, pin_trust

pytestmark = pytest.mark.browser


class _OkHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _TLSServer:
    """An HTTPS server on 127.0.0.1 presenting ``cert``; ``url`` is on ``localhost``."""

    def __init__(self, cert: trustme.LeafCert) -> None:
        self.cert = cert
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(context)
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _OkHandler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://localhost:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def chromium(harness_playwright: Any, pytestconfig: pytest.Config) -> tuple[Any, str]:
    # The process's one Playwright: a second one would find the first one's event loop.
    path, looked = find_chromium(pytestconfig.getoption("harness_browser"))
    if path is None:
        pytest.skip(f"no Chromium found (looked for {looked})")
    return harness_playwright.chromium, path


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA(organization_name="trusted test CA")


@pytest.fixture(scope="module")
def servers(authority: trustme.CA) -> Iterator[dict[str, _TLSServer]]:
    certs = {
        "trusted CA, right name": authority.issue_cert("localhost", "127.0.0.1"),
        "trusted CA, other name": authority.issue_cert("other.test"),
        "other CA, right name": trustme.CA(organization_name="unknown CA").issue_cert("localhost", "127.0.0.1"),
    }
    running = {case: _TLSServer(cert) for case, cert in certs.items()}
    yield running
    for server in running.values():
        server.close()


def _outcomes(chromium: tuple[Any, str], trust: ChromiumTrust, servers: dict[str, _TLSServer]) -> dict[str, str]:
    """What Chromium, launched with ``trust``, makes of each server: its body or the net:: error."""
    browser_type, path = chromium
    from playwright.sync_api import Error

    browser = browser_type.launch(executable_path=path, headless=True, args=chromium_launch_args(trust), env=trust.env)
    try:
        outcomes: dict[str, str] = {}
        for case, server in servers.items():
            page = browser.new_page()
            try:
                page.goto(server.url, timeout=15000)
                outcomes[case] = page.text_content("body") or ""
            except Error as exc:  # "net::ERR_..." in its message
                outcomes[case] = next((word for word in str(exc).split() if word.startswith("net::")), str(exc))
            finally:
                page.close()
        return outcomes
    finally:
        browser.close()


def test_ca_trust_verifies_the_chain_and_the_name(
    chromium: tuple[Any, str], authority: trustme.CA, servers: dict[str, _TLSServer], tmp_path: Path
) -> None:
    certutil = shutil.which("certutil")
    if certutil is None:
        pytest.skip("certutil is not installed (Debian: libnss3-tools); the plugin falls back to the SPKI pin")
    ca_pem = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_pem))
    trust = ca_trust(ca_pem, tmp_path, certutil)
    assert trust.mode == "ca"
    assert not any("ignore-certificate-errors" in arg for arg in chromium_launch_args(trust))
    assert _outcomes(chromium, trust, servers) == {
        "trusted CA, right name": "ok",
        "trusted CA, other name": "net::ERR_CERT_COMMON_NAME_INVALID",
        "other CA, right name": "net::ERR_CERT_AUTHORITY_INVALID",
    }


def test_pin_trust_accepts_only_the_pinned_key(chromium: tuple[Any, str], servers: dict[str, _TLSServer]) -> None:
    leaf = servers["trusted CA, right name"].cert.cert_chain_pems[0].bytes()
    trust = pin_trust(spki_pin(leaf))
    assert trust.mode == "pin"
    assert "host names" in trust.note
    outcomes = _outcomes(chromium, trust, servers)
    assert outcomes["trusted CA, right name"] == "ok"
    assert outcomes["trusted CA, other name"].startswith("net::ERR_CERT_")
    assert outcomes["other CA, right name"] == "net::ERR_CERT_AUTHORITY_INVALID"


def test_ca_trust_names_a_failing_certutil(tmp_path: Path) -> None:
    not_a_cert = tmp_path / "ca.pem"
    not_a_cert.write_text("not a certificate\n")
    certutil = shutil.which("certutil")
    if certutil is None:
        pytest.skip("certutil is not installed (Debian: libnss3-tools)")
    with pytest.raises(RuntimeError, match=r"certutil -A .* failed with status"):
        ca_trust(not_a_cert, tmp_path, certutil)
