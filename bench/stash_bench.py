"""Stash: put+take pairs per second from one client process.

Three stashes, each in its own server process on a unix socket, driven the same way: a pair
is ``put(key, value)`` then ``take(key)`` with a fresh uuid4 key (made before the clock
starts) and a 16-byte value.

- ours: :class:`harness.stash.Stash` against the running ``harness serve``;
- wptserve: :class:`wptserve.stash.Stash` against wptserve's ``StashServer`` (it forks a
  ``BaseManager`` whose address, left to ``None``, is a unix socket in a temp dir);
- raw: a plain ``BaseManager`` serving a dict through a ``DictProxy``, exactly two round trips
  per pair (``d[k] = v``; ``d.pop(k)``): what the transport costs with no stash logic at all.

The variants run in interleaved rounds (each goes first in turn) and each reports its median
round: on a shared 2-core VM a single long run can land in a fast or a slow phase.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.managers import BaseManager, DictProxy
from typing import Any

from harness.run.state import HarnessState
from harness.stash import Stash
from harness.stash.envconfig import decode_env_config

from .common import cpu_seconds, median
from .table import Row, Table, ratio_at_least, within_factor

__all__ = ["StashSettings", "run"]

VALUE = b"0123456789abcdef"
PATH = "/bench/stash"
_WARMUP_PAIRS = 200


@dataclass(frozen=True)
class StashSettings:
    pairs: int
    rounds: int
    threads: int = 8


Pair = Callable[[str], None]


_raw_data: dict[str, Any] = {}


def _get_raw_dict() -> dict[str, Any]:
    return _raw_data


class RawManager(BaseManager):
    """The baseline: a dict behind a stdlib manager, nothing else."""


RawManager.register("get_dict", callable=_get_raw_dict, proxytype=DictProxy)


@dataclass
class _Variant:
    name: str
    make_pair: Callable[[], Pair]  # called in the thread that will use it
    server_pid: int
    single: list[float] = field(default_factory=list)
    threaded: list[float] = field(default_factory=list)
    server_cpu: float = 0.0  # seconds, over all single-thread rounds
    single_pairs: int = 0

    @property
    def cpu_us_per_pair(self) -> float:
        return self.server_cpu / self.single_pairs * 1e6


def _stash_pair(stash_class: Any, address: Any, authkey: bytes) -> Callable[[], Pair]:
    """A pair (put, then take) on a fresh ``stash_class(PATH, address, authkey)`` per thread."""

    def make() -> Pair:
        stash = stash_class(PATH, address, authkey)

        def pair(key: str) -> None:
            stash.put(key, VALUE)
            stash.take(key)

        return pair

    return make


def _our_pair(state: HarnessState) -> Callable[[], Pair]:
    address, authkey = decode_env_config(state.stash_config)
    return _stash_pair(Stash, address, authkey)


def _wpt_pair(address: Any, authkey: bytes) -> Callable[[], Pair]:
    from wptserve.stash import Stash as WptStash

    return _stash_pair(WptStash, address, authkey)


def _raw_pair(manager: RawManager) -> Callable[[], Pair]:
    data = manager.get_dict()  # type: ignore[attr-defined]

    def make() -> Pair:
        def pair(key: str) -> None:
            data[key] = VALUE
            data.pop(key)

        return pair

    return make


def _keys(count: int) -> list[str]:
    return [str(uuid.uuid4()) for _ in range(count)]


def _single(variant: _Variant, pairs: int) -> None:
    pair = variant.make_pair()
    for key in _keys(_WARMUP_PAIRS):
        pair(key)
    keys = _keys(pairs)
    cpu_before = cpu_seconds(variant.server_pid)
    started = time.perf_counter()
    for key in keys:
        pair(key)
    elapsed = time.perf_counter() - started
    variant.server_cpu += cpu_seconds(variant.server_pid) - cpu_before
    variant.single_pairs += pairs
    variant.single.append(pairs / elapsed)


def _threaded(variant: _Variant, pairs: int, threads: int) -> None:
    per_thread = max(1, pairs // threads)
    barrier = threading.Barrier(threads + 1)
    failures: list[BaseException] = []

    def work() -> None:
        try:
            pair = variant.make_pair()
            for key in _keys(20):
                pair(key)  # this thread's connection is set up before the clock starts
            keys = _keys(per_thread)
        except BaseException as exc:
            failures.append(exc)
            barrier.abort()
            raise
        barrier.wait()
        try:
            for key in keys:
                pair(key)
        except BaseException as exc:
            failures.append(exc)
            raise

    workers = [threading.Thread(target=work, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    barrier.wait()
    started = time.perf_counter()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{variant.name}: a stash thread failed") from failures[0]
    variant.threaded.append(per_thread * threads / elapsed)


def run(state: HarnessState, settings: StashSettings) -> Table:
    from wptserve.stash import StashServer

    wpt_server = StashServer()
    raw_manager = RawManager()  # address None: a unix socket, as for wptserve
    wpt_server.__enter__()
    try:
        raw_manager.start()
        assert wpt_server.manager is not None and wpt_server.manager._process is not None
        assert raw_manager._process is not None  # type: ignore[attr-defined]
        variants = [
            _Variant("ours", _our_pair(state), state.server_pids["stash"]),
            _Variant("wptserve", _wpt_pair(wpt_server.address, wpt_server.authkey), wpt_server.manager._process.pid),
            _Variant("raw", _raw_pair(raw_manager), raw_manager._process.pid),  # type: ignore[attr-defined]
        ]
        for round_number in range(settings.rounds):
            shift = round_number % len(variants)  # each variant goes first in turn
            order = variants[shift:] + variants[:shift]
            for variant in order:
                _single(variant, settings.pairs)
            for variant in order:
                _threaded(variant, settings.pairs, settings.threads)
    finally:
        try:
            raw_manager.shutdown()
        finally:
            wpt_server.__exit__(None, None, None)
    ours, wpt, raw = variants
    return _table(ours, wpt, raw, settings)


def _table(ours: _Variant, wpt: _Variant, raw: _Variant, settings: StashSettings) -> Table:
    table = Table(
        f"stash: put+take pairs/s from one client process, {settings.pairs:,} pairs per round, "
        f"median of {settings.rounds} rounds, variants in rotating order"
    )
    n = settings.threads
    table.add(
        Row("pairs/s, 1 thread; peer: wptserve Stash", median(ours.single), median(wpt.single), 0, ratio_at_least(2))
    )
    table.add(
        Row(
            "pairs/s, 1 thread; peer: raw BaseManager dict",
            median(ours.single),
            median(raw.single),
            0,
            within_factor(1.2),
        )
    )
    table.add(Row(f"pairs/s, {n} threads; peer: wptserve Stash", median(ours.threaded), median(wpt.threaded)))
    table.add(Row(f"pairs/s, {n} threads; peer: raw BaseManager dict", median(ours.threaded), median(raw.threaded)))
    table.add(
        Row(
            "stash server CPU us/pair, 1 thread; peer: wptserve",
            ours.cpu_us_per_pair,
            wpt.cpu_us_per_pair,
            1,
        )
    )
    table.add(
        Row(
            "stash server CPU us/pair, 1 thread; peer: raw",
            ours.cpu_us_per_pair,
            raw.cpu_us_per_pair,
            1,
        )
    )
    table.notes.append(
        "round trips per pair: ours 2 (put, take), wptserve 4 (contains+setitem, get+pop), raw 2 (setitem, pop)"
    )
    table.notes.append(
        "server CPU: utime+stime of the stash server process from /proc (10 ms ticks), "
        "summed over all single-thread rounds / pairs"
    )
    return table


# -- the seeds' features: TTLs, tables, context locals -------------------------------------------

FEATURE_TABLE = "bench-features"


def _feature_pairs(stash: Stash) -> dict[str, Pair]:
    """Each feature's operation paired so the stash ends as it started (two round trips each)."""
    table = stash.table(FEATURE_TABLE)
    ttl_table = stash.table(FEATURE_TABLE + "-ttl", ttl=60)

    def plain(key: str) -> None:
        stash.put(key, VALUE)
        stash.take(key)

    def with_ttl(key: str) -> None:
        stash.put(key, VALUE, ttl=60)
        stash.take(key)

    def table_set_pop(key: str) -> None:
        table[key] = VALUE
        table.pop(key)

    def table_ttl_set_pop(key: str) -> None:
        ttl_table[key] = VALUE
        ttl_table.pop(key)

    def table_update(key: str) -> None:  # get_versioned + compare-and-set: two round trips
        table.update("counter", lambda n: n + 1, default=0)

    def table_append_pop(key: str) -> None:
        table.append(key, VALUE)
        table.pop(key)

    return {
        "put+take (plain, the baseline)": plain,
        "put(ttl=60)+take": with_ttl,
        "table set+pop": table_set_pop,
        "table set+pop, table ttl=60": table_ttl_set_pop,
        "table update(+1)": table_update,
        "table append+pop": table_append_pop,
    }


def _proxy_access_ns(accesses: int) -> tuple[float, float, float]:
    """ns per ``request.method`` read: through the proxy, through current_request(), direct."""
    from harness import request
    from harness.site.context import current_request, handling

    class Bound:
        method = "GET"

    bound: Any = Bound()
    with handling(bound):

        def timed(read: Callable[[], object]) -> float:
            started = time.perf_counter()
            for _ in range(accesses):
                read()
            return (time.perf_counter() - started) / accesses * 1e9

        results = []
        for read in (lambda: request.method, lambda: current_request().method, lambda: bound.method):
            results.append(min(timed(read) for _ in range(5)))
    return results[0], results[1], results[2]


def run_features(state: HarnessState, settings: StashSettings) -> Table:
    """Rates of the feature operations against a plain put+take, interleaved, one client thread."""
    address, authkey = decode_env_config(state.stash_config)
    stash = Stash(PATH, address, authkey)
    pairs = _feature_pairs(stash)
    rates: dict[str, list[float]] = {name: [] for name in pairs}
    cpu: dict[str, float] = dict.fromkeys(pairs, 0.0)
    server_pid = state.server_pids["stash"]
    names = list(pairs)
    for name in names:
        for key in _keys(_WARMUP_PAIRS):
            pairs[name](key)
    for round_number in range(settings.rounds):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            keys = _keys(settings.pairs)
            cpu_before = cpu_seconds(server_pid)
            started = time.perf_counter()
            for key in keys:
                pairs[name](key)
            rates[name].append(settings.pairs / (time.perf_counter() - started))
            cpu[name] += cpu_seconds(server_pid) - cpu_before
    stash.table(FEATURE_TABLE).clear()
    baseline_name = names[0]
    baseline = median(rates[baseline_name])
    table = Table(
        f"stash features: operation pairs/s from one client thread vs a plain put+take, {settings.pairs:,} "
        f"pairs per round, median of {settings.rounds} rounds, in rotating order"
    )
    for name in names[1:]:
        table.add(Row(f"pairs/s, {name}; peer: plain put+take", median(rates[name]), baseline, 0, within_factor(1.2)))
    total = settings.pairs * settings.rounds
    table.add(
        Row(
            "stash server CPU us/pair, put(ttl=60)+take; peer: plain put+take",
            cpu[names[1]] / total * 1e6,
            cpu[baseline_name] / total * 1e6,
            1,
        )
    )
    proxy, function, direct = _proxy_access_ns(200_000)
    table.add(Row("ns per request.method through harness.request; peer: direct attribute", proxy, direct, 0))
    table.add(Row("ns per request.method through current_request(); peer: direct attribute", function, direct, 0))
    table.notes.append(
        "every pair is two round trips to the stash server (update: get_versioned + compare-and-set); "
        "TTL and table puts keep their deadline in a heap, so nothing scans per operation"
    )
    table.notes.append("proxy cost: best of 5 loops of 200,000 reads in one thread with a request bound")
    return table
