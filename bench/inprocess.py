"""Throw-away stores for the in-process benchmarks (`bench.rotations`, `bench.hotpaths`): a
PostgreSQL with the auth service's schema and a Redis, on free loopback ports."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from auth_service.migrations import upgrade
from devstack.ports import free_port
from devstack.postgres import Postgres
from devstack.redis_server import RedisServer


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
