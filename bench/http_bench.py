"""HTTP and HTTPS: throughput and server CPU per request under wrk, and keep-alive latency.

For each of our HTTP and HTTPS servers and wptserve's, and for a handler file (``hello.py``,
whose ``main`` returns "ok") and a 1 KiB static file (``static.txt``), both from
``bench/docroot``:

- ``wrk -t2 -c10 -d<seconds>`` (keep-alive): requests/s, and the server's CPU time per
  request, from ``/proc/<pid>/stat`` (utime + stime, all threads) before and after the run,
  divided by the requests wrk completed. Ours: the ``http`` / ``https`` server process;
  wptserve: its one process.
- Keep-alive stalls: the mean time of sequential requests on ONE keep-alive connection.
"""

from __future__ import annotations

import http.client
import re
import ssl
import subprocess
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from harness.run.state import HarnessState

from .common import CpuMeter, loopback_url, median, tls_client_context
from .peers import PeerTLS, WptServer
from .table import Row, Table, ratio_at_most, value_below

__all__ = ["HTTPSettings", "WrkResult", "run", "wrk"]

RESOURCES = {"handler": "/hello.py", "static 1 KiB": "/static.txt"}
_WARMUP_REQUESTS = 50


@dataclass(frozen=True)
class HTTPSettings:
    seconds: int
    runs: int
    sequential: int


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    read_errors: int
    other_errors: int
    bad_status: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def wrk(url: str, seconds: int, threads: int = 2, connections: int = 10) -> WrkResult:
    """Run wrk against ``url``; what it reports."""
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", url]
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")
    out = result.stdout
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m|h),", out)
    if done is None:
        raise RuntimeError(f"cannot read wrk's output:\n{out}")
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    connect, read, write, timeout = (int(n) for n in errors.groups()) if errors else (0, 0, 0, 0)
    return WrkResult(
        requests=int(done.group(1)),
        seconds=float(done.group(2)) * _UNITS[done.group(3)],
        read_errors=read,
        other_errors=connect + write + timeout,
        bad_status=int(bad.group(1)) if bad else 0,
    )


def _connection(url: str, context: ssl.SSLContext | None) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    if parts.scheme == "https":
        return http.client.HTTPSConnection(parts.hostname, parts.port, context=context, timeout=30)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)


def _get(connection: http.client.HTTPConnection, path: str) -> bool:
    """One GET; whether the server keeps the connection open after it."""
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    if response.status != 200:
        raise RuntimeError(f"GET {path}: {response.status} {response.reason}")
    return not response.will_close


def warm_up(url: str, context: ssl.SSLContext | None, requests: int = _WARMUP_REQUESTS) -> None:
    """A few requests first: handler compiled, caches filled, threads started."""
    connection = _connection(url, context)
    try:
        path = urlsplit(url).path
        for _ in range(requests):
            _get(connection, path)
    finally:
        connection.close()


def sequential_ms(url: str, context: ssl.SSLContext | None, requests: int) -> float:
    """Mean ms per request of ``requests`` sequential GETs on one keep-alive connection."""
    connection = _connection(url, context)
    path = urlsplit(url).path
    try:
        if not _get(connection, path):  # connects (and handshakes) outside the timing
            raise RuntimeError(f"{url}: the server does not keep the connection alive")
        started = time.perf_counter()
        for _ in range(requests):
            if not _get(connection, path):
                raise RuntimeError(f"{url}: the server closed the keep-alive connection")
        return (time.perf_counter() - started) / requests * 1e3
    finally:
        connection.close()


@dataclass(frozen=True)
class _Measured:
    requests: int
    rate: float
    cpu_us: float
    wrk: WrkResult
    counted_by_eof: bool


def _measure(url: str, pid: int, seconds: int) -> _Measured:
    meter = CpuMeter(pid)
    meter.start()
    result = wrk(url, seconds)
    cpu = meter.stop()
    requests = result.requests
    counted_by_eof = False
    if requests == 0 and result.read_errors:
        # A response without Content-Length ends when the server closes. wrk sees that end
        # over plain TCP, but over TLS its SSL_read fails instead and it counts no response:
        # each connection then carries exactly one full response followed by one read error.
        requests = result.read_errors
        counted_by_eof = True
    if requests == 0:
        raise RuntimeError(f"wrk completed no request against {url}")
    return _Measured(requests, requests / result.seconds, cpu / requests * 1e6, result, counted_by_eof)


def run(state: HarnessState, tls: PeerTLS, settings: HTTPSettings) -> Table:
    runs = settings.runs
    table = Table(
        f"http: wrk -t2 -c10 -d{settings.seconds}s (keep-alive), median of {runs} run{'s' if runs > 1 else ''} "
        "each, ours and peer alternating; peer: wptserve 4.0.3"
    )
    contexts = {"ours": tls_client_context(state.ca_cert), "wptserve": tls_client_context(tls.ca_cert)}
    notes: list[str] = []
    with WptServer(tls) as wpt:
        for scheme in ("http", "https"):
            for label, path in RESOURCES.items():
                targets = {
                    "ours": (loopback_url(state.urls[scheme]) + path, state.server_pids[scheme]),
                    "wptserve": (wpt.url(scheme, path), wpt.pid),
                }
                measured: dict[str, list[_Measured]] = {who: [] for who in targets}
                for who, (url, _pid) in targets.items():
                    warm_up(url, contexts[who] if scheme == "https" else None)
                for _ in range(runs):
                    for who, (url, pid) in targets.items():
                        measured[who].append(_measure(url, pid, settings.seconds))
                for who, results in measured.items():
                    notes.extend(_anomalies(f"{who} {scheme} {label}", results))
                ours, peer = measured["ours"], measured["wptserve"]
                table.add(Row(f"{scheme} {label}: requests/s", _median(ours, "rate"), _median(peer, "rate")))
                table.add(
                    Row(
                        f"{scheme} {label}: server CPU us/request",
                        _median(ours, "cpu_us"),
                        _median(peer, "cpu_us"),
                        1,
                        ratio_at_most(0.4),
                    )
                )
        for scheme in ("http", "https"):
            path = RESOURCES["handler"]
            ours_ctx = contexts["ours"] if scheme == "https" else None
            peer_ctx = contexts["wptserve"] if scheme == "https" else None
            ours_ms = sequential_ms(loopback_url(state.urls[scheme]) + path, ours_ctx, settings.sequential)
            peer_ms = sequential_ms(wpt.url(scheme, path), peer_ctx, settings.sequential)
            table.add(
                Row(
                    f"{scheme} handler, {settings.sequential} sequential requests on 1 keep-alive connection: "
                    "ms/request",
                    ours_ms,
                    peer_ms,
                    3,
                    value_below(1.0, "ms"),
                )
            )
    table.notes.append(
        "server CPU = utime+stime from /proc/<pid>/stat (all threads) across the wrk run / requests completed; "
        "ours: the http or https server process, wptserve: its single process"
    )
    table.notes.append(
        "wptserve sends static files without Content-Length and closes the connection after each one, "
        "so its static rows are one connection (and over HTTPS one TLS handshake) per request"
    )
    table.notes.extend(notes)
    return table


def _median(results: list[_Measured], attribute: str) -> float:
    return median([float(getattr(result, attribute)) for result in results])


def _anomalies(what: str, results: list[_Measured]) -> list[str]:
    found = []
    requests = sum(result.requests for result in results)
    read_errors = sum(result.wrk.read_errors for result in results)
    if any(result.counted_by_eof for result in results):
        found.append(
            f"{what}: wrk counted 0 responses (each ends at the server's close, which wrk over TLS reports as a "
            f"read error); the count used is its {read_errors:,} read errors, one per connection and response"
        )
    elif read_errors and read_errors != requests:
        found.append(f"{what}: {read_errors:,} read errors in {requests:,} requests")
    other = sum(result.wrk.other_errors for result in results)
    bad = sum(result.wrk.bad_status for result in results)
    if other or bad:
        found.append(f"{what}: {other} connect/write/timeout errors, {bad} non-2xx/3xx responses")
    return found
