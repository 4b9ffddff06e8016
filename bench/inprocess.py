"""What the in-process benchmarks (`bench.rotations`, `bench.hotpaths`) share: throw-away
stores (a PostgreSQL with the auth service's schema and a Redis, on free loopback ports),
a run under cProfile or not, and the line of figures they print."""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import os
import pstats
import statistics
import tempfile
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

from auth_service.migrations import upgrade
from devstack.ports import free_port
from devstack.postgres import Postgres
from devstack.redis_server import RedisServer

T = TypeVar("T")


@contextlib.contextmanager
def auth_stores() -> Iterator[tuple[str, str]]:
    """(database URL, Redis URL), both stopped and removed on the way out."""
    with tempfile.TemporaryDirectory(prefix="gatehouse-bench-") as tmp:
        os.chmod(tmp, 0o755)  # noqa: S103 (postgres runs as nobody and must traverse it)
        pg = Postgres(data_dir=Path(tmp), port=free_port(), durable=False)
        pg.start(log_file=Path(tmp) / "postgres.log")
        redis = RedisServer(port=free_port())
        redis.start()
        try:
            pg.create_database("auth")
            upgrade(pg.url("auth"))
            yield pg.url("auth"), redis.url()
        finally:
            redis.stop()
            pg.stop()


def run(benchmark: Coroutine[Any, Any, T], *, profile: bool, sort: str) -> T:
    """`asyncio.run(benchmark)`; with `profile`, under cProfile, its top 40 printed by `sort`."""
    if not profile:
        return asyncio.run(benchmark)
    profiler = cProfile.Profile()
    result: T = profiler.runcall(asyncio.run, benchmark)
    pstats.Stats(profiler).sort_stats(sort).print_stats(40)
    return result


def rate_and_latency(timings: list[float]) -> str:
    """Requests per second, median and p95 latency of `timings` (seconds, one after another)."""
    ms = sorted(t * 1000 for t in timings)
    return (
        f"{len(timings) / sum(timings):.1f}/s, median {statistics.median(ms):.2f} ms, "
        f"p95 {ms[int(len(ms) * 0.95)]:.2f} ms"
    )
