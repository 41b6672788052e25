"""A soak of the shared stash: clients on every protocol put values that clients on other
protocols take, for a fixed time. Used by the CI test (tests/reliability/test_load.py, for
seconds) and ``bench/soak_bench.py`` (about a minute). Every value must be taken exactly
once; RSS is sampled before and after."""

from __future__ import annotations

import random
import threading
import uuid
from dataclasses import dataclass, field

import psutil

from pytest_harness import Harness

from .endpoints import PROTOCOLS, open_endpoint

SOAK_PATH = "/soak"


@dataclass
class SoakResult:
    seconds: float
    pairs: int = 0
    double_takes: list[str] = field(default_factory=list)
    wrong_values: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    left_over: int = 0
    rss_before: int = 0
    rss_after: int = 0
    threads_before: int = 0
    threads_after: int = 0

    @property
    def rss_growth(self) -> int:
        return self.rss_after - self.rss_before


def _processes(harness: Harness) -> list[psutil.Process]:
    return [psutil.Process(pid) for pid in [harness.state.pid, *harness.server_pids.values()]]


def _rss(harness: Harness) -> int:
    return sum(process.memory_info().rss for process in _processes(harness))


def _threads(harness: Harness) -> int:
    return sum(process.num_threads() for process in _processes(harness))


def run_soak(harness: Harness, seconds: float, clients_per_protocol: int = 2, seed: int = 0) -> SoakResult:
    """Run the soak for ``seconds``; the result says what (if anything) went wrong."""
    result = SoakResult(seconds)
    lock = threading.Lock()
    stop = threading.Event()
    warmed = threading.Barrier(len(PROTOCOLS) * clients_per_protocol + 1)

    def client(own: str, index: int) -> None:
        rng = random.Random(f"{seed}-{own}-{index}")
        endpoints = {name: open_endpoint(harness, name) for name in PROTOCOLS}
        try:
            warmed.wait(30)
            count = 0
            while not stop.is_set():
                key = str(uuid.uuid4())
                value = f"{own}-{index}-{count}"
                consumer = rng.choice([name for name in PROTOCOLS if name != own])
                refusal = endpoints[own].put(key, value, SOAK_PATH)
                taken = endpoints[consumer].take(key, SOAK_PATH)
                again = endpoints[rng.choice(PROTOCOLS)].take(key, SOAK_PATH) if count % 10 == 0 else None
                with lock:
                    result.pairs += 1
                    if refusal is not None:
                        result.errors.append(f"put via {own} refused: {refusal}")
                    if taken != value:
                        result.wrong_values.append(f"{own}->{consumer}: put {value!r}, took {taken!r}")
                    if again is not None:
                        result.double_takes.append(f"{key} taken twice")
                count += 1
        except Exception as exc:  # noqa: BLE001 - recorded, the soak reports it
            with lock:
                result.errors.append(f"{own} client {index}: {type(exc).__name__}: {exc}")
        finally:
            for endpoint in endpoints.values():
                endpoint.close()

    threads = [
        threading.Thread(target=client, args=(name, index), daemon=True)
        for name in PROTOCOLS
        for index in range(clients_per_protocol)
    ]
    for thread in threads:
        thread.start()
    warmed.wait(60)
    result.rss_before = _rss(harness)
    result.threads_before = _threads(harness)
    stop.wait(seconds)
    stop.set()
    for thread in threads:
        thread.join(30)
    result.rss_after = _rss(harness)
    result.threads_after = _threads(harness)
    result.left_over = len(harness.stash().entries(path=SOAK_PATH))
    return result
