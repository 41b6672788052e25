"""The tests/wpt_handlers corpus replayed against stash-harness and a real wptserve 4.0.3.

Each request goes to both servers; status, reason, body and headers must match once run-
specific values (ports, UUIDs, dates) are masked. Headers where the harness deliberately
differs are left out of the comparison: Server, Date, Connection and framing
(Content-Length, Transfer-Encoding: wptserve closes connections where we keep them alive),
and Accept-Ranges (we serve Range on static files, also without asking).

wptserve is in the ``bench`` extra; without it this module skips and says so.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from harness.run.launcher import HarnessProcess
from pytest_harness import Harness
from tests.integration.test_wpt_compat import ROOT, Reply, fetch

wptserve_server = pytest.importorskip(
    "wptserve.server", reason="wptserve 4.0.3 is not installed (pip install -e '.[bench]') for the differential test"
)
wptserve_stash = pytest.importorskip("wptserve.stash", reason="wptserve is not installed")
wptserve_handlers = pytest.importorskip("wptserve.handlers", reason="wptserve is not installed")
wptserve_routes = pytest.importorskip("wptserve.routes", reason="wptserve is not installed")

IGNORED_HEADERS = {"server", "date", "connection", "content-length", "transfer-encoding", "accept-ranges", "keep-alive"}
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_COOKIE_DATE = re.compile(r"\d\d [a-z]{3} \d{4} \d\d:\d\d:\d\d GMT")


@pytest.fixture(scope="module")
def harness_port() -> Iterator[int]:
    process = HarnessProcess(doc_root=ROOT)
    try:
        yield int(Harness(process.start()).config.ports.http)
    finally:
        process.close()


@pytest.fixture(scope="module")
def wptserve_port() -> Iterator[int]:
    saved = os.environ.get("WPT_STASH_CONFIG")
    with wptserve_stash.StashServer():
        # wpt serve's script routes for two paths without .py, ahead of wptserve's defaults.
        script = wptserve_handlers.PythonScriptHandler()
        routes = [
            ("*", "/.well-known/web-identity", script),
            ("GET", "/.well-known/interest-group/permissions/", script),
            *wptserve_routes.routes,
        ]
        server = wptserve_server.WebTestHttpd(host="localhost", port=0, doc_root=str(ROOT), routes=routes)
        server.start()
        try:
            yield int(server.port)
        finally:
            server.stop()
            if saved is None:
                os.environ.pop("WPT_STASH_CONFIG", None)
            else:
                os.environ["WPT_STASH_CONFIG"] = saved


def _mask(text: str, port: int) -> str:
    text = _UUID.sub("UUID", text)
    text = _COOKIE_DATE.sub("DATE", text)
    return re.sub(rf"\b{port}\b", "PORT", text)


def _normalized(reply: Reply, port: int, decompress: bool = False) -> dict[str, Any]:
    body = gzip.decompress(reply.body) if decompress and reply.status == 200 else reply.body
    headers = sorted((name, _mask(value, port)) for name, value in reply.headers if name.lower() not in IGNORED_HEADERS)
    # A 500's message is each server's own wording; that it is a 500 is what must match.
    return {
        "status": reply.status,
        "reason": reply.reason if reply.status != 500 else "",
        "headers": headers if reply.status != 500 else [],
        "body": _mask(body.decode("latin-1"), port) if reply.status != 500 else "",
    }


MULTIPART = (
    b'--b0undary\r\nContent-Disposition: form-data; name="plain"\r\n\r\nvalue\r\n'
    b'--b0undary\r\nContent-Disposition: form-data; name="nofile"; filename=""\r\n\r\nempty name\r\n'
    b'--b0undary\r\nContent-Disposition: form-data; name="up"; filename="a.txt"\r\n\r\nfile body\r\n'
    b"--b0undary--\r\n"
)

CORPUS: list[tuple[str, str, list[tuple[str, str]], bytes | None]] = [
    ("GET", "/page.sub.html?q=%3Ca%3E", [("X-Test", "t<1>")], None),
    ("GET", "/plain.sub.txt?q=%3Ca%3E", [], None),
    ("GET", "/plain.sub.txt?q=x&pipe=sub", [], None),
    ("GET", "/undefined.sub.txt", [], None),
    ("GET", "/headered.txt?v=zz", [], None),
    ("GET", "/dirheaders/file.txt", [], None),
    ("GET", "/raw.asis", [], None),
    ("GET", "/.well-known/web-identity", [], None),
    ("GET", "/.well-known/interest-group/permissions/", [], None),
    ("GET", "/resources/json_info.py?x=1", [], None),
    ("GET", "/resources/json_status.py", [], None),
    ("GET", "/resources/template_in_handler.py?x=%3Cb%3E", [], None),
    ("GET", "/resources/status_headers_first.py", [], None),
    ("GET", "/resources/writer_none.py", [], None),
    ("GET", "/resources/no_required_headers.py?content_type=text/css", [], None),
    ("GET", "/resources/no_required_headers_returned.py", [], None),
    ("GET", "/resources/odd_headers.py", [], None),
    ("GET", "/resources/cookies.py", [], None),
    ("GET", "/resources/cookie_echo.py", [("Cookie", "a=1; b=two; a=3")], None),
    ("GET", "/resources/cookie_echo.py", [("Cookie", 'q="quoted"; empty=; odd=%20')], None),
    (
        "GET",
        "/resources/request_surface.py",
        [("X-Case", "Mixed"), ("Cookie", "flavour=oat")],
        None,
    ),
    ("POST", "/resources/multipart_echo.py", [("Content-Type", "multipart/form-data; boundary=b0undary")], MULTIPART),
    ("GET", "/resources/alphabet.txt?pipe=status(404)|header(X-A,1)|header(X-A,2,True)", [], None),
    ("GET", "/resources/alphabet.txt?pipe=slice(2,5)", [], None),
    ("GET", "/resources/alphabet.txt?pipe=slice(-3)", [], None),
    ("GET", "/resources/alphabet.txt?pipe=slice(null,2)", [], None),
    ("GET", "/resources/alphabet.txt?pipe=trickle(10:d0.01:r2)", [], None),
    ("GET", "/resources/alphabet.txt?pipe=gzip", [], None),
    ("GET", "/resources/alphabet.txt?pipe=nosuchpipe", [], None),
    ("GET", "/resources/body.py?pipe=slice(1,4)", [], None),
    ("GET", "/resources/body.py?pipe=header(X-A,1,True)", [], None),
    ("GET", "/resources/body_by_response.py?pipe=slice(1,4)", [], None),
    ("GET", "/resources/body_by_response.py?pipe=status(201)|header(X-B,2)", [], None),
]


@pytest.mark.parametrize(("method", "path", "headers", "body"), CORPUS, ids=[f"{m} {p}" for m, p, _h, _b in CORPUS])
def test_same_response_as_wptserve(
    harness_port: int,
    wptserve_port: int,
    method: str,
    path: str,
    headers: list[tuple[str, str]],
    body: bytes | None,
) -> None:
    decompress = "pipe=gzip" in path
    ours = _normalized(fetch(harness_port, path, method, headers, body), harness_port, decompress)
    theirs = _normalized(fetch(wptserve_port, path, method, headers, body), wptserve_port, decompress)
    assert ours == theirs


def test_same_stash_behaviour_as_wptserve(harness_port: int, wptserve_port: int) -> None:
    for port in (harness_port, wptserve_port):
        key = str(uuid.uuid4())
        put = fetch(port, f"/resources/env_stash.py?action=put&key={key}&value=v")
        assert json.loads(put.body) == {"second_put": "StashError"}
        assert json.loads(fetch(port, f"/resources/env_stash.py?action=take&key={key}").body) == {"value": "v"}
        assert json.loads(fetch(port, f"/resources/env_stash.py?action=take&key={key}").body) == {"value": None}
        roundtrip = f"/resources/stash_roundtrip.py?key={key}"
        assert fetch(port, roundtrip, "POST", body=b"x").body == b"stored"
        assert fetch(port, roundtrip).body == b"x"
