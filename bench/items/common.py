"""What the items share: the rounds, a bearer header, a measured load's figures for
results.json."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bench.measure import Measured

# Short rounds, often alternated: bursts of other work on the machine then fall on every side
# of a ratio alike (rounds of 5 s varied by 15-20% here; whole loads compared a minute apart
# would be worse).
ROUNDS = 4


def say(text: str) -> None:
    print(f"bench: {text}", flush=True)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def figures(m: Measured, pids: Mapping[str, int]) -> dict[str, Any]:
    """Every figure of one measured load, as results.json keeps it."""
    r = m.result
    entry: dict[str, Any] = {
        "requests_per_second": round(m.rate, 1),
        "requests": r.requests,
        "failed": r.failed,
        "seconds": round(r.seconds, 2),
        "p50_ms": r.p50_ms,
        "p99_ms": r.p99_ms,
        "server_cpu_us_per_request": round(m.cpu_us_per_request, 1),
        "rounds_rps": [round(x.rate, 1) for x in m.rounds],
        "connections": m.load.connections,
    }
    if len(m.cpu_by_pid) > 1:
        names = {pid: name for name, pid in pids.items()}
        entry["cpu_us_per_request_by_process"] = {
            names.get(pid, str(pid)): round(m.cpu_us_per_request_of(pid), 1) for pid in m.cpu_by_pid
        }
    if r.extra:
        entry["extra"] = dict(r.extra)
    if m.cache is not None:
        entry["token_cache_hits"], entry["token_cache_misses"] = m.cache
    if r.failed:
        say(f"  warning: {m.load.name}: {r.failed} of {r.requests} requests failed")
    return entry
