from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import pytest
import redis.asyncio as aioredis
from auth_service.app import create_app
from auth_service.config import Settings
from auth_service.migrations import upgrade
from devstack.postgres import Postgres
from devstack.redis_server import RedisServer
from fastapi import FastAPI
from service_kit.testhelpers import AppClient, migrated_database, truncate

pytest_plugins = ["devstack.testing", "service_kit.testing"]

TABLES = ["sessions", "users", "signing_keys", "oauth_clients", "audit_events", "mail_outbox"]
AppFactory = AppClient


@pytest.fixture(scope="session")
def database_url(postgres_server: Postgres) -> str:
    return migrated_database(postgres_server, "auth_test", upgrade)


@pytest.fixture
async def clean_state(database_url: str, redis_server: RedisServer) -> None:
    await truncate(database_url, TABLES)
    redis = aioredis.Redis.from_url(redis_server.url())
    await redis.flushdb()
    await redis.aclose()


@pytest.fixture
def app_factory() -> Callable[[Settings], FastAPI]:
    return create_app


@pytest.fixture
def make_settings(database_url: str, redis_server: RedisServer) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": database_url,
            "redis_url": redis_server.url(),
            "database_pool_size": 5,
            "dev_mode": True,  # the built-in key-encryption key, as `make run` uses
            **overrides,
        }
        return Settings(**values)

    return make


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection, to check what was stored."""
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        yield connection
    finally:
        await connection.close()
