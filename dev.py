#!/usr/bin/env python3
"""Set up and run stash-harness from a fresh clone, with nothing but python3 and pip.

    python3 dev.py serve [harness serve options]   # start the harness on config.json
    python3 dev.py test [pytest options]           # run the whole test suite (xdist)
    python3 dev.py lint                            # ruff check, ruff format --check, mypy
    python3 dev.py bench [bench options]           # benchmarks against wptserve / pywebsocket3

The first run makes ``.venv`` and installs the project into it (editable, with its test,
dev and bench extras) using uv, which it fetches with pip when it is not on PATH. Later runs
reinstall only when pyproject.toml changed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
TOOLS = VENV / ".tools"
STAMP = VENV / ".installed"
PYTHON = VENV / "bin" / "python"
# bench: wptserve and pywebsocket3, the peers of the benchmarks and of the differential tests.
EXTRAS = "test,dev,bench"


def _run(command: list[str], **kwargs: object) -> None:
    print("+", " ".join(command), flush=True)
    subprocess.run(command, check=True, **kwargs)  # type: ignore[call-overload]


def _uv() -> str:
    found = shutil.which("uv")
    if found:
        return found
    local = TOOLS / "bin" / "uv"
    if not local.exists():
        _run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--target",
                str(TOOLS),
                "uv",
            ]
        )
    return str(local)


def _wanted_stamp(extras: str) -> str:
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    return f"{digest} {extras} {sys.version_info[:3]}"


def ensure_venv(extras: str = EXTRAS) -> None:
    """Create ``.venv`` and install the project into it, unless already current."""
    if not PYTHON.exists():
        # --without-pip works where ensurepip is missing (Debian without python3-venv); uv
        # installs into the environment without needing pip inside it.
        _run([sys.executable, "-m", "venv", "--without-pip", str(VENV)])
    wanted = _wanted_stamp(extras)
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    # --compile-bytecode and compileall: every start of the harness would otherwise compile
    # its imports again where PYTHONDONTWRITEBYTECODE is set (many CI images set it).
    _run([_uv(), "pip", "install", "--quiet", "--compile-bytecode", "--python", str(PYTHON), "-e", f"{ROOT}[{extras}]"])
    _run([str(PYTHON), "-m", "compileall", "-q", str(ROOT / "harness"), str(ROOT / "fixtures")])
    STAMP.write_text(wanted)


def _exec(command: list[str]) -> None:
    sys.stdout.flush()
    os.chdir(ROOT)
    os.execv(command[0], command)


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(__doc__)
        return 0
    command, rest = argv[0], argv[1:]
    ensure_venv(EXTRAS)
    bin_dir = VENV / "bin"
    if command == "serve":
        _exec([str(bin_dir / "harness"), "serve", *rest])
    elif command == "test":
        workers = [] if any(arg.startswith("-n") or arg == "-p" for arg in rest) else ["-n", "auto"]
        _exec([str(PYTHON), "-m", "pytest", *workers, *rest])
    elif command == "lint":
        os.chdir(ROOT)
        checks = [
            [str(bin_dir / "ruff"), "check", "."],
            [str(bin_dir / "ruff"), "format", "--check", "."],
            [str(bin_dir / "mypy")],
        ]
        return max(subprocess.run(check).returncode for check in checks)
    elif command == "bench":
        _exec([str(PYTHON), str(ROOT / "bench" / "run.py"), *rest])
    else:
        print(f"dev.py: unknown command {command!r}\n{__doc__}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
