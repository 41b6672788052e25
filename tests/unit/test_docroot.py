"""harness.site.docroot.DocRoot: URL paths to handlers, files and directories, confined to the root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.site.docroot import DocRoot, PathRefused, Target


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A document root ``root`` beside a directory ``outside`` it must never serve from."""
    root = tmp_path / "root"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "index.html").write_text("<p>index</p>")
    (root / "handler.py").write_text("def main(request, response):\n    return 'hi'\n")
    (root / "chat_wsh.py").write_text("def main(ws, request):\n    pass\n")
    (root / "sub" / "file.txt").write_text("sub file")
    (root / "sub" / "nested_wsh.py").write_text("def main(ws, request):\n    pass\n")
    (root / "sub" / "deeper" / "h.py").write_text("def main(request, response):\n    pass\n")
    (root / "with space.txt").write_text("spaced")
    (root / "caf\u00e9.txt").write_text("accented")
    (root / "dir_wsh.py").mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    (outside / "evil_wsh.py").write_text("def main(ws, request):\n    pass\n")
    (root / "link_out").symlink_to(outside, target_is_directory=True)
    (root / "link_file_out.txt").symlink_to(outside / "secret.txt")
    (root / "link_wsh.py").symlink_to(outside / "evil_wsh.py")
    (root / "link_in.txt").symlink_to(root / "sub" / "file.txt")
    (root / "link_dir_in").symlink_to(root / "sub", target_is_directory=True)
    (root / "relative_link.txt").symlink_to(Path("sub") / "file.txt")
    return root


@pytest.fixture
def docroot(tree: Path) -> DocRoot:
    return DocRoot(tree)


def real(path: Path) -> str:
    return os.path.realpath(path)


def refused(call, url_path: str) -> PathRefused:
    with pytest.raises(PathRefused) as info:
        call(url_path)
    return info.value


# -- resolving HTTP paths ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url_path", "kind", "relative"),
    [
        ("/", "directory", "."),
        ("", "directory", "."),
        ("/sub", "directory", "sub"),
        ("/sub/", "directory", "sub"),
        ("/handler.py", "handler", "handler.py"),
        ("/sub/deeper/h.py", "handler", "sub/deeper/h.py"),
        ("/index.html", "file", "index.html"),
        ("/sub/file.txt", "file", "sub/file.txt"),
        ("//sub//file.txt", "file", "sub/file.txt"),
        ("/./sub/./file.txt", "file", "sub/file.txt"),
        ("/%2e/sub/file.txt", "file", "sub/file.txt"),
        ("/with%20space.txt", "file", "with space.txt"),
        ("/caf%C3%A9.txt", "file", "caf\u00e9.txt"),
        ("/caf\u00c3\u00a9.txt", "file", "caf\u00e9.txt"),  # raw UTF-8 bytes, as the latin-1 target carries them
        ("/sub%2Ffile.txt", "file", "sub/file.txt"),
        ("/%68andler.py", "handler", "handler.py"),
    ],
)
def test_resolve_http(docroot: DocRoot, tree: Path, url_path: str, kind: str, relative: str) -> None:
    assert docroot.resolve_http(url_path) == Target(kind, real(tree / relative), url_path)  # type: ignore[arg-type]


def test_symlinks_inside_the_root_are_followed(docroot: DocRoot, tree: Path) -> None:
    assert docroot.resolve_http("/link_in.txt") == Target("file", real(tree / "sub" / "file.txt"), "/link_in.txt")
    assert docroot.resolve_http("/relative_link.txt").fs_path == real(tree / "sub" / "file.txt")
    target = docroot.resolve_http("/link_dir_in/file.txt")
    assert (target.kind, target.fs_path) == ("file", real(tree / "sub" / "file.txt"))
    assert docroot.resolve_http("/link_dir_in").kind == "directory"


@pytest.mark.parametrize("url_path", ["/missing", "/sub/missing.txt", "/missing/dir/", "/sub/file.txt/extra"])
def test_missing_path_is_404_not_suspicious(docroot: DocRoot, url_path: str) -> None:
    error = refused(docroot.resolve_http, url_path)
    assert (error.status, error.suspicious) == (404, False)
    assert str(error) == f"{url_path} not found"


@pytest.mark.parametrize("url_path", ["/chat_wsh.py", "/sub/nested_wsh.py", "/chat%5Fwsh.py"])
def test_http_request_for_a_websocket_handler_is_404_with_a_hint(docroot: DocRoot, url_path: str) -> None:
    error = refused(docroot.resolve_http, url_path)
    assert (error.status, error.suspicious) == (404, False)
    assert error.message == f"{url_path} is a WebSocket handler; connect to it over ws:// or wss://"


def test_directory_named_like_a_ws_handler_is_a_directory(docroot: DocRoot) -> None:
    assert docroot.resolve_http("/dir_wsh.py").kind == "directory"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_non_regular_file_is_404(docroot: DocRoot, tree: Path) -> None:
    os.mkfifo(tree / "pipe")
    error = refused(docroot.resolve_http, "/pipe")
    assert (error.status, error.message) == (404, "/pipe is not a regular file")


TRAVERSALS = [
    "/..",
    "/../outside/secret.txt",
    "/sub/../handler.py",
    "/sub/../../outside/secret.txt",
    "/%2e%2e/outside/secret.txt",
    "/%2E%2E/outside/secret.txt",
    "/%2E%2E/",
    "/%2e%2E/",
    "/.%2e/outside/secret.txt",
    "/%2e./outside/secret.txt",
    "/.%2E/",
    "/sub/%2e%2e/%2e%2e/outside/secret.txt",
    "/..%2foutside/secret.txt",
    "/..%2Foutside%2Fsecret.txt",
    "/sub%2f..%2f..%2foutside/secret.txt",
    "..",
    "../outside/secret.txt",
]


@pytest.mark.parametrize("url_path", TRAVERSALS)
def test_dot_dot_in_any_encoding_is_refused_as_suspicious(docroot: DocRoot, url_path: str) -> None:
    for resolve in (docroot.resolve_http, docroot.resolve_ws):
        error = refused(resolve, url_path)
        assert (error.status, error.suspicious) == (404, True)
        assert "outside the document root" in error.message


def test_double_encoded_dot_dot_is_a_literal_name_not_a_traversal(docroot: DocRoot) -> None:
    error = refused(docroot.resolve_http, "/%252e%252e/outside/secret.txt")
    assert (error.status, error.suspicious) == (404, False)


def test_backslash_is_part_of_a_name_on_posix(docroot: DocRoot) -> None:
    if os.sep == "\\":  # pragma: no cover - Windows
        pytest.skip("backslash is a separator on Windows")
    error = refused(docroot.resolve_http, "/..\\outside\\secret.txt")
    assert (error.status, error.suspicious) == (404, False)


@pytest.mark.parametrize(
    "url_path", ["/link_out/secret.txt", "/link_file_out.txt", "/link_out", "/link_dir_in/../link_out/"]
)
def test_symlink_leading_outside_the_root_is_refused_as_suspicious(docroot: DocRoot, url_path: str) -> None:
    error = refused(docroot.resolve_http, url_path)
    assert (error.status, error.suspicious) == (404, True)
    assert "outside the document root" in error.message


@pytest.mark.parametrize("url_path", ["/handler.py%00.txt", "/%00", "/sub/%00/file.txt"])
def test_nul_is_400(docroot: DocRoot, url_path: str) -> None:
    for resolve in (docroot.resolve_http, docroot.resolve_ws):
        error = refused(resolve, url_path)
        assert (error.status, error.message) == (400, "NUL byte in the request path")


@pytest.mark.parametrize("url_path", ["/%ff", "/%c3", "/caf%E9.txt", "/%ed%a0%80", "/\u00ff"])
def test_invalid_utf8_after_decoding_is_400(docroot: DocRoot, url_path: str) -> None:
    for resolve in (docroot.resolve_http, docroot.resolve_ws):
        error = refused(resolve, url_path)
        assert (error.status, error.message) == (400, "the request path is not valid UTF-8 once percent-decoded")


def test_root_given_through_a_symlink_is_resolved(tree: Path, tmp_path: Path) -> None:
    alias = tmp_path / "alias"
    alias.symlink_to(tree, target_is_directory=True)
    docroot = DocRoot(alias)
    assert docroot.root == real(tree)
    assert docroot.resolve_http("/handler.py").fs_path == real(tree / "handler.py")


# -- resolving WebSocket paths -------------------------------------------------------------


@pytest.mark.parametrize(
    ("url_path", "relative"),
    [
        ("/chat", "chat_wsh.py"),
        ("/sub/nested", "sub/nested_wsh.py"),
        ("/%63hat", "chat_wsh.py"),
        ("//chat", "chat_wsh.py"),
    ],
)
def test_resolve_ws_maps_name_to_name_wsh_py(docroot: DocRoot, tree: Path, url_path: str, relative: str) -> None:
    assert docroot.resolve_ws(url_path) == Target("ws_handler", real(tree / relative), url_path)


@pytest.mark.parametrize(
    ("url_path", "looked_for"),
    [("/missing", "missing_wsh.py"), ("/chat_wsh.py", "chat_wsh.py_wsh.py"), ("/sub/chat", "sub/chat_wsh.py")],
)
def test_resolve_ws_of_a_missing_handler_is_404_naming_the_file(
    docroot: DocRoot, url_path: str, looked_for: str
) -> None:
    error = refused(docroot.resolve_ws, url_path)
    assert (error.status, error.suspicious) == (404, False)
    assert error.message == f"no WebSocket handler for {url_path} (looked for {looked_for})"


def test_resolve_ws_of_a_directory_is_404(docroot: DocRoot) -> None:
    assert refused(docroot.resolve_ws, "/dir").status == 404


@pytest.mark.parametrize("url_path", ["/", "", "/./"])
def test_resolve_ws_of_the_root_is_404(docroot: DocRoot, url_path: str) -> None:
    error = refused(docroot.resolve_ws, url_path)
    assert error.message == "no WebSocket handler for / (handlers are NAME_wsh.py files)"


def test_resolve_ws_through_a_symlink_leading_outside_is_suspicious(docroot: DocRoot) -> None:
    error = refused(docroot.resolve_ws, "/link")
    assert (error.status, error.suspicious) == (404, True)
    error = refused(docroot.resolve_ws, "/link_out/evil")
    assert (error.status, error.suspicious) == (404, True)
