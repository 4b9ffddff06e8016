"""pytest fixtures that give a test session real PostgreSQL and Redis servers of its own.

devstack's own tests (and the compose checks) use it: `pytest_plugins = ["devstack.testing"]`.
`service_kit.testing` hands the same fixtures to a service's tests.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devstack.ports import free_port
from devstack.postgres import Postgres, scratch_folder
from devstack.redis_server import RedisServer


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Postgres]:
    # Not under the checkout: `nobody` must be able to traverse every parent.
    with scratch_folder("gatehouse-pg-") as tmp:
        server = Postgres(data_dir=tmp, port=free_port(), durable=False)
        server.start(log_file=tmp / "postgres.log")
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
