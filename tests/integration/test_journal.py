"""The request journal: every request and WebSocket connection of the four servers, readable anywhere."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosedError

from harness.journal import RequestJournal
from harness.journal.writer import JournalWriter
from pytest_harness import Harness


def test_http_and_https_requests_are_journaled_with_status_timing_and_test(api_harness: Harness) -> None:
    marker = uuid.uuid4().hex
    journal = api_harness.requests
    with api_harness.http_session(test="tests/x.py::test_y") as session:
        assert session.get(f"/api/echo.py?m={marker}").status_code == 200
        assert session.post(f"/api/echo.py?m={marker}", data=b"x", scheme="https").status_code == 200
        assert session.get(f"/api/missing.py?m={marker}").status_code == 404
    first = journal.wait_for(re.compile(marker), count=3, timeout=10)
    entries = journal.entries(re.compile(marker))
    assert [(e.kind, e.scheme, e.method, e.path, e.status) for e in entries] == [
        ("http", "http", "GET", "/api/echo.py", 200),
        ("http", "https", "POST", "/api/echo.py", 200),
        ("http", "http", "GET", "/api/missing.py", 404),
    ]
    assert first is entries[2] or first == entries[2]
    assert all(e.test == "tests/x.py::test_y" and e.error is None and 0 <= e.duration < 10 for e in entries)
    assert journal.count("/api/echo.py", "post", scheme="https") >= 1


def test_a_raising_handler_is_journaled_with_its_traceback(api_harness: Harness) -> None:
    marker = uuid.uuid4().hex
    with api_harness.http_session() as session:
        assert session.get(f"/broken/raises.py?m={marker}", scheme="https").status_code == 500
    entry = api_harness.requests.wait_for(re.compile(marker), timeout=10)
    assert entry.status == 500
    assert entry.error is not None
    assert "Traceback" in entry.error
    assert "ValueError: the handler broke on purpose" in entry.error
    assert entry in api_harness.requests.errors()


@pytest.mark.parametrize("scheme", ["ws", "wss"])
def test_websocket_connections_are_journaled_with_close_code_and_error(api_harness: Harness, scheme: str) -> None:
    marker = uuid.uuid4().hex
    with api_harness.ws_connect(f"/ws/echo?m={marker}", scheme) as ws:
        ws.send("hi")
        assert ws.recv(timeout=10) == "hi"
    with api_harness.ws_connect(f"/broken/raises?m={marker}", scheme) as ws:
        ws.send("go")
        with pytest.raises(ConnectionClosedError):
            ws.recv(timeout=10)
    api_harness.requests.wait_for(re.compile(marker), count=2, timeout=10)
    echo, raises = api_harness.requests.entries(re.compile(marker))
    assert (echo.kind, echo.scheme, echo.status, echo.close_code, echo.error) == ("ws", scheme, 101, 1000, None)
    assert (raises.status, raises.close_code) == (101, 1011)
    assert raises.error is not None and "the WebSocket handler broke on purpose" in raises.error
    # A refused handshake is journaled too, with its HTTP status.
    with pytest.raises(Exception, match="404"):
        api_harness.ws_connect(f"/ws/nothing_here?m={marker}", scheme)
    assert api_harness.requests.wait_for(re.compile(marker), count=3, timeout=10).status == 404


def test_wait_for_sees_requests_made_by_another_process(api_harness: Harness) -> None:
    marker = uuid.uuid4().hex
    url = api_harness.url("https", f"/api/echo.py?from=subprocess&m={marker}")
    code = (
        "import sys, requests; "
        f"requests.get({url!r}, headers={{'X-Harness-Test': 'other'}}, verify={str(api_harness.ca_cert)!r})"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    entry = api_harness.requests.wait_for(path="/api/echo.py", test="other", timeout=10)
    assert entry.query == f"from=subprocess&m={marker}"


def test_wait_for_times_out_naming_what_it_saw(api_harness: Harness) -> None:
    with pytest.raises(TimeoutError, match=r"0 of 1 request\(s\) matching path='/never.py', method='PUT'"):
        api_harness.requests.wait_for("/never.py", "PUT", timeout=0.2)


def test_assert_no_request(api_harness: Harness) -> None:
    marker = uuid.uuid4().hex
    api_harness.requests.assert_no_request(f"/api/{marker}.py", within=0.1)
    with api_harness.http_session() as session:
        session.get(f"/api/{marker}.py")
    api_harness.requests.wait_for(f"/api/{marker}.py", timeout=10)
    with pytest.raises(AssertionError, match=f"expected no request matching path='/api/{marker}.py'"):
        api_harness.requests.assert_no_request(f"/api/{marker}.py")


def test_the_journal_is_bounded_and_a_reader_follows_rotation(tmp_path: Path) -> None:
    writer = JournalWriter(tmp_path, "http", max_bytes=2000)
    reader = RequestJournal(tmp_path)
    for number in range(100):
        writer.write(["http", "http", "GET", f"/n{number}", 200, None, None, float(number), 0.0, None, 1])
        writer.flush()  # one write each, so the files rotate many times
        if number == 10:
            assert reader.count() == 11
    writer.close()
    sizes = [path.stat().st_size for path in tmp_path.iterdir()]
    assert len(sizes) == 2 and all(size <= 2000 for size in sizes)
    seen = [entry.target for entry in reader.entries()]
    assert seen[:11] == [f"/n{n}" for n in range(11)]
    assert seen[-1] == "/n99"
    assert seen == sorted(seen, key=lambda target: int(target[2:]))  # in order, none twice
    # A new reader sees what the two files still hold: the newest records.
    fresh = [entry.target for entry in RequestJournal(tmp_path).entries()]
    assert fresh[-1] == "/n99" and len(fresh) < 100


def test_a_broken_journal_line_is_skipped(tmp_path: Path) -> None:
    good = ["http", "http", "GET", "/a", 200, None, None, 1.0, 0.0, None, 1]
    lines = ["[not json", json.dumps({"kind": "http"}), json.dumps(good[:5]), json.dumps(good)]
    (tmp_path / "http-1.jsonl").write_text("\n".join(lines) + "\n")
    assert [entry.target for entry in RequestJournal(tmp_path).entries()] == ["/a"]


def test_an_unwritable_journal_never_fails_a_request(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    writer = JournalWriter(blocker, "http")
    record = ["http", "http", "GET", "/a", 200, None, None, 1.0, 0.0, None, 1]
    writer.write(record)
    writer.flush()  # logged once, then ignored
    writer.write(record)
    writer.flush()
    assert blocker.read_text() == ""


def test_records_are_written_within_the_flush_delay_without_a_flush(tmp_path: Path) -> None:
    writer = JournalWriter(tmp_path, "ws")
    writer.write(["ws", "ws", "GET", "/chat", 101, 1000, None, 1.0, 0.5, None, 1])
    entry = RequestJournal(tmp_path).wait_for("/chat", timeout=5)
    assert (entry.kind, entry.close_code) == ("ws", 1000)
