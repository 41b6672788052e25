"""Stash backends side by side: the manager against Redis, on one machine and across a veth pair.

    .venv/bin/python -m bench.redis_bench [--pairs 2000] [--rounds 5] [--wakes 200]

One run measures, in interleaved rounds (each backend goes first in turn; medians reported):

- a put+take pair (16-byte value, fresh uuid4 key): the manager stash server on a unix
  socket, redis-server over loopback TCP and over its unix socket (target: Redis at most
  2x the manager's time per pair; each operation is one Lua script, one round trip);
- blocking-take wake-up latency (p50/p99): a thread blocked in ``take(timeout=...)`` and
  the put that wakes it, from another client;
- throughput of 8 concurrent clients (threads, each with its own keys);
- with root and ``ip``: the same pair and wake-up across two network namespaces joined by a
  veth pair (redis-server on 10.231.0.1, the clients on 10.231.0.2; the taker and the putter
  are separate processes there). Otherwise those rows say why they are missing.

The redis-server runs in memory only (``appendonly no``), as the manager keeps its store;
the tests run it with ``appendfsync always`` (every write fsynced, slower, nothing lost). The
numbers are noisy on a shared machine: compare the columns of one run, not runs.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from harness.stash import Stash
from harness.stash.client import ManagerBackend
from harness.stash.manager import run_stash_server
from harness.stash.redis_backend import RedisBackend

from .table import Row, Table, ratio_at_most, render

VALUE = b"0123456789abcdef"
PATH = "/bench/redis"
THREADS = 8
ROOT = Path(__file__).resolve().parent.parent


def _keys(count: int) -> list[str]:
    return [str(uuid.uuid4()) for _ in range(count)]


def pair_seconds(stash: Stash, pairs: int) -> float:
    """Seconds per put+take pair, over ``pairs`` pairs (after a warm-up)."""
    for key in _keys(50):
        stash.put(key, VALUE)
        stash.take(key)
    keys = _keys(pairs)
    started = time.perf_counter()
    for key in keys:
        stash.put(key, VALUE)
        stash.take(key)
    return (time.perf_counter() - started) / pairs


def throughput(make: Callable[[], Stash], pairs: int, threads: int = THREADS) -> float:
    """Pairs per second of ``threads`` concurrent clients."""
    barrier = threading.Barrier(threads + 1)
    per_thread = max(1, pairs // threads)

    def work() -> None:
        stash = make()
        warm = str(uuid.uuid4())
        stash.put(warm, VALUE)  # the connection is made before the clock starts
        stash.take(warm)
        keys = _keys(per_thread)
        barrier.wait()
        for key in keys:
            stash.put(key, VALUE)
            stash.take(key)

    workers = [threading.Thread(target=work, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    barrier.wait()
    started = time.perf_counter()
    for worker in workers:
        worker.join()
    return per_thread * threads / (time.perf_counter() - started)


def wake_latencies(stash: Stash, putter: Stash, count: int) -> list[float]:
    """Seconds from each put to the return of the take it woke (take blocked in another thread)."""
    latencies: list[float] = []
    for key in _keys(count):
        done: list[float] = []

        def take(key: str = key, done: list[float] = done) -> None:
            stash.take(key, timeout=30)
            done.append(time.perf_counter())

        taker = threading.Thread(target=take)
        taker.start()
        while putter.waiting(key) != 1:
            time.sleep(0.0005)  # the measurement waits for the taker to block; not part of the figure
        started = time.perf_counter()
        putter.put(key, VALUE)
        taker.join()
        latencies.append(done[0] - started)
    return latencies


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# -- the clients run inside a network namespace --------------------------------------------------


def _client_main(argv: list[str]) -> None:
    """``python -m bench.redis_bench client ROLE URL RUN SECRET_HEX N``: one JSON line out."""
    role, url, run, secret, count = argv[0], argv[1], argv[2], bytes.fromhex(argv[3]), int(argv[4])
    stash = Stash(PATH, backend=RedisBackend(url, run, secret))
    if role == "pairs":
        print(json.dumps({"pair_seconds": pair_seconds(stash, count)}))
    elif role == "taker":
        # Takes the keys named on stdin, one per line, and prints when each take returned.
        times = []
        for line in sys.stdin:
            stash.take(line.strip(), timeout=30)
            times.append(time.monotonic())
            print(json.dumps({"took": times[-1]}), flush=True)


def _across_veth(args: argparse.Namespace) -> tuple[float, list[float]] | str:
    sys.path.insert(0, str(ROOT))
    from tests.netns_support import ADDRESSES, TwoMachines, why_no_namespaces
    from tests.redis_support import REDIS_SERVER, RedisServer

    reason = why_no_namespaces() or (None if REDIS_SERVER else "redis-server is not installed")
    if reason:
        return reason
    with tempfile.TemporaryDirectory() as directory, TwoMachines() as machines:
        server = RedisServer(
            Path(directory), bind=ADDRESSES["a"], port=6379, prefix=tuple(machines.prefix("a")), persist=False
        ).start()
        try:
            run, secret = uuid.uuid4().hex, os.urandom(16)
            common = [server.url, run, secret.hex()]
            client = [sys.executable, "-m", "bench.redis_bench", "client"]
            pairs = machines.run("b", [*client, "pairs", *common, str(args.pairs)])
            per_pair = float(json.loads(pairs.stdout)["pair_seconds"])
            taker = subprocess.Popen(
                [*machines.prefix("b"), *client, "taker", *common, "0"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                cwd=ROOT,
            )
            assert taker.stdin is not None and taker.stdout is not None
            # The putter is on machine A (beside Redis): it puts once B's take is blocked.
            putter = [*machines.prefix("a"), sys.executable, "-c", _PUTTER, *common, str(args.wakes)]
            with subprocess.Popen(putter, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT) as put:
                assert put.stdin is not None and put.stdout is not None
                latencies = []
                for key in _keys(args.wakes):
                    taker.stdin.write(key + "\n")
                    taker.stdin.flush()
                    put.stdin.write(key + "\n")
                    put.stdin.flush()
                    put_at = float(json.loads(put.stdout.readline())["put"])
                    took = float(json.loads(taker.stdout.readline())["took"])
                    latencies.append(took - put_at)
                put.stdin.close()
            taker.stdin.close()
            taker.wait(30)
            return per_pair, latencies
        finally:
            server.stop()


_PUTTER = """
import json, sys, time
from harness.stash import Stash
from harness.stash.redis_backend import RedisBackend
url, run, secret = sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3])
stash = Stash("/bench/redis", backend=RedisBackend(url, run, secret))
for line in sys.stdin:
    key = line.strip()
    while stash.waiting(key) != 1:
        time.sleep(0.0005)
    at = time.monotonic()
    stash.put(key, b"0123456789abcdef")
    print(json.dumps({"put": at}), flush=True)
"""


# -- the local run --------------------------------------------------------------------------------


def _manager(directory: str) -> tuple[multiprocessing.process.BaseProcess, str, bytes]:
    address, authkey = os.path.join(directory, "stash.sock"), os.urandom(16)
    process = multiprocessing.get_context("spawn").Process(target=run_stash_server, args=(address, authkey))
    process.start()
    deadline = time.monotonic() + 30
    while not os.path.exists(address):
        if time.monotonic() > deadline or not process.is_alive():
            raise RuntimeError("the manager stash server did not start")
        time.sleep(0.01)
    return process, address, authkey


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["client"]:
        _client_main(argv[1:])
        return 0
    parser = argparse.ArgumentParser(prog="python -m bench.redis_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--wakes", type=int, default=200)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from tests.redis_support import RedisServer

    with tempfile.TemporaryDirectory() as directory:
        manager_process, address, authkey = _manager(directory)
        server = RedisServer(Path(directory) / "redis", persist=False).start()
        try:
            run, secret = uuid.uuid4().hex, os.urandom(16)
            makers: dict[str, Callable[[], Stash]] = {
                "manager": lambda: Stash(PATH, backend=ManagerBackend(address, authkey)),
                "redis tcp": lambda: Stash(PATH, backend=RedisBackend(server.url, run, secret)),
                "redis unix": lambda: Stash(PATH, backend=RedisBackend(server.unix_url, run, secret)),
            }
            pair: dict[str, list[float]] = {name: [] for name in makers}
            rate: dict[str, list[float]] = {name: [] for name in makers}
            stashes = {name: make() for name, make in makers.items()}
            names = list(makers)
            for round_number in range(args.rounds):
                order = names[round_number % len(names) :] + names[: round_number % len(names)]
                for name in order:
                    pair[name].append(pair_seconds(stashes[name], args.pairs))
                for name in order:
                    rate[name].append(throughput(makers[name], args.pairs))
            wakes = {name: wake_latencies(stashes[name], makers[name](), args.wakes) for name in names}
        finally:
            server.stop()
            manager_process.terminate()
            manager_process.join(10)
    veth = _across_veth(args)
    table = Table("Stash backends: Redis (ours) against the manager (peer), one machine and across a veth pair")
    manager_pair = statistics.median(pair["manager"]) * 1e6
    for name in ("redis tcp", "redis unix"):
        ours = statistics.median(pair[name]) * 1e6
        table.add(Row(f"put+take pair, {name} (us)", ours, manager_pair, 1, ratio_at_most(2.0)))
    for name in ("redis tcp", "redis unix"):
        table.add(
            Row(f"8 clients, {name} (pairs/s)", statistics.median(rate[name]), statistics.median(rate["manager"]))
        )
    for name in ("redis tcp", "redis unix"):
        for label, fraction in (("p50", 0.5), ("p99", 0.99)):
            ours, peer = percentile(wakes[name], fraction) * 1e3, percentile(wakes["manager"], fraction) * 1e3
            table.add(Row(f"wake-up {label}, {name} (ms)", ours, peer, 2))
    if isinstance(veth, str):
        table.notes.append(f"across a veth pair: not measured ({veth})")
    else:
        per_pair, latencies = veth
        table.add(Row("put+take pair across the veth pair (us)", per_pair * 1e6, manager_pair, 1))
        table.add(Row("wake-up p50 across the veth pair (ms)", percentile(latencies, 0.5) * 1e3, None, 2))
        table.add(Row("wake-up p99 across the veth pair (ms)", percentile(latencies, 0.99) * 1e3, None, 2))
    table.notes += [
        f"{args.rounds} interleaved rounds of {args.pairs} pairs (medians); {args.wakes} wake-ups per backend",
        "manager: the harness's stash server on a unix socket; redis-server 7 in memory (appendonly no)",
        "across the veth pair: clients on 10.231.0.2, redis-server on 10.231.0.1 (the putter beside it); "
        "the peer column there is the one-machine manager pair",
    ]
    print(render(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
