#!/usr/bin/env python3
"""Benchmarks of stash-harness against wptserve 4.0.3 and pywebsocket3 4.0.2.

    python3 dev.py bench [--quick] [--only stash,stash_features,http,ws,startup,plugin,soak] [--strict]

One run starts our harness (``harness serve`` on ``bench/docroot``) and the peers, runs the
selected benchmarks, prints a Markdown table for each (metric | ours | peer | ratio | target
| met?) and a summary of the targets, and writes the same report to
``bench/results/latest[-quick].md``. Every process it starts is stopped before it exits.
``--quick`` is the CI smoke version (under a minute); the default takes a few minutes.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import NoReturn

# Run as a script: import the bench package from the repository root, not from bench/ itself.
ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)

from bench import http_bench, plugin_bench, soak_bench, startup_bench, stash_bench, ws_bench  # noqa: E402
from bench.common import DOCROOT, BackgroundLoad  # noqa: E402
from bench.peers import PeerTLS, peer_tls  # noqa: E402
from bench.table import Table, render  # noqa: E402
from harness.run.launcher import HarnessProcess  # noqa: E402
from harness.run.state import HarnessState  # noqa: E402

BENCHMARKS = ("stash", "stash_features", "http", "ws", "startup", "plugin", "soak")
RESULTS = ROOT / "bench" / "results"


@dataclass(frozen=True)
class Settings:
    stash: stash_bench.StashSettings
    http: http_bench.HTTPSettings
    ws: ws_bench.WSSettings
    startup: startup_bench.StartupSettings
    plugin: plugin_bench.PluginSettings
    soak: soak_bench.SoakSettings


FULL = Settings(
    stash=stash_bench.StashSettings(pairs=3_000, rounds=15),
    http=http_bench.HTTPSettings(seconds=4, runs=3, sequential=200),
    ws=ws_bench.WSSettings(seconds=3.0, runs=3),
    startup=startup_bench.StartupSettings(runs=5),
    plugin=plugin_bench.PluginSettings(runs=3),
    soak=soak_bench.SoakSettings(seconds=60),
)
QUICK = Settings(
    stash=stash_bench.StashSettings(pairs=1_000, rounds=3),
    http=http_bench.HTTPSettings(seconds=1, runs=1, sequential=50),
    ws=ws_bench.WSSettings(seconds=1.0, runs=1),
    startup=startup_bench.StartupSettings(runs=3),
    plugin=plugin_bench.PluginSettings(runs=1, conformance=False),
    soak=soak_bench.SoakSettings(seconds=10),
)


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="dev.py bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs, for a CI smoke test (under a minute)")
    parser.add_argument(
        "--only",
        metavar="NAMES",
        default=",".join(BENCHMARKS),
        help=f"comma-separated benchmarks to run, of {','.join(BENCHMARKS)} (default: all)",
    )
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when a target is missed")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(BENCHMARKS))
    if unknown or not chosen:
        parser.error(f"--only takes names from {','.join(BENCHMARKS)}, not {args.only!r}")
    args.only = [name for name in BENCHMARKS if name in chosen]
    return args


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _wrk_version() -> str:
    try:
        out = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False).stdout
    except OSError:
        return "wrk: not found"
    return out.split(" Copyright")[0].strip() or "wrk: unknown version"


def _header(args: argparse.Namespace) -> str:
    versions = ", ".join(
        f"{name} {metadata.version(name)}" for name in ("wptserve", "pywebsocket3", "websockets", "stash-harness")
    )
    command = "python3 dev.py bench" + (" --quick" if args.quick else "")
    if args.only != list(BENCHMARKS):
        command += f" --only {','.join(args.only)}"
    return "\n".join(
        [
            f"## stash-harness benchmarks ({'quick' if args.quick else 'full'} run)",
            "",
            f"- command: `{command}`",
            f"- machine: {os.cpu_count()} cores ({_cpu_model()}), Linux {platform.release()}, "
            f"Python {platform.python_version()}",
            f"- software: {versions}, {_wrk_version()}",
            f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        ]
    )


def _summary(tables: list[Table], elapsed: float, load: BackgroundLoad) -> tuple[str, int]:
    lines = ["### targets", ""]
    missed = 0
    for table in tables:
        for row in table.rows:
            if row.target is None:
                continue
            verdict = {True: "met", False: "MISSED", None: "not measured"}[row.met]
            missed += row.met is not True
            lines.append(f"- {verdict}: {table.title.split(':')[0]} / {row.metric} (target {row.target.text})")
    total = sum(1 for table in tables for row in table.rows if row.target is not None)
    machine, own, share = load.report()
    lines += [
        "",
        f"{total - missed} of {total} targets met; the whole run took {elapsed:.0f} s.",
        f"Background load: other processes took about {share:.0%} of the machine during the run "
        f"(busy {machine:.0f} CPU-s in all, this run {own:.0f}; counted two ways, good to a few %)"
        + ("." if share < 0.1 else "; that skews the numbers above."),
    ]
    return "\n".join(lines), missed


def _emit(text: str, report: list[str]) -> None:
    print(text + "\n", flush=True)
    report.append(text)


def _run_with_harness(args: argparse.Namespace, settings: Settings, tls: PeerTLS, report: list[str]) -> list[Table]:
    tables: list[Table] = []
    harness = HarnessProcess(doc_root=DOCROOT)
    try:
        state: HarnessState = harness.start()
        for name in args.only:
            if name == "stash":
                table = stash_bench.run(state, settings.stash)
            elif name == "stash_features":
                table = stash_bench.run_features(state, settings.stash)
            elif name == "http":
                table = http_bench.run(state, tls, settings.http)
            elif name == "ws":
                table = ws_bench.run(state, tls, settings.ws)
            else:
                continue
            tables.append(table)
            _emit(render(table), report)
    finally:
        harness.close()
    return tables


def _on_sigterm(signum: int, frame: object) -> NoReturn:
    raise SystemExit(128 + signum)  # unwinds through every finally: servers get stopped


def main(argv: list[str]) -> int:
    args = _parse(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    settings = QUICK if args.quick else FULL
    started = time.monotonic()
    load = BackgroundLoad()
    report: list[str] = []
    _emit(_header(args), report)
    tables: list[Table] = []
    with tempfile.TemporaryDirectory(prefix="harness-bench-") as tmp:
        tls = peer_tls(Path(tmp))
        if set(args.only) & {"stash", "stash_features", "http", "ws"}:
            tables += _run_with_harness(args, settings, tls, report)
        if "startup" in args.only:
            # Last, with no other harness running: each run starts and stops its own.
            table = startup_bench.run(tls, settings.startup)
            tables.append(table)
            _emit(render(table), report)
        if "plugin" in args.only:
            table = plugin_bench.run(settings.plugin)
            tables.append(table)
            _emit(render(table), report)
        if "soak" in args.only:
            table = soak_bench.run(settings.soak)
            tables.append(table)
            _emit(render(table), report)
    summary, missed = _summary(tables, time.monotonic() - started, load)
    _emit(summary, report)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / ("latest-quick.md" if args.quick else "latest.md")
    out.write_text("\n\n".join(report) + "\n", encoding="utf-8")
    print(f"(report written to {out.relative_to(ROOT)})")
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
