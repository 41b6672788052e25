"""harness.request / response / local_stash: context-local proxies, threads and executors."""

from __future__ import annotations

import concurrent.futures
import threading

import pytest

from harness import HandlerThread, LocalProxy, bind_context, local_stash, request, response
from harness.site.context import handling
from harness.site.locals import responding


class FakeRequest:
    """Just what the proxies forward to."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.server = type("Server", (), {"stash": f"stash for {path}"})()


@pytest.fixture
def bound() -> FakeRequest:
    fake = FakeRequest("/bound.py")
    with handling(fake):  # type: ignore[arg-type]
        yield fake


def test_unbound_proxies_raise_runtime_error_naming_themselves() -> None:
    with pytest.raises(RuntimeError, match=r"harness\.request is only bound while a handler runs"):
        _ = request.method
    with pytest.raises(RuntimeError, match=r"harness\.local_stash is only bound"):
        local_stash.put("k", 1)
    with pytest.raises(RuntimeError, match=r"harness\.response is only bound while a handler runs"):
        _ = response.status
    assert not request
    assert repr(request) == "<LocalProxy harness.request (unbound)>"
    assert not hasattr(request, "__wrapped__")  # introspection sees a missing attribute
    with pytest.raises(AttributeError):
        _ = request.GET


def test_bound_proxies_forward_to_the_current_request(bound: FakeRequest) -> None:
    assert request.path == "/bound.py"  # type: ignore[attr-defined]
    assert local_stash == "stash for /bound.py"
    assert request._get_current_object() is bound  # type: ignore[attr-defined]
    request.extra = 1  # type: ignore[attr-defined]
    assert bound.extra == 1  # type: ignore[attr-defined]


def test_response_needs_an_http_handler(bound: FakeRequest) -> None:
    with pytest.raises(RuntimeError, match="only bound in HTTP handlers"):
        _ = response.status
    with responding("the response"):  # type: ignore[arg-type]
        assert response == "the response"
    with pytest.raises(RuntimeError, match="only bound in HTTP handlers"):
        _ = response.status


def test_plain_threads_do_not_see_the_request_but_handler_threads_do(bound: FakeRequest) -> None:
    seen: dict[str, object] = {}

    def look(name: str) -> None:
        try:
            seen[name] = request.path  # type: ignore[attr-defined]
        except RuntimeError as exc:
            seen[name] = exc

    plain = threading.Thread(target=look, args=("plain",))
    handler = HandlerThread(target=look, args=("handler",))
    for thread in (plain, handler):
        thread.start()
        thread.join(5)
    assert isinstance(seen["plain"], RuntimeError)
    assert seen["handler"] == "/bound.py"


def test_bind_context_carries_the_request_into_an_executor(bound: FakeRequest) -> None:
    look = bind_context(lambda suffix: request.path + suffix)  # type: ignore[attr-defined]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(look, ["a", "b", "c", "d"] * 4))  # concurrently: one copy per call
    assert results == [f"/bound.py{s}" for s in "abcd" * 4]


def test_each_thread_sees_its_own_request() -> None:
    seen: dict[str, str] = {}
    barrier = threading.Barrier(2)

    def handle(path: str) -> None:
        with handling(FakeRequest(path)):  # type: ignore[arg-type]
            barrier.wait(5)
            seen[path] = request.path  # type: ignore[attr-defined]

    threads = [threading.Thread(target=handle, args=(p,)) for p in ("/a", "/b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert seen == {"/a": "/a", "/b": "/b"}


def test_local_proxy_forwards_container_operations() -> None:
    data = {"a": [1]}
    proxy = LocalProxy(lambda: data, "data")
    assert proxy["a"] == [1]
    proxy["b"] = 2
    assert "b" in proxy
    assert len(proxy) == 2
    assert sorted(proxy) == ["a", "b"]
    del proxy["b"]
    assert data == {"a": [1]}
    assert proxy != {}
    assert LocalProxy(lambda: len, "len")([1, 2]) == 2
    with pytest.raises(TypeError):
        hash(proxy)
