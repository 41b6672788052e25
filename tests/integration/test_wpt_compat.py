"""wpt handler trees on a live harness: wptserve imports, stash, pipes, .sub., .asis, raw headers.

The document root is tests/wpt_handlers (handler files we wrote in wpt's style). Each test
asserts what wptserve 4.0.3 does; test_wpt_differential.py replays the same corpus against a
real wptserve when it is installed.
"""

from __future__ import annotations

import gzip
import http.client
import json
import re
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.run.launcher import HarnessProcess
from pytest_harness import Harness

ROOT = Path(__file__).resolve().parent.parent / "wpt_handlers"


@pytest.fixture(scope="module")
def wpt_harness() -> Iterator[Harness]:
    process = HarnessProcess(doc_root=ROOT)
    try:
        yield Harness(process.start())
    finally:
        process.close()


@pytest.fixture(scope="module")
def port(wpt_harness: Harness) -> int:
    return int(wpt_harness.config.ports.http)


class Reply:
    """A response as it came off the wire: status line, raw header lines, body."""

    def __init__(self, status: int, reason: str, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body

    def values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]


def fetch(
    port: int, path: str, method: str = "GET", headers: list[tuple[str, str]] | None = None, body: bytes | None = None
) -> Reply:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        connection.putrequest(method, path)
        for name, value in headers or []:
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return Reply(response.status, response.reason, response.getheaders(), response.read())
    finally:
        connection.close()


def raw_exchange(port: int, request: bytes) -> bytes:
    """Send ``request`` and read until the server closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(request)
        chunks = []
        while data := sock.recv(65536):
            chunks.append(data)
    return b"".join(chunks)


# -- the wptserve modules ---------------------------------------------------------------------


def test_handlers_import_wptserve_utils_and_use_the_stash(port: int) -> None:
    key = str(uuid.uuid4())
    assert fetch(port, f"/resources/stash_roundtrip.py?key={key}", "POST", body="café".encode()).body == b"stored"
    taken = fetch(port, f"/resources/stash_roundtrip.py?key={key}")
    assert (taken.status, taken.body) == (200, "café".encode())  # isomorphic: the bytes come back
    assert fetch(port, f"/resources/stash_roundtrip.py?key={key}").status == 404  # read-once


def test_wptserve_stash_from_load_env_config_is_the_runs_stash(port: int, wpt_harness: Harness) -> None:
    key = str(uuid.uuid4())
    put = fetch(port, f"/resources/env_stash.py?action=put&key={key}&value=shared")
    assert json.loads(put.body) == {"second_put": "StashError"}  # write-once, wptserve's exception
    # The value lives in the harness's stash, reachable from the test process too.
    assert wpt_harness.stash().take(key, path="/shared/path") == "shared"
    key2 = str(uuid.uuid4())
    wpt_harness.stash().put(key2, "from the test", path="/shared/path")
    assert json.loads(fetch(port, f"/resources/env_stash.py?action=take&key={key2}").body) == {"value": "from the test"}


def test_json_handler(port: int) -> None:
    reply = fetch(port, "/resources/json_info.py?x=1")
    assert reply.status == 200
    assert reply.values("Content-Type") == ["application/json"]
    assert json.loads(reply.body) == {"method": "GET", "x": "1"}
    made = fetch(port, "/resources/json_status.py")
    assert (made.status, made.values("X-Made"), json.loads(made.body)) == (201, ["yes"], {"made": True})


def test_pipes_template_imported_by_a_handler(port: int) -> None:
    reply = fetch(port, "/resources/template_in_handler.py?x=%3Cb%3E")
    assert reply.body == b"host=localhost x=<b> <<b>>"


def test_nothing_named_wptserve_in_the_test_process_comes_from_us() -> None:
    import sys

    from harness.wpt.modules import SHIMS_DIR, installed

    assert not installed()
    module = sys.modules.get("wptserve")
    assert module is None or not str(getattr(module, "__file__", "")).startswith(SHIMS_DIR)


def test_wpt_script_routes_without_py_and_directory_defaults(port: int) -> None:
    assert fetch(port, "/.well-known/web-identity").body == b'{"from": "web-identity"}'
    assert fetch(port, "/.well-known/interest-group/permissions/").body == b'{"from": "default.py"}'


# -- .sub. ------------------------------------------------------------------------------------


def test_sub_html_substitutes_and_escapes(port: int) -> None:
    reply = fetch(port, "/page.sub.html?q=%3Ca%3E", headers=[("X-Test", "t<1>")])
    text = reply.body.decode()
    fields = dict(re.findall(r"<p id=(\w+)>(.*)</p>", text))
    assert fields["host"] == "localhost"
    assert fields["port"] == str(port)
    assert fields["domain"] == fields["hosts"] == "localhost"
    assert fields["path"] == "/page.sub.html"
    assert fields["query"] == "?q=%3Ca%3E"
    assert fields["server"] == f"http://127.0.0.1:{port}"
    assert fields["get"] == "&lt;a&gt;"  # HTML-escaped in a markup file
    assert fields["header"] == "t&lt;1&gt;"
    assert fields["default"] == "absent"
    first, second = fields["var"].split("|")
    assert first == second and uuid.UUID(first)
    assert fields["base"] == "/"
    assert fields["hash"] == "w/zT12GS5AB9+0lsymfhOw=="  # base64 md5 of resources/alphabet.txt


def test_second_http_and_https_ports_as_in_wpt(port: int, wpt_harness: Harness) -> None:
    http0, http1, https0, https1, ws0 = (int(p) for p in fetch(port, "/ports.sub.txt").body.split())
    assert (http0, https0, ws0) == (port, wpt_harness.config.ports.https, wpt_harness.config.ports.ws)
    assert len({http0, http1, https0, https1, ws0}) == 5
    # The second ports are served by the same servers: same documents, same stash.
    assert fetch(http1, "/plain.sub.txt?q=2").body == b"raw=2\n"
    session = wpt_harness.http_session()
    try:
        reply = session.get(f"https://localhost:{https1}/plain.sub.txt?q=3")
    finally:
        session.close()
    assert reply.content == b"raw=3\n"


def test_sub_text_is_not_escaped(port: int) -> None:
    assert fetch(port, "/plain.sub.txt?q=%3Ca%3E").body == b"raw=<a>\n"


def test_undefined_substitution_is_a_500_naming_it(port: int) -> None:
    reply = fetch(port, "/undefined.sub.txt")
    assert reply.status == 500
    assert b"nonexistent_key" in reply.body


def test_sub_headers_beside_a_file_and_in_a_directory(port: int) -> None:
    reply = fetch(port, "/headered.txt?v=zz")
    assert reply.values("X-From-Sub") == ["zz"]
    assert reply.values("Content-Type") == ["text/x-custom"]
    assert fetch(port, "/dirheaders/file.txt").values("X-Dir-Host") == ["localhost"]


# -- .asis ------------------------------------------------------------------------------------


def test_asis_file_is_the_whole_response(port: int) -> None:
    wire = raw_exchange(port, b"GET /raw.asis HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert wire == b"HTTP/1.1 299 Made Up\r\nX-As-Is: yes\r\nContent-Length: 5\r\n\r\nasis!"
    wire = raw_exchange(port, b"GET /nolength.asis HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert wire.endswith(b"\r\n\r\nno length, closes")  # the connection closes after it


# -- pipes ------------------------------------------------------------------------------------


def test_status_and_header_pipes(port: int) -> None:
    reply = fetch(port, "/resources/alphabet.txt?pipe=status(404)|header(X-A,1)|header(X-A,2,True)|header(X-B,b)")
    assert reply.status == 404
    assert reply.values("X-A") == ["1", "2"]
    assert reply.values("X-B") == ["b"]
    assert reply.body == b"abcdefghijklmnopqrstuvwxyz"


@pytest.mark.parametrize(
    ("pipe", "body"),
    [("slice(2,5)", b"cde"), ("slice(-3)", b"xyz"), ("slice(null,2)", b"ab"), ("slice(20,null)", b"uvwxyz")],
)
def test_slice_pipe(port: int, pipe: str, body: bytes) -> None:
    reply = fetch(port, f"/resources/alphabet.txt?pipe={pipe}")
    assert (reply.status, reply.body, reply.values("Content-Length")) == (200, body, [str(len(body))])


def test_gzip_pipe(port: int) -> None:
    reply = fetch(port, "/resources/alphabet.txt?pipe=gzip")
    assert reply.values("Content-Encoding") == ["gzip"]
    assert gzip.decompress(reply.body) == b"abcdefghijklmnopqrstuvwxyz"


def test_trickle_pipe_sends_in_parts_with_delays(port: int) -> None:
    started = time.monotonic()
    reply = fetch(port, "/resources/alphabet.txt?pipe=trickle(5:d0.2:r2)")
    elapsed = time.monotonic() - started
    assert reply.body == b"abcdefghijklmnopqrstuvwxyz"
    assert reply.values("Cache-Control") == ["no-cache, no-store, must-revalidate"]
    assert elapsed >= 5 * 0.2 * 0.9  # 26 bytes in 5-byte steps: five delays


def test_pipes_on_a_handler_are_applied_as_wptserve_applies_them(port: int) -> None:
    # A handler that returns its body is piped twice by wptserve (its function handler,
    # then its script handler); one that sets response.content, once.
    assert fetch(port, "/resources/body.py?pipe=slice(1,4)").body == b"23"
    assert fetch(port, "/resources/body_by_response.py?pipe=slice(1,4)").body == b"bcd"
    assert fetch(port, "/resources/body_by_response.py?pipe=status(201)").status == 201


@pytest.mark.parametrize("pipe", ["nosuchpipe", "status(abc)", "header(X-Only)", "trickle(d1:r3)", "sub(xml)"])
def test_a_bad_pipe_is_a_500_naming_it(port: int, pipe: str) -> None:
    for path in ("/resources/alphabet.txt", "/resources/body.py"):
        reply = fetch(port, f"{path}?pipe={pipe}")
        assert reply.status == 500, (path, pipe)
        assert pipe.split("(")[0].encode() in reply.body


# -- the response as the handler wrote it ------------------------------------------------------


def test_odd_headers_go_out_byte_for_byte(port: int) -> None:
    wire = raw_exchange(port, b"GET /resources/odd_headers.py HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    head = wire.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    assert b"Content:Type: text/odd" in head
    assert b"X-Empty: " in head
    assert head.count(b"x-repeat: 1") == 1 and head.count(b"x-repeat: 2") == 1
    assert b"X-Bytes: caf\xe9 \xff" in head
    assert b"lower-case-name: kept" in head


def test_a_header_with_crlf_is_a_500_naming_it(port: int) -> None:
    reply = fetch(port, "/resources/split_header.py")
    assert reply.status == 500
    assert b"CR, LF or NUL" in reply.body
    assert not reply.values("Injected")


def test_write_status_headers_then_content(port: int) -> None:
    reply = fetch(port, "/resources/status_headers_first.py")
    assert (reply.status, reply.reason) == (202, "Accepted Later")
    assert reply.values("X-Early") == ["1"]
    assert reply.body == b"part one;part two"


def test_without_required_headers_only_what_the_handler_wrote_goes_out(port: int) -> None:
    wire = raw_exchange(
        port, b"GET /resources/no_required_headers.py?content_type=text/css HTTP/1.1\r\nHost: h\r\n\r\n"
    )
    assert wire == b"HTTP/1.1 200 OK\r\nContent-Type: text/css\r\n\r\nbody { color: green }"
    wire = raw_exchange(port, b"GET /resources/no_required_headers_returned.py HTTP/1.1\r\nHost: h\r\n\r\n")
    assert wire == b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nframed by the close"


def test_writer_write_none_is_a_value_error(port: int) -> None:
    assert fetch(port, "/resources/writer_none.py").body == b"ValueError"


def test_cookies_as_wptserve_writes_them(port: int) -> None:
    cookies = fetch(port, "/resources/cookies.py").values("Set-Cookie")
    assert cookies[0] == "flavour=oat; expires=04 mar 2031 05:06:07 GMT; Path=/"
    assert re.fullmatch(r"old=; expires=\d\d [a-z]{3} \d{4} \d\d:\d\d:\d\d GMT; Max-Age=0; Path=/", cookies[1])


def test_request_surface_in_wptserve_shape(port: int) -> None:
    reply = fetch(
        port,
        "/resources/request_surface.py",
        headers=[("X-Multi", "a"), ("X-Multi", "b"), ("X-Case", "Mixed"), ("Cookie", "flavour=oat")],
    )
    data = json.loads(reply.body)
    assert data["items_x_case"] == ["Mixed"]
    assert data["names_are_lower"] is True
    assert data["raw_type"] == "http.client.HTTPMessage"
    assert data["raw_get_x_case"] == "Mixed"
    assert data["raw_get_all_multi"] == ["a", "b"]
    assert data["cookie_str"] == "flavour=oat"
    assert data["ports_http_first"] == port
    assert data["ports_https_is_list"] is True
    assert data["domains"] == {"": {"": "localhost"}}
    assert data["all_domains_alias"] == [""]
    assert (data["browser_host"], data["alternate_hosts"], data["url_base"]) == ("localhost", {}, "/")
    assert data["doc_root_set"] is True


def test_multipart_parts_without_content_type_and_empty_filenames(port: int) -> None:
    boundary = "b0undary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="plain"\r\n\r\nvalue\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="nofile"; filename=""\r\n\r\nempty name\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="up"; filename="a.txt"\r\n\r\nfile body\r\n'
        f"--{boundary}--\r\n"
    ).encode()
    reply = fetch(
        port,
        "/resources/multipart_echo.py",
        "POST",
        headers=[("Content-Type", f"multipart/form-data; boundary={boundary}")],
        body=body,
    )
    assert json.loads(reply.body) == {
        "plain": [{"value": "value"}],
        "nofile": [{"value": "empty name"}],
        "up": [{"filename": "a.txt", "value": "file body"}],
    }
