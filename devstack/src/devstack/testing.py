"""pytest fixtures that give a test session real PostgreSQL and Redis servers of its own.

Use from a conftest: `pytest_plugins = ["devstack.testing"]`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.ports import free_port
from devstack.postgres import Postgres
from devstack.redis_server import RedisServer


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Postgres]:
    # Under /tmp rather than the checkout: `nobody` must be able to traverse every parent.
    with tempfile.TemporaryDirectory(prefix="gatehouse-pg-") as tmp:
        os.chmod(tmp, 0o755)  # noqa: S103 (postgres runs as nobody and must traverse it)
        server = Postgres(data_dir=Path(tmp), port=free_port(), durable=False)
        server.start(log_file=Path(tmp) / "postgres.log")
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer(port=free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()
