"""TTLs, tables, share links, the page endpoint and context locals on a live harness.

The module starts its own harness (test clock on, a 64 KiB value limit, ``tests/handlers`` as
document root) so it can move the stash clock without disturbing other tests.
"""

from __future__ import annotations

import base64
import json
import sys
import threading
import types
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests

from harness.run.launcher import HarnessProcess
from harness.stash import Stash, StashError
from harness.stash.runinfo import run_info
from harness.testing import StashClock
from pytest_harness import Harness
from tests.support import wait_until

TESTS = Path(__file__).resolve().parents[1]
LIMIT = 65536
CLIENTS = 8
OPS_PER_CLIENT = 25
SCHEMES = ("http", "https", "ws", "wss")
K = "6f0d3c3a-9c1b-4a86-8f61-1c4e8b5a2d10"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    config = tmp_path_factory.mktemp("stash-features") / "config.json"
    config.write_text(json.dumps({"stash": {"max_value_bytes": LIMIT}, "http": {"handler_timeout": 20.0}}))
    process = HarnessProcess(config=config, doc_root=TESTS / "handlers", extra_args=["--test-clock"])
    try:
        yield Harness(process.start())
    finally:
        process.close()


@pytest.fixture
def stash(live: Harness) -> Stash:
    return live.stash()


@pytest.fixture
def clock(stash: Stash) -> StashClock:
    return StashClock(stash)


@pytest.fixture
def client(live: Harness) -> Iterator[requests.Session]:
    session = live.http_session()
    yield session
    session.close()


def key() -> str:
    return str(uuid.uuid4())


def call(client: requests.Session, live: Harness, body: Any, origin: str | None = "own", **kwargs: Any) -> Any:
    """POST one page call to the HTTPS endpoint, as a page on ``origin`` would."""
    headers = {"Content-Type": "text/plain;charset=UTF-8", **kwargs.pop("headers", {})}
    if origin == "own":
        origin = live.urls["http"]  # a page the harness serves over HTTP calling its HTTPS server
    if origin is not None:
        headers["Origin"] = origin
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(live.url("https", "/harness/stash"), data=data, headers=headers, **kwargs)


# -- TTLs ----------------------------------------------------------------------------------


def test_a_handler_put_with_a_ttl_expires_when_the_clock_passes_it(client, live: Harness, stash, clock) -> None:
    first, second = key(), key()
    for k in (first, second):
        put = client.post(f"/stash/ttl.py?op=put&id={k}&ttl=60", data=b"short-lived", scheme="https")
        assert put.status_code == 200
    (listed,) = stash.entries(key=first)
    assert listed.path == "/stash/ttl.py"
    assert 0 < listed.expires_in <= 60
    clock.advance(50)
    assert client.get(f"/stash/ttl.py?op=take&id={first}").content == b"short-lived"
    clock.advance(10)
    gone = client.get(f"/stash/ttl.py?op=take&id={second}", scheme="https")
    assert (gone.status_code, gone.text) == (404, "gone")
    (expired,) = stash.expired(key=second)
    assert expired.expired and expired.path == "/stash/ttl.py"
    assert stash.entries(key=second) == []


def test_a_blocked_take_in_a_handler_is_not_disturbed_by_the_clock(live: Harness, stash, clock) -> None:
    k = key()
    with ThreadPoolExecutor(1) as pool:
        taken = pool.submit(stash.take, k, "/wait", 20)
        assert _wait_for(lambda: stash.waiting(k, path="/wait") == 1)
        clock.advance(3600)  # the wait is wall-clock time, not stash time
        stash.put(k, "still delivered", path="/wait", ttl=1)
        assert taken.result(20) == "still delivered"


def _wait_for(predicate: Any) -> bool:
    return wait_until(predicate)


# -- tables ----------------------------------------------------------------------------------


def _race_client(live: Harness, scheme: str, table: str, name: str, client_id: int) -> list[int]:
    counts = []
    items = [f"{client_id}:{index}" for index in range(OPS_PER_CLIENT)]
    if scheme in ("http", "https"):
        with live.http_session() as session:
            for item in items:
                reply = session.get(f"/stash/tables.py?op=race&table={table}&key={name}&item={item}", scheme=scheme)
                assert reply.status_code == 200, reply.text
                counts.append(reply.json()["count"])
    else:
        ws = live.ws_connect("/stash/tables", scheme)
        try:
            for item in items:
                ws.send(json.dumps({"table": table, "key": name, "item": item}))
                counts.append(json.loads(ws.recv(timeout=20))["count"])
        finally:
            ws.close()
    return counts


def test_table_updates_and_appends_racing_from_8_clients_over_4_protocols_are_exact(live: Harness, stash) -> None:
    table, name = f"race-{key()}", "shared"
    with ThreadPoolExecutor(CLIENTS) as pool:
        futures = [
            pool.submit(_race_client, live, SCHEMES[client % 4], table, name, client) for client in range(CLIENTS)
        ]
        counts = [count for future in futures for count in future.result(120)]
    total = CLIENTS * OPS_PER_CLIENT
    assert sorted(counts) == list(range(1, total + 1))  # every update saw a distinct value
    racing = stash.table(table)
    assert racing[f"{name}:count"] == total
    log = racing[f"{name}:items"]
    assert sorted(log) == sorted(f"{c}:{i}" for c in range(CLIENTS) for i in range(OPS_PER_CLIENT))
    for client in range(CLIENTS):
        assert [item for item in log if item.startswith(f"{client}:")] == [f"{client}:{i}" for i in range(25)]
    assert racing.clear() == 2


def test_a_table_written_by_the_test_is_read_by_a_handler_and_vice_versa(client, stash) -> None:
    table = stash.table(f"shared-{key()}")
    table["greeting"] = {"text": "from the test"}
    assert client.get(f"/stash/tables.py?op=get&table={table.name}&key=greeting", scheme="https").json() == {
        "text": "from the test"
    }
    assert client.get(f"/stash/tables.py?op=race&table={table.name}&key=k&item=x").json() == {"count": 1, "length": 1}
    assert table["k:items"] == ["x"]
    assert table.name in stash.tables()
    table.clear()
    assert table.name not in stash.tables()


def test_table_ttls_on_the_manager_backend(stash, clock) -> None:
    table = stash.table(f"ttl-{key()}", ttl=60)
    table["a"] = 1
    table.append("log", "x")
    clock.advance(59)
    assert sorted(table.keys()) == ["a", "log"]
    clock.advance(1)
    assert len(table) == 0
    assert table.name not in stash.tables()


def test_bad_table_values_are_refused_client_side_and_store_nothing(stash) -> None:
    table = stash.table(f"bad-{key()}")
    with pytest.raises(ValueError, match=f"over the limit of {LIMIT} bytes"):
        table["big"] = b"x" * (LIMIT + 1)
    with pytest.raises(ValueError, match="over the limit"):
        table.append("big", b"x" * (LIMIT + 1))
    with pytest.raises(TypeError, match="cannot be pickled"):
        table["lock"] = threading.Lock()
    with pytest.raises(ValueError, match="cannot be stored in a stash table"):
        table["queue"] = stash.get_queue()
    table["n"] = 1
    with pytest.raises(StashError, match="not a list"):
        table.append("n", 2)
    assert table.items() == [("n", 1)]
    table.clear()


def test_bad_path_values_are_refused(stash) -> None:
    k = key()
    with pytest.raises(ValueError, match=f"over the limit of {LIMIT} bytes"):
        stash.put(k, b"x" * (LIMIT + 1), path="/big")
    with pytest.raises(TypeError, match="cannot be pickled"):
        stash.put(k, threading.Lock(), path="/big")
    with pytest.raises(ValueError, match="ttl must be a positive number"):
        stash.put(k, 1, path="/big", ttl=0)
    assert stash.entries(key=k) == []


def test_the_service_refuses_malformed_table_calls(stash) -> None:
    backend: Any = stash.backend
    with pytest.raises(TypeError, match="table must be str"):
        backend._call("table_get", 1, "k")
    with pytest.raises(TypeError, match="a table cell must be bytes or a list of bytes"):
        backend._call("table_set", "t", "k", ["not bytes"], None)
    with pytest.raises(TypeError, match="ttl must be a number"):
        backend._call("table_set", "t", "k", b"x", "soon")
    with pytest.raises(TypeError, match="version must be an int"):
        backend._call("table_cas", "t", "k", "1", b"x", None)
    with pytest.raises(ValueError, match="a stash TTL must be a positive number"):
        backend._call("put", "/p", key(), b"x", (), "owner", -1.0)
    assert stash.table("t").keys() == []


# -- share links -----------------------------------------------------------------------------


def test_a_share_link_hands_the_value_once(live: Harness, stash) -> None:
    k = key()
    stash.put(k, {"payload": [1, b"\x00"]}, path="/shared")
    url = stash.share(k, path="/shared", ttl=30)
    assert url.startswith(live.urls["https"] + "/harness/stash?cap=")
    first = requests.get(url, verify=live.ca_cert, timeout=20)
    assert first.status_code == 200
    assert first.headers["Content-Type"] == "application/json"
    assert first.json() == {"payload": [1, {"$bytes": "AA=="}]}
    again = requests.get(url, verify=live.ca_cert, timeout=20)
    assert again.status_code == 404
    assert "already taken" in again.json()["error"]["message"]


@pytest.mark.parametrize(
    ("value", "content_type", "body"),
    [(b"\x00raw", "application/octet-stream", b"\x00raw"), ("text é", "text/plain; charset=utf-8", "text é".encode())],
)
def test_share_links_send_bytes_and_text_as_they_are(live: Harness, stash, value, content_type, body) -> None:
    k = key()
    stash.put(k, value, path="/shared")
    reply = requests.get(stash.share(k, path="/shared"), verify=live.ca_cert, timeout=20)
    assert (reply.status_code, reply.headers["Content-Type"], reply.content) == (200, content_type, body)


def test_a_share_link_can_wait_for_its_value(live: Harness, stash) -> None:
    k = key()
    url = stash.share(k, path="/later", ttl=60) + "&timeout=15"
    with ThreadPoolExecutor(1) as pool:
        reply = pool.submit(requests.get, url, verify=live.ca_cert, timeout=30)
        assert _wait_for(lambda: stash.waiting(k, path="/later") == 1)
        stash.put(k, "arrived", path="/later")
        assert reply.result(30).text == "arrived"


def test_an_expired_share_link_is_403_and_the_value_stays(live: Harness, stash, clock) -> None:
    k = key()
    stash.put(k, "kept", path="/shared")
    url = stash.share(k, path="/shared", ttl=30)
    clock.advance(30)
    reply = requests.get(url, verify=live.ca_cert, timeout=20)
    assert reply.status_code == 403
    assert "expired" in reply.json()["error"]["message"]
    assert stash.take(k, path="/shared") == "kept"


def _tamper(url: str, change: Any) -> str:
    token = parse_qs(urlsplit(url).query)["cap"][0]
    return url.split("?")[0] + "?cap=" + quote(change(token))


@pytest.mark.parametrize(
    "change",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # signature altered
        lambda token: "f" + token[1:],  # body altered
        lambda token: token.split(".")[0] + ".",  # signature removed
        lambda token: "not-a-token",
    ],
    ids=["signature", "body", "no-signature", "garbage"],
)
def test_forged_or_tampered_share_links_are_403(live: Harness, stash, change) -> None:
    k = key()
    stash.put(k, "safe", path="/shared")
    reply = requests.get(_tamper(stash.share(k, path="/shared"), change), verify=live.ca_cert, timeout=20)
    assert reply.status_code == 403
    assert reply.json()["error"]["message"]
    assert stash.take(k, path="/shared") == "safe"


@pytest.mark.parametrize("timeout", ["abc", "-1", "nan", "inf", "1e999", "1" + "0" * 400, ""])
def test_a_share_link_with_a_bad_timeout_is_400_and_the_value_stays(live: Harness, stash, timeout: str) -> None:
    k = key()
    stash.put(k, "kept", path="/shared")
    reply = requests.get(stash.share(k, path="/shared") + "&timeout=" + timeout, verify=live.ca_cert, timeout=20)
    assert reply.status_code == 400
    assert "timeout must be a number of seconds" in reply.json()["error"]["message"]
    assert stash.take(k, path="/shared") == "kept"


def test_only_a_share_link_opens_a_get_and_a_head_takes_nothing(live: Harness, stash) -> None:
    k = key()
    stash.put(k, "kept", path="/shared")
    base = live.url("https", "/harness/stash?cap=")
    not_links = [
        stash.capability(path="/shared", ttl=30),  # a whole path, no single key
        stash.capability(path="/shared", ops=["put"], ttl=30),
        stash.capability(table="t", ttl=30),
    ]
    for token in not_links:
        reply = requests.get(base + quote(token), verify=live.ca_cert, timeout=20)
        assert reply.status_code == 403
        assert "not a share link" in reply.json()["error"]["message"]
    head = requests.head(stash.share(k, path="/shared"), verify=live.ca_cert, timeout=20)
    assert head.status_code == 405
    assert stash.take(k, path="/shared") == "kept"


def test_the_run_secret_never_reaches_the_log(tmp_path: Path) -> None:
    """Even with the access log on and refused, forged and good calls made, no form of the secret is logged."""
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"access_log": True}))
    process = HarnessProcess(config=config, doc_root=TESTS / "handlers", workdir=tmp_path)
    try:
        run = Harness(process.start())
        stash = run.stash()
        k = key()
        stash.put(k, "v", path="/shared")
        url = stash.share(k, path="/shared")
        assert requests.get(url, verify=run.ca_cert, timeout=20).status_code == 200
        assert requests.get(_tamper(url, lambda t: t[:-2] + "AA"), verify=run.ca_cert, timeout=20).status_code in (
            403,
            404,
        )
        with run.http_session() as session:
            assert (
                call(session, run, {"op": "take", "path": "/p", "key": k}, origin="https://evil.example").status_code
                == 403
            )
        secret = run_info(stash.backend).secret
        # The server processes write their access log lines a moment after the response.
        assert wait_until(lambda: "/harness/stash" in process.logs())  # the access log did record the calls
        logs = process.logs()
    finally:
        process.close()
    for form in (
        repr(secret),
        secret.hex(),
        base64.b64encode(secret).decode(),
        base64.urlsafe_b64encode(secret).decode(),
    ):
        assert form.rstrip("=") not in logs


def test_a_value_a_page_cannot_read_is_409_and_stays(live: Harness, stash) -> None:
    k = key()
    stash.put(k, {1, 2}, path="/shared")
    reply = requests.get(stash.share(k, path="/shared"), verify=live.ca_cert, timeout=20)
    assert reply.status_code == 409
    assert "has no JSON form" in reply.json()["error"]["message"]
    assert stash.take(k, path="/shared") == {1, 2}


def test_share_and_capability_need_a_finite_ttl_and_a_scope(stash) -> None:
    with pytest.raises(ValueError, match="finite ttl"):
        stash.share(key(), path="/p", ttl=float("inf"))
    with pytest.raises(ValueError, match="exactly one of path=, table="):
        stash.capability()
    with pytest.raises(ValueError, match="path capability allows"):
        stash.capability(path="/p", ops=["read"])
    for bad_ops in (5, [["put"]]):
        with pytest.raises(TypeError, match="ops must be operation names"):
            stash.capability(path="/p", ops=bad_ops)
    with pytest.raises(ValueError, match="belong to the harness"):
        stash.capability(table="harness/run", ops=["read"])
    for bad_ttl, error in [(0, ValueError), (-1, ValueError), (float("nan"), ValueError), (True, TypeError)]:
        with pytest.raises(error, match="ttl must be"):
            stash.share(key(), path="/p", ttl=bad_ttl)
        with pytest.raises(error, match="ttl must be"):
            stash.capability(path="/p", ttl=bad_ttl)


# -- the page endpoint ---------------------------------------------------------------------------


def test_pages_of_the_harness_put_and_take_with_no_setup(client, live: Harness, stash) -> None:
    k = key()
    put = call(client, live, {"op": "put", "path": "/page.html", "key": k, "value": {"from": "page"}, "ttl": 30})
    assert (put.status_code, put.json()) == (200, {"ok": True})
    assert put.headers["Access-Control-Allow-Origin"] == live.urls["http"]
    (entry,) = stash.entries(key=k)
    assert 0 < entry.expires_in <= 30
    assert stash.take(k, path="/page.html") == {"from": "page"}
    stash.put(k, b"\x01\x02", path="/page.html")
    taken = call(client, live, {"op": "take", "path": "/page.html", "key": k}, origin=live.urls["https"])
    assert taken.json() == {"found": True, "value": {"$bytes": "AQI="}}
    assert call(client, live, {"op": "take", "path": "/page.html", "key": k}).json() == {"found": False}


def test_a_page_take_waits_for_the_put(client, live: Harness, stash) -> None:
    k = key()
    with ThreadPoolExecutor(1) as pool:
        reply = pool.submit(call, client, live, {"op": "take", "path": "/wait", "key": k, "timeout": 15})
        assert _wait_for(lambda: stash.waiting(k, path="/wait") == 1)
        stash.put(k, "woken", path="/wait")
        assert reply.result(30).json() == {"found": True, "value": "woken"}


def test_table_operations_from_a_page(client, live: Harness, stash) -> None:
    name = f"page-{key()}"

    def op(kind: str, **fields: Any) -> Any:
        reply = call(client, live, {"op": "table." + kind, "table": name, **fields})
        assert reply.status_code == 200, reply.text
        return reply.json()

    assert op("set", key="a", value=1) == {"ok": True}
    assert op("add", key="a", value=2) == {"ok": False}
    assert op("append", key="log", item={"$bytes": "AA=="}) == {"length": 1}
    assert op("get", key="a") == {"found": True, "value": 1}
    assert op("get", key="zz") == {"found": False}
    assert sorted(op("keys")["keys"]) == ["a", "log"]
    assert op("items", pattern="l*") == {"items": [["log", [{"$bytes": "AA=="}]]]}
    assert op("len") == {"length": 2}
    assert stash.table(name)["log"] == [b"\x00"]
    assert op("pop", key="a") == {"found": True, "value": 1}
    assert op("delete", key="a") == {"found": False}
    assert op("clear") == {"count": 1}


def test_values_a_page_cannot_read_are_409_and_stay(client, live: Harness, stash) -> None:
    k, name = key(), f"sets-{key()}"
    stash.put(k, {1, 2}, path="/sets")
    stash.table(name)["s"] = {3}
    calls = [
        {"op": "take", "path": "/sets", "key": k},
        {"op": "table.pop", "table": name, "key": "s"},
        {"op": "table.get", "table": name, "key": "s"},
        {"op": "table.items", "table": name},
    ]
    for body in calls:
        reply = call(client, live, body)
        assert reply.status_code == 409, body
        assert "has no JSON form" in reply.json()["error"]["message"]
    assert stash.take(k, path="/sets") == {1, 2}
    assert stash.table(name).pop("s") == {3}


def test_values_the_server_cannot_unpickle_are_409_and_stay(client, live: Harness, stash, monkeypatch) -> None:
    """A value of a class only the test process has (the harness cannot import its module)."""
    module = types.ModuleType("only_in_the_test_process")
    monkeypatch.setitem(sys.modules, module.__name__, module)

    class Private:
        def __eq__(self, other: object) -> bool:
            return isinstance(other, Private)

    Private.__module__ = module.__name__
    Private.__qualname__ = "Private"
    module.Private = Private  # type: ignore[attr-defined]
    k, name = key(), f"private-{key()}"
    stash.put(k, Private(), path="/private")
    stash.table(name)["p"] = Private()
    link = requests.get(stash.share(k, path="/private"), verify=live.ca_cert, timeout=20)
    assert link.status_code == 409
    assert "cannot be unpickled" in link.json()["error"]["message"]
    for body in (
        {"op": "take", "path": "/private", "key": k},
        {"op": "table.pop", "table": name, "key": "p"},
        {"op": "table.get", "table": name, "key": "p"},
        {"op": "table.items", "table": name},
    ):
        reply = call(client, live, body)
        assert reply.status_code == 409, body
        assert "only_in_the_test_process" in reply.json()["error"]["message"]
    assert stash.take(k, path="/private") == Private()
    assert stash.table(name).pop("p") == Private()


def test_another_origin_without_a_capability_is_403_with_cors_headers(client, live: Harness, stash) -> None:
    k = key()
    stash.put(k, "secret", path="/private")
    for origin in ("https://evil.example", "null", None, live.urls["ws"]):
        reply = call(client, live, {"op": "take", "path": "/private", "key": k}, origin=origin)
        assert reply.status_code == 403, origin
        assert "needs a capability" in reply.json()["error"]["message"]
        if origin is not None:
            assert reply.headers["Access-Control-Allow-Origin"] == origin  # the page can read why
    assert stash.take(k, path="/private") == "secret"


def test_the_same_origin_decision_rests_on_the_origin_header_alone(client, live: Harness, stash) -> None:
    """Host, Referer and Sec-Fetch-Site cannot vouch for a foreign Origin; near-miss origins are foreign."""
    own = live.urls["http"]
    port = urlsplit(own).port
    k = key()
    stash.put(k, "secret", path="/private")
    spoofed = {"Host": urlsplit(own).netloc, "Referer": own + "/page.html", "Sec-Fetch-Site": "same-origin"}
    near_misses = [
        "https://evil.example",
        own + "/",
        own + ".evil.example",
        f"http://localhost.evil.example:{port}",
        f"http://127.0.0.1:{port}@evil.example",
        own.upper(),
        own.replace("http://", "http://evil.example#"),
    ]
    for origin in near_misses:
        reply = call(client, live, {"op": "take", "path": "/private", "key": k}, origin=origin, headers=spoofed)
        assert reply.status_code == 403, origin
        assert "needs a capability" in reply.json()["error"]["message"]
    reply = call(client, live, {"op": "take", "path": "/private", "key": k}, origin=None, headers=spoofed)
    assert reply.status_code == 403
    assert stash.take(k, path="/private") == "secret"


def test_a_capability_opens_its_scope_and_nothing_else(client, live: Harness, stash) -> None:
    evil = "https://other.example"
    k = key()
    token = stash.capability(path="/scoped", ops=["put"], ttl=60)
    body = {"op": "put", "path": "/scoped", "key": k, "value": "ok", "cap": token}
    assert call(client, live, body, origin=evil).json() == {"ok": True}
    refused = [
        {"op": "take", "path": "/scoped", "key": k, "cap": token},  # op not granted
        {"op": "put", "path": "/elsewhere", "key": k, "value": 1, "cap": token},  # wrong path
        {"op": "table.get", "table": "t", "key": "k", "cap": token},  # a table
    ]
    for body in refused:
        reply = call(client, live, body, origin=evil)
        assert reply.status_code == 403, body
        assert "the capability allows put on path '/scoped'" in reply.json()["error"]["message"]
    assert stash.take(k, path="/scoped") == "ok"
    # Even a page of the harness is held to the capability it presents.
    assert call(client, live, refused[1]).status_code == 403


def test_a_table_capability_for_reading_only(client, live: Harness, stash) -> None:
    name = f"cap-{key()}"
    stash.table(name)["k"] = "v"
    token = stash.capability(table=name, ops=["read"], ttl=60)
    assert call(client, live, {"op": "table.get", "table": name, "key": "k", "cap": token}, origin="null").json() == {
        "found": True,
        "value": "v",
    }
    reply = call(client, live, {"op": "table.set", "table": name, "key": "k", "value": 1, "cap": token}, origin=None)
    assert reply.status_code == 403
    assert call(client, live, {"op": "table.get", "table": "other", "key": "k", "cap": token}).status_code == 403
    stash.table(name).clear()


@pytest.mark.parametrize("op", ["table.get", "table.keys", "table.clear"])
def test_the_run_table_with_the_secret_is_out_of_reach_of_pages(client, live: Harness, stash, op: str) -> None:
    reply = call(client, live, {"op": op, "table": "harness/run", "key": "info"})
    assert reply.status_code == 403
    assert "belong to the harness" in reply.json()["error"]["message"]
    assert stash.backend.table_len("harness/run") == 1


def test_an_expired_capability_is_403(client, live: Harness, stash, clock) -> None:
    token = stash.capability(path="/soon", ttl=5)
    clock.advance(5)
    reply = call(client, live, {"op": "take", "path": "/soon", "key": key(), "cap": token}, origin="null")
    assert reply.status_code == 403
    assert "expired" in reply.json()["error"]["message"]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ("not json", 400, "must be a JSON object"),
        ("[1]", 400, "must be a JSON object"),
        (b"\xff\xfe{", 400, "not valid JSON"),
        ("[" * 100_000 + "]" * 100_000, 400, "nested too deeply"),
        ('{"op": "table.set", "table": "t", "key": "k", "value": NaN}', 400, "NaN is not JSON"),
        ({"op": "drop"}, 400, "unknown op 'drop'"),
        ({"op": ["put"]}, 400, "unknown op ['put']"),
        ({"op": {"put": 1}}, 400, "unknown op"),
        ({"op": "table.set", "table": "t", "key": "k", "value": json.loads("[" * 900 + "]" * 900)}, 400, "too deeply"),
        ({"op": "put", "path": "/p", "key": K, "value": 1, "ttl": True}, 400, "not bool"),
        ({"op": "put", "path": "/p", "key": K, "value": 1, "ttl": "5"}, 400, "not str"),
        ({"op": "table.set", "table": "t", "key": "k", "value": 1, "ttl": 0}, 400, "ttl must be a positive"),
        (f'{{"op": "take", "path": "/p", "key": "{K}", "timeout": 1{"0" * 400}}}', 400, "timeout must be"),
        ({"op": "take", "path": "/p", "key": K, "timeout": -1}, 400, "timeout must be"),
        ({"op": "take", "path": "/p", "key": K, "timeout": True}, 400, "timeout must be"),
        ({"op": "take", "path": "/p"}, 400, "stash key must be"),
        ({"op": "table.get", "table": "t", "key": 5}, 400, "table key must be str"),
        ({"op": "table.get", "table": None, "key": "k"}, 400, "table name must be str"),
        ({"op": "table.get", "table": "t" * 300, "key": "k"}, 400, "longer than 256"),
        ({"op": "put", "path": "/p", "key": "not-a-uuid", "value": 1}, 400, "is not a UUID"),
        ({"op": "put", "path": 5, "key": K, "value": 1}, 400, "stash path"),
        ({"op": "put", "path": "/p", "key": K}, 400, "non-null value"),
        ({"op": "put", "path": "/p", "key": K, "value": 1, "ttl": -1}, 400, "ttl"),
        ({"op": "take", "path": "/p", "key": K, "timeout": "x"}, 400, "timeout"),
        ({"op": "table.set", "table": "", "key": "k", "value": 1}, 400, "cannot be empty"),
        ({"op": "table.set", "table": "t", "key": "k"}, 400, "needs a value"),
        ({"op": "table.append", "table": "t", "key": "k", "value": 1}, 400, "needs an item"),
        ({"op": "table.keys", "table": "t", "pattern": 1}, 400, "pattern must be a string"),
        ({"op": "table.set", "table": "t", "key": "k", "value": {"$bytes": "!"}}, 400, "not valid base64"),
        (
            {"op": "take", "path": "/p", "key": K, "cap": 5},
            403,
            "must be a string",
        ),
    ],
)
def test_bad_page_calls_are_refused_with_a_message(client, live: Harness, body, status, message) -> None:
    reply = call(client, live, body)
    assert reply.status_code == status, reply.text
    assert message in reply.json()["error"]["message"]


def test_an_oversized_value_from_a_page_is_413_and_stores_nothing(client, live: Harness, stash) -> None:
    k = key()
    body = {"op": "put", "path": "/big", "key": k, "value": "x" * (LIMIT + 10)}
    reply = call(client, live, body)
    assert reply.status_code == 413
    assert "over the limit" in reply.json()["error"]["message"]
    assert stash.entries(key=k) == []
    big = call(client, live, {"op": "table.set", "table": "big", "key": "k", "value": "x" * (LIMIT + 10)})
    assert big.status_code == 413
    assert stash.table("big").keys() == []


def test_preflight_methods_and_the_script(client, live: Harness) -> None:
    preflight = client.options(
        "/harness/stash",
        scheme="https",
        headers={"Origin": "https://other.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://other.example"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    put = client.put("/harness/stash", data=b"{}")
    assert put.status_code == 405
    assert put.headers["Allow"] == "GET, POST, OPTIONS"
    assert client.get("/harness/stash").status_code == 403  # a GET needs a share link
    script = client.get("/harness/stash.js", scheme="https")
    assert script.status_code == 200
    assert script.headers["Content-Type"].startswith("text/javascript")
    assert "class HarnessStash" in script.text
    assert client.post("/harness/stash.js").status_code == 405


# -- context locals ----------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_context_locals_in_an_http_handler_helper(client, scheme: str) -> None:
    reply = client.get("/stash/locals.py", scheme=scheme)
    assert reply.status_code == 200, reply.text
    assert reply.headers["X-Helper"] == "set through harness.response"
    seen = reply.json()
    expected = {"path": "/stash/locals.py", "scheme": scheme, "stash_path": "/stash/locals.py"}
    assert seen["direct"] == expected
    assert seen["thread"] == expected
    assert seen["executor"] == expected
    assert "harness.request is only bound while a handler runs" in seen["plain_thread"]


@pytest.mark.parametrize("scheme", ["ws", "wss"])
def test_context_locals_in_a_websocket_handler_helper(live: Harness, scheme: str) -> None:
    ws = live.ws_connect("/stash/locals", scheme)
    try:
        seen = json.loads(ws.recv(timeout=20))
    finally:
        ws.close()
    expected = {"path": "/stash/locals", "scheme": scheme, "stash_path": "/stash/locals"}
    assert seen["direct"] == expected
    assert seen["thread"] == expected
    assert "only bound in HTTP handlers" in seen["response"]
