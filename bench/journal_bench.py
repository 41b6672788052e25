"""The request journal's cost: server CPU per request with the journal on and off, side by side.

    .venv/bin/python -m bench.journal_bench [--seconds 3] [--runs 3]

Two harnesses on ``bench/docroot``, one started with ``HARNESS_JOURNAL=off``. For the handler
(``/hello.py``) and the 1 KiB static file, over HTTP and HTTPS, ``wrk -t2 -c10`` runs against
each in turn (alternating who goes first, ``--runs`` times) and the server process's CPU time per request is
read from ``/proc``. Target: the journal adds at most 10% CPU per request.

Under load from other processes the wrk rows are noisy, so the table also has the cost of the
recording call itself, measured in-process (CPU time of 100,000 calls into a scratch journal)
and compared with the journal-off harness's CPU per handler request.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from harness.journal import writer
from harness.run.launcher import HarnessProcess

from .common import DOCROOT, loopback_url, median, tls_client_context
from .http_bench import RESOURCES, _measure, warm_up
from .table import Row, Table, ratio_at_most, render

__all__ = ["main"]


def _start(workdir: Path, journal: bool) -> HarnessProcess:
    env = {k: v for k, v in os.environ.items() if k != "HARNESS_JOURNAL"}
    if not journal:
        env["HARNESS_JOURNAL"] = "off"
    workdir.mkdir()
    process = HarnessProcess(doc_root=DOCROOT, workdir=workdir, env=env)
    process.start()
    return process


class _Request:
    method = "GET"
    request_path = "/hello.py?name=value"
    header_list = ((b"Host", b"localhost:41233"), (b"User-Agent", b"wrk"), (b"Accept", b"*/*"))


def record_cost_us(directory: Path, calls: int = 100_000) -> float:
    """CPU microseconds of one ``record_http`` call (the server's whole per-request journal work)."""
    os.environ[writer.JOURNAL_ENV_VAR] = str(directory)
    writer._writers.clear()
    request = _Request()
    try:
        started = time.process_time()
        for _ in range(calls):
            writer.record_http("http", request, 200, time.time(), None)
        return (time.process_time() - started) / calls * 1e6
    finally:
        os.environ.pop(writer.JOURNAL_ENV_VAR, None)
        writer._writers.clear()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench.journal_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=3, help="seconds per wrk run (default 3)")
    parser.add_argument("--runs", type=int, default=3, help="alternating runs per case (default 3)")
    args = parser.parse_args(argv)
    table = Table(
        f"request journal: server CPU us/request, wrk -t2 -c10 -d{args.seconds}s, median of {args.runs} "
        "alternating runs; ours: journal on, peer: the same harness with HARNESS_JOURNAL=off"
    )
    with tempfile.TemporaryDirectory() as scratch:
        on = _start(Path(scratch, "on"), journal=True)
        off = _start(Path(scratch, "off"), journal=False)
        try:
            states = {"on": on.state, "off": off.state}
            for scheme in ("http", "https"):
                for label, path in RESOURCES.items():
                    cpu: dict[str, list[float]] = {"on": [], "off": []}
                    for state in states.values():
                        assert state is not None
                        context = tls_client_context(state.ca_cert) if scheme == "https" else None
                        warm_up(loopback_url(state.urls[scheme]) + path, context)
                    for run in range(args.runs):
                        # Alternating, and each goes first every other run: neither gets the warmer slot.
                        order = list(states.items()) if run % 2 == 0 else list(states.items())[::-1]
                        for who, state in order:
                            assert state is not None
                            url = loopback_url(state.urls[scheme]) + path
                            cpu[who].append(_measure(url, state.server_pids[scheme], args.seconds).cpu_us)
                    table.add(
                        Row(
                            f"{scheme} {label}: server CPU us/request",
                            median(cpu["on"]),
                            median(cpu["off"]),
                            1,
                            ratio_at_most(1.10),
                        )
                    )
            handler_off = next(row.peer for row in table.rows if row.metric.startswith("http handler"))
            record = median([record_cost_us(Path(scratch, f"micro{n}")) for n in range(3)])
            table.add(
                Row(
                    "journal record (record_http), in-process: CPU us/call; peer: http handler CPU us/request, off",
                    record,
                    handler_off,
                    1,
                    ratio_at_most(0.10),
                )
            )
            journal = Path(on.state.run_dir, "journal") if on.state is not None else None
            if journal is not None and journal.exists():
                size = sum(path.stat().st_size for path in journal.iterdir())
                table.notes.append(f"journal written by the 'on' harness during the runs: {size / 1e6:.1f} MB")
        finally:
            on.close()
            off.close()
    print(render(table))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
