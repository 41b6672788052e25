"""harness.wpt without a server: pipe strings, the template language, the module shims."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from types import SimpleNamespace

import pytest

from harness.config import load_config
from harness.http.datastructures import MultiDict, RequestHeaders
from harness.http.response import Response
from harness.wpt.modules import register_shim
from harness.wpt.pipes import PipeError, apply_pipes, parse_pipes, pipe_string_for, query_pipe
from harness.wpt.serverconfig import HostLayout, WptServerConfig
from harness.wpt.sub import SubstitutionError, template


@pytest.mark.parametrize(
    ("text", "calls"),
    [
        ("sub", [("sub", [])]),
        ("status(404)", [("status", ["404"])]),
        ("status(404)|header(X-A,1,true)", [("status", ["404"]), ("header", ["X-A", "1", "true"])]),
        ("header(X-A,a\\,b)", [("header", ["X-A", "a,b"])]),
        ("header(X-A,line\\nbreak)", [("header", ["X-A", "line\nbreak"])]),
        ("||gzip|", [("gzip", [])]),
        ("slice(1", [("slice", ["1"])]),
        ("", []),
    ],
)
def test_parse_pipes(text: str, calls: list[tuple[str, list[str]]]) -> None:
    assert parse_pipes(text) == calls


def test_query_pipe_takes_the_last_non_empty_one() -> None:
    assert query_pipe("pipe=status(404)&x=1&pipe=&pipe=header(X,%20y)") == "header(X, y)"
    assert query_pipe("x=1") is None
    assert pipe_string_for("/a/page.sub.html", "pipe=gzip") == "sub(html)|gzip"
    assert pipe_string_for("/a/page.sub.js", "") == "sub(none)"
    assert pipe_string_for("", "pipe=status(201)") == "status(201)"


def _request(**config: object) -> SimpleNamespace:
    harness_config = load_config().replace(ports=load_config().ports.__class__(http=8000, https=8443, ws=1, wss=2))
    layout = HostLayout("web-platform.test", {"alt": "not-web-platform.test"}, frozenset({"www", "élève"}))
    return SimpleNamespace(
        headers=RequestHeaders([(b"X-Test", b"<v>")]),
        GET=MultiDict([(b"id", b"<1>")]),
        server=SimpleNamespace(config=WptServerConfig(harness_config, layout, {"http": 8001})),
        url_parts=SimpleNamespace(scheme="http", hostname="web-platform.test", port=8000, path="/p", query="a=1"),
        url_base="/",
        doc_root=".",
        request_path="/p",
    )


def test_template_keys_and_escaping() -> None:
    request = _request()
    assert template(request, b"{{host}}:{{ports[http][1]}}") == b"web-platform.test:8001"
    assert (
        template(request, b"{{domains[www]}} {{hosts[alt][www]}}") == b"www.web-platform.test www.not-web-platform.test"
    )
    assert template(request, b"{{domains[\xc3\xa9l\xc3\xa8ve]}}") == b"xn--lve-6lad.web-platform.test"
    assert template(request, b"{{GET[id]}}|{{GET[none]}}") == b"&lt;1&gt;|"
    assert template(request, b"{{GET[id]}}", escape_type="none") == b"<1>"
    assert template(request, b"{{headers[x-test]}}", escape_type="none") == b"<v>"
    assert template(request, b"{{location[host]}}{{location[query]}}") == b"web-platform.test:8000?a=1"
    first, second = template(request, b"{{$u:uuid()}} {{$u}}").split()
    assert first == second and len(first) == 36


@pytest.mark.parametrize(
    ("source", "named"),
    [
        (b"{{nope}}", "nope"),
        (b"{{ports[h2][0]}}", "h2"),
        (b"{{ports[http][5]}}", "IndexError"),
        (b"{{domains[www3]}}", "www3"),
        (b"{{file_hash(crc32, x)}}", "crc32"),
        (b"{{ports}}", "not a value"),
        (b"{{}}", "expected a name"),
    ],
)
def test_template_errors_name_the_problem(source: bytes, named: str) -> None:
    with pytest.raises(SubstitutionError, match=named):
        template(_request(), source)


@pytest.mark.parametrize(
    ("pipes", "named"),
    [
        ("nosuch", "unknown pipe 'nosuch'"),
        ("status", "takes 1 to 1 arguments"),
        ("status(x)", "bad argument"),
        ("header(A,b,maybe)", "not a boolean"),
        ("trickle(d1:r2)", "never end"),
        ("trickle(r3)", "even"),
        ("sub(other)", "escape type"),
    ],
)
def test_bad_pipes_name_the_problem(pipes: str, named: str) -> None:
    response = Response()
    response.content = b"body"
    with pytest.raises(PipeError, match=named):
        apply_pipes(pipes, _request(), response)


def test_pipes_on_a_response() -> None:
    response = Response()
    response.content = b"0123456789"
    apply_pipes("slice(2,-2)|header(X-A,1)|header(X-A,2,1)|status(206)", _request(), response)
    assert (response.content, response.status[0]) == (b"234567", 206)
    assert response.headers.get("X-A") == [b"1", b"2"]
    assert response.headers.get("Content-Length") == [b"6"]
    apply_pipes("trickle(2:d0:r2)", _request(), response)
    assert list(response.content) == [b"23", b"45", b"67"]


def test_register_shim_takes_top_level_names_only() -> None:
    with pytest.raises(ValueError, match="top-level"):
        register_shim("a.b")


def test_install_serves_the_shims_even_over_an_installed_wptserve(tmp_path) -> None:
    fake = tmp_path / "wptserve"
    fake.mkdir()
    (fake / "__init__.py").write_text("REAL = True\n")
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        import wptserve
        assert wptserve.REAL
        from harness.wpt.modules import install
        install()
        import wptserve.utils, wptserve.stash
        from wptserve.utils import isomorphic_decode
        assert not hasattr(sys.modules["wptserve"], "REAL")
        assert isomorphic_decode(b"\\xe9") == "\\xe9"
        from harness.stash import Stash
        assert wptserve.stash.Stash is Stash
        print("ok")
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "ok", result.stderr


@pytest.mark.parametrize(
    "header", [b"bytes=0-9", b"bytes=5-", b"bytes=-3", b"bytes=0-1,1-4,8-", b"bytes=3-1", b"items=1-2", b"bytes=x-1"]
)
def test_range_parser_matches_wptserve(header: bytes) -> None:
    real = pytest.importorskip("wptserve.ranges", reason="wptserve is not installed (the bench extra)")
    from harness.http.request import HTTPException
    from harness.wpt.shims.wptserve.ranges import RangeParser

    def outcome(parser: object, error: type[Exception]) -> object:
        try:
            return [r.header_value() for r in parser(header, 20)]  # type: ignore[operator]
        except error as exc:
            return ("error", exc.code)  # type: ignore[attr-defined]

    wpt_utils = pytest.importorskip("wptserve.utils")
    assert outcome(RangeParser(), HTTPException) == outcome(real.RangeParser(), wpt_utils.HTTPException)
