"""harness.site.context: the server view the application attaches to a request
(``request.server``) and ``handling(request)``, which makes it the current request."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import current_request, load_config
from harness.http.request import Request
from harness.site.context import RequestServer, ServerContext, handling
from harness.stash import LocalBackend


def make_request(target: str = "/dir/a.py?x=1") -> Request:
    return Request("GET", target, "HTTP/1.1", [(b"Host", b"localhost:8000")], b"", scheme="https")


@pytest.fixture
def context(tmp_path: Path) -> ServerContext:
    config = load_config(doc_root=tmp_path)
    urls = {"http": "http://localhost:8000", "https": "https://localhost:8443"}
    return ServerContext(config, "https", urls, LocalBackend())


def test_a_request_no_application_attached_has_no_server() -> None:
    request = make_request()
    assert request.doc_root is None
    with pytest.raises(RuntimeError, match="not attached to a running server"):
        request.server  # noqa: B018 - the property raises


def test_the_context_attaches_a_server_bound_to_the_request_path(context: ServerContext, tmp_path: Path) -> None:
    request = make_request()
    context.attach(request)
    server = request.server
    assert isinstance(server, RequestServer)
    assert request.server is server  # built once
    assert server.scheme == "https"
    # wptserve's shape over the run's config (issue 10): its attributes fall through.
    assert server.config.harness_config is context.config
    assert server.config.http is context.config.http
    assert server.config["ports"]["https"][0] == context.config.ports.https
    assert server.url("http", "b.py") == "http://localhost:8000/b.py"
    assert request.doc_root == str(tmp_path)
    key = "3b0a7f5e-52f1-4d3b-9a53-6c1b2d7e8f90"
    server.stash.put(key, "value")
    assert server.stash.take(key, path="/dir/a.py") == "value"


def test_any_view_can_be_attached() -> None:
    request = make_request()
    seen: list[Request] = []

    def view(attached: Request) -> RequestServer:
        seen.append(attached)
        return sentinel

    sentinel = object()
    request.attach_server(view)  # type: ignore[arg-type]
    assert request.server is sentinel
    assert seen == [request]


def test_handling_sets_the_current_request_and_restores_the_previous_one() -> None:
    outer, inner = make_request("/outer"), make_request("/inner")
    with handling(outer):
        with handling(inner) as entered:
            assert entered is inner
            assert current_request() is inner
        assert current_request() is outer
    with pytest.raises(LookupError, match="only available while a handler runs"):
        current_request()


def test_handling_restores_the_current_request_when_the_handler_raises() -> None:
    with pytest.raises(ValueError, match="boom"), handling(make_request()):
        raise ValueError("boom")
    with pytest.raises(LookupError):
        current_request()
