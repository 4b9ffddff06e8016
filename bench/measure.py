"""Loads and how they are measured: wrk for the rate and latencies, /proc for the CPU time
the server process spent, rounds interleaved so that the machine's drift hits every side of
a ratio alike."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench import wrk
from bench.wrk import WrkResult

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


@dataclass(frozen=True)
class Load:
    """One kind of request, sent by wrk, to a server whose CPU time we read."""

    name: str
    url: str
    pids: tuple[int, ...]  # the server processes whose CPU time the requests cost
    connections: int = 16
    threads: int = 1
    script: str | None = None
    args: tuple[str, ...] = ()
    headers: Mapping[str, str] | None = None
    env: Mapping[str, str] | None = None
    metrics_url: str | None = None  # read the verified-token cache's hits and misses there

    def cpu(self) -> dict[int, float]:
        return {pid: cpu_seconds(pid) for pid in self.pids}

    def start(self, seconds: float) -> wrk.Wrk:
        return wrk.Wrk(
            self.url,
            seconds=seconds,
            connections=self.connections,
            threads=self.threads,
            script=self.script,
            args=self.args,
            headers=self.headers,
            env=self.env,
        )


@dataclass
class Measured:
    load: Load
    result: WrkResult
    cpu_by_pid: dict[int, float]  # CPU seconds each server process spent during the run
    rounds: list[WrkResult] = field(default_factory=list)
    cache: tuple[int, int] | None = None  # verified-token cache (hits, misses) during the run

    @property
    def cpu(self) -> float:
        return sum(self.cpu_by_pid.values())

    @staticmethod
    def combine(parts: Sequence[Measured]) -> Measured:
        """Several runs of the same load as one."""
        caches = [part.cache for part in parts if part.cache is not None]
        return Measured(
            parts[0].load,
            WrkResult.combine([part.result for part in parts]),
            {
                pid: sum(part.cpu_by_pid.get(pid, 0.0) for part in parts)
                for pid in parts[0].cpu_by_pid
            },
            [part.result for part in parts],
            (sum(c[0] for c in caches), sum(c[1] for c in caches)) if caches else None,
        )

    def cpu_us_per_request_of(self, pid: int) -> float:
        return self.cpu_by_pid.get(pid, 0.0) / self.result.ok * 1e6 if self.result.ok else 0.0

    @property
    def rate(self) -> float:
        return self.result.rate

    @property
    def cpu_us_per_request(self) -> float:
        return self.cpu / self.result.ok * 1e6 if self.result.ok else float("nan")

    @property
    def per_cpu_second(self) -> float:
        """Requests per second of server CPU: what one fully available core would serve."""
        return self.result.ok / self.cpu if self.cpu else float("nan")


def measure(load: Load, seconds: float) -> Measured:
    counts = token_cache_counts(load.metrics_url) if load.metrics_url else None
    before = load.cpu()
    result = load.start(seconds).result()
    after = load.cpu()
    cpu = {pid: after[pid] - before[pid] for pid in load.pids}
    cache = None
    if counts is not None and load.metrics_url:
        later = token_cache_counts(load.metrics_url)
        if later is not None:
            cache = (later[0] - counts[0], later[1] - counts[1])
    return Measured(load, result, cpu, [result], cache)


def warm(loads: Sequence[Load], seconds: float = 1.0) -> None:
    for load in loads:
        load.start(seconds).result()


def interleaved(loads: Sequence[Load], rounds: int, seconds: float) -> dict[str, Measured]:
    """Each load `rounds` times for `seconds`, in rotating order; rounds add up."""
    parts: dict[str, list[Measured]] = {load.name: [] for load in loads}
    for number in range(rounds):
        shift = number % len(loads)
        for load in [*loads[shift:], *loads[:shift]]:
            parts[load.name].append(measure(load, seconds))
    return {load.name: Measured.combine(parts[load.name]) for load in loads}


def wait_quiet(url: str, timeout: float = 30.0, under_ms: float = 20.0) -> None:
    """Wait until `url` answers fast again (work left over from a load has drained)."""
    deadline = time.monotonic() + timeout
    fast = 0
    while time.monotonic() < deadline and fast < 5:
        started = time.perf_counter()
        try:
            httpx.get(url, timeout=5)
        except httpx.HTTPError:
            fast = 0
        else:
            fast = fast + 1 if (time.perf_counter() - started) * 1000 < under_ms else 0
        time.sleep(0.1)


def token_cache_counts(metrics_url: str) -> tuple[int, int] | None:
    """(hits, misses) of the verified-token cache from a service's Prometheus metrics."""
    try:
        text = httpx.get(metrics_url, timeout=5).text
    except httpx.HTTPError:
        return None
    counts = {}
    for result in ("hit", "miss"):
        match = re.search(
            r'^\w*verified_token_cache\w*\{result="' + result + r'"\}\s+([0-9.e+]+)', text, re.M
        )
        if match is None:
            return None
        counts[result] = int(float(match.group(1)))
    return counts["hit"], counts["miss"]
