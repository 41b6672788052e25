"""The Redis client's cost per put+take pair, this tree against an earlier commit, beside the manager.

    .venv/bin/python -m bench.redis_client_cost [--before 7782b37] [--pairs 1000] [--rounds 7]

One process, one redis-server (in memory), one manager stash server; interleaved rounds
(each client goes first in turn; medians reported) of put+take pairs (16-byte value, fresh
uuid4 key) through: the manager, and the Redis backend of ``--before`` and of this tree,
over the unix socket and over loopback TCP. Per pair: wall time and the client's own CPU
time (``time.process_time``: user and system, the stash server's not included).

The earlier commit's ``harness`` package is extracted with ``git archive`` and imported as
``harness_before`` (its stash modules import each other relatively). Compare the rows of
one run: the machine's load moves every figure between runs.
"""

from __future__ import annotations

import argparse
import importlib
import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from harness.stash import Stash
from harness.stash.client import ManagerBackend
from harness.stash.redis_backend import RedisBackend

from .redis_bench import PATH, VALUE, _manager

ROOT = Path(__file__).resolve().parent.parent


def pair_cost(stash: Any, pairs: int) -> tuple[float, float]:
    """(wall, client CPU) seconds per put+take pair, after a warm-up."""
    for _ in range(50):
        key = str(uuid.uuid4())
        stash.put(key, VALUE)
        stash.take(key)
    keys = [str(uuid.uuid4()) for _ in range(pairs)]
    cpu, wall = time.process_time(), time.perf_counter()
    for key in keys:
        stash.put(key, VALUE)
        stash.take(key)
    return (time.perf_counter() - wall) / pairs, (time.process_time() - cpu) / pairs


def _import_before(ref: str, directory: Path) -> tuple[Any, Any]:
    """``(Stash, RedisBackend)`` of commit ``ref``, imported from an extracted copy."""
    archive = subprocess.run(["git", "archive", ref, "harness"], cwd=ROOT, check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(directory, filter="data")
    (directory / "harness").rename(directory / "harness_before")
    sys.path.insert(0, str(directory))
    stash_module = importlib.import_module("harness_before.stash")
    redis_module = importlib.import_module("harness_before.stash.redis_backend")
    return stash_module.Stash, redis_module.RedisBackend


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.redis_client_cost", description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="7782b37", help="the commit to compare with (default: %(default)s)")
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from tests.redis_support import RedisServer

    with tempfile.TemporaryDirectory() as directory:
        stash_before, backend_before = _import_before(args.before, Path(directory) / "before")
        manager_process, address, authkey = _manager(directory)
        server = RedisServer(Path(directory) / "redis", persist=False).start()
        try:
            secret = os.urandom(16)
            stashes: dict[str, Any] = {"manager": Stash(PATH, backend=ManagerBackend(address, authkey))}
            for transport, url in (("unix", server.unix_url), ("tcp", server.url)):
                before = backend_before(url, uuid.uuid4().hex, secret)
                stashes[f"redis {transport}, {args.before}"] = stash_before(PATH, backend=before)
                stashes[f"redis {transport}, this tree"] = Stash(
                    PATH, backend=RedisBackend(url, uuid.uuid4().hex, secret)
                )
            names = list(stashes)
            costs: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
            for round_number in range(args.rounds):
                turn = round_number % len(names)
                for name in names[turn:] + names[:turn]:
                    costs[name].append(pair_cost(stashes[name], args.pairs))
        finally:
            server.stop()
            manager_process.terminate()
            manager_process.join(10)
    wall = {name: statistics.median(cost[0] for cost in runs) * 1e6 for name, runs in costs.items()}
    cpu = {name: statistics.median(cost[1] for cost in runs) * 1e6 for name, runs in costs.items()}
    print("| put+take pair                  | wall (us) | x manager | client CPU (us) | x manager |")
    print("|--------------------------------|----------:|----------:|----------------:|----------:|")
    for name in names:
        print(
            f"| {name:30} | {wall[name]:9.1f} | {wall[name] / wall['manager']:8.2f}x "
            f"| {cpu[name]:15.1f} | {cpu[name] / cpu['manager']:8.2f}x |"
        )
    print(f"\n{args.rounds} interleaved rounds of {args.pairs} pairs (medians); load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
