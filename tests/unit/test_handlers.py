"""harness.site.loader.HandlerCache: compile once per version of a file, run the module fresh per load."""

from __future__ import annotations

import builtins
import os
import time
from pathlib import Path

import pytest

import harness.site.loader as handlers_module
from harness.site.loader import HandlerCache, HandlerLoadError, format_exception


@pytest.fixture
def cache() -> HandlerCache:
    return HandlerCache()


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The file names compiled by harness.site.loader while the test runs."""
    seen: list[str] = []

    def counting_compile(source, filename, *args, **kwargs):
        seen.append(filename)
        return builtins.compile(source, filename, *args, **kwargs)

    monkeypatch.setattr(handlers_module, "compile", counting_compile, raising=False)
    return seen


def write_handler(path: Path, body: str, mtime_ns: int | None = None) -> str:
    path.write_text(body)
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))
    return str(path)


def test_load_main_returns_the_files_main(cache: HandlerCache, tmp_path: Path) -> None:
    path = write_handler(tmp_path / "h.py", "def main(request, response):\n    return 'hello ' + request\n")
    main = cache.load_main(path)
    assert main("world", None) == "hello world"


def test_module_namespace_has_file_and_name(cache: HandlerCache, tmp_path: Path) -> None:
    path = write_handler(tmp_path / "h.py", "def main():\n    return __file__, __name__\n")
    assert cache.load_main(path)() == (path, "__harness_handler__")


def test_each_load_runs_the_module_body_in_a_fresh_namespace(cache: HandlerCache, tmp_path: Path) -> None:
    path = write_handler(
        tmp_path / "h.py",
        "seen = []\ndef main():\n    seen.append(1)\n    return len(seen)\n",
    )
    first = cache.load_main(path)
    assert first() == 1
    assert first() == 2, "one load keeps its own state while it is used"
    second = cache.load_main(path)
    assert second() == 1, "module-level state does not leak into the next load"
    assert second.__globals__ is not first.__globals__


def test_module_body_runs_on_every_load(cache: HandlerCache, tmp_path: Path) -> None:
    counter = tmp_path / "runs.txt"
    path = write_handler(
        tmp_path / "h.py",
        f"with open({str(counter)!r}, 'a') as f:\n    f.write('x')\ndef main():\n    pass\n",
    )
    for _ in range(3):
        cache.load_main(path)
    assert counter.read_text() == "xxx"


def test_unchanged_old_file_is_compiled_once(cache: HandlerCache, tmp_path: Path, compiles: list[str]) -> None:
    old = time.time_ns() - 3600 * 10**9
    path = write_handler(tmp_path / "h.py", "def main():\n    return 1\n", mtime_ns=old)
    for _ in range(5):
        assert cache.load_main(path)() == 1
    assert compiles == [path]


def test_unchanged_recent_file_is_reread_but_not_recompiled(
    cache: HandlerCache, tmp_path: Path, compiles: list[str]
) -> None:
    path = write_handler(tmp_path / "h.py", "def main():\n    return 1\n", mtime_ns=time.time_ns())
    for _ in range(3):
        assert cache.load_main(path)() == 1
    assert compiles == [path]


def test_edit_with_same_size_and_mtime_is_picked_up(cache: HandlerCache, tmp_path: Path, compiles: list[str]) -> None:
    """Two writes within the filesystem's timestamp resolution: the bytes decide."""
    stamp = time.time_ns()
    path = write_handler(tmp_path / "h.py", "def main():\n    return 'v1'\n", mtime_ns=stamp)
    assert cache.load_main(path)() == "v1"
    write_handler(tmp_path / "h.py", "def main():\n    return 'v2'\n", mtime_ns=stamp)
    assert cache.load_main(path)() == "v2"
    assert compiles == [path, path]


def test_edit_of_an_old_file_is_picked_up(cache: HandlerCache, tmp_path: Path) -> None:
    old = time.time_ns() - 3600 * 10**9
    path = write_handler(tmp_path / "h.py", "def main():\n    return 'v1'\n", mtime_ns=old)
    assert cache.load_main(path)() == "v1"
    write_handler(tmp_path / "h.py", "def main():\n    return 'version 2'\n", mtime_ns=old + 10**9)
    assert cache.load_main(path)() == "version 2"


def test_files_are_cached_separately(cache: HandlerCache, tmp_path: Path) -> None:
    a = write_handler(tmp_path / "a.py", "def main():\n    return 'a'\n")
    b = write_handler(tmp_path / "b.py", "def main():\n    return 'b'\n")
    assert (cache.load_main(a)(), cache.load_main(b)(), cache.load_main(a)()) == ("a", "b", "a")


def test_syntax_error_names_file_and_line(cache: HandlerCache, tmp_path: Path) -> None:
    path = write_handler(tmp_path / "bad.py", "x = 1\n\ndef main(:\n    pass\n")
    with pytest.raises(HandlerLoadError) as info:
        cache.load_main(path)
    assert info.value.message.startswith(f"SyntaxError in handler file {path} at line 3: ")
    assert "SyntaxError" in info.value.details
    assert str(info.value).startswith(info.value.message + "\n")


def test_indentation_error_is_a_load_error(cache: HandlerCache, tmp_path: Path) -> None:
    path = write_handler(tmp_path / "bad.py", "def main():\nreturn 1\n")
    with pytest.raises(HandlerLoadError, match=r"IndentationError in handler file .*bad\.py at line 2"):
        cache.load_main(path)


def test_nul_byte_in_source_is_a_load_error(cache: HandlerCache, tmp_path: Path) -> None:
    path = tmp_path / "nul.py"
    path.write_bytes(b"def main():\n    return 1\x00\n")
    with pytest.raises(HandlerLoadError, match=f"in handler file {path}"):
        cache.load_main(str(path))


def test_fixed_syntax_error_loads_on_the_next_request(cache: HandlerCache, tmp_path: Path) -> None:
    stamp = time.time_ns()
    path = write_handler(tmp_path / "h.py", "def main(:\n", mtime_ns=stamp)
    with pytest.raises(HandlerLoadError):
        cache.load_main(path)
    write_handler(tmp_path / "h.py", "def main():\n    return 'fixed'\n", mtime_ns=stamp)
    assert cache.load_main(path)() == "fixed"


@pytest.mark.parametrize(
    "body", ["x = 1\n", "main = 42\n", "def other():\n    pass\n"], ids=["no-main", "not-callable", "other-name"]
)
def test_missing_main_is_a_load_error(cache: HandlerCache, tmp_path: Path, body: str) -> None:
    path = write_handler(tmp_path / "h.py", body)
    with pytest.raises(HandlerLoadError) as info:
        cache.load_main(path)
    assert str(info.value) == f"handler file {path} defines no main(request, response) function"


def test_missing_main_message_uses_the_signature_hint(cache: HandlerCache, tmp_path: Path) -> None:
    path = write_handler(tmp_path / "h_wsh.py", "x = 1\n")
    with pytest.raises(HandlerLoadError, match=r"defines no main\(ws, request\) function"):
        cache.load_main(path, signature_hint="main(ws, request)")


def test_callable_main_that_is_not_a_function_is_accepted(cache: HandlerCache, tmp_path: Path) -> None:
    path = write_handler(tmp_path / "h.py", "class main:\n    pass\n")
    assert isinstance(cache.load_main(path), type)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("import no_such_module_for_harness_tests\n", "ModuleNotFoundError"),
        ("1 / 0\n", "ZeroDivisionError"),
        ("raise SystemExit(3)\n", "SystemExit"),
    ],
)
def test_module_body_raising_is_a_load_error_with_traceback(
    cache: HandlerCache, tmp_path: Path, body: str, error: str
) -> None:
    path = write_handler(tmp_path / "h.py", "def main():\n    pass\n" + body)
    with pytest.raises(HandlerLoadError) as info:
        cache.load_main(path)
    assert info.value.message.startswith(f"handler file {path} raised {error} while loading: ")
    assert info.value.details.startswith("Traceback (most recent call last):")
    assert f'File "{path}", line 3' in info.value.details
    assert error in info.value.details


def test_keyboard_interrupt_in_the_module_body_is_not_swallowed(cache: HandlerCache, tmp_path: Path) -> None:
    path = write_handler(tmp_path / "h.py", "raise KeyboardInterrupt\n")
    with pytest.raises(KeyboardInterrupt):
        cache.load_main(path)


def test_missing_file_is_a_load_error(cache: HandlerCache, tmp_path: Path) -> None:
    path = str(tmp_path / "missing.py")
    with pytest.raises(HandlerLoadError, match=f"^handler file {path} cannot be read: No such file or directory$"):
        cache.load_main(path)


def test_deleted_file_is_a_load_error_even_when_cached(cache: HandlerCache, tmp_path: Path) -> None:
    path = write_handler(tmp_path / "h.py", "def main():\n    pass\n")
    cache.load_main(path)
    os.unlink(path)
    with pytest.raises(HandlerLoadError, match="cannot be read"):
        cache.load_main(path)


def test_format_exception() -> None:
    try:
        raise ValueError("boom")
    except ValueError as exc:
        text = format_exception(exc)
    assert text.startswith("Traceback (most recent call last):")
    assert text.rstrip().endswith("ValueError: boom")
