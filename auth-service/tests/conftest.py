from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import httpx
import pytest
import redis.asyncio as aioredis
from asgi_lifespan import LifespanManager
from auth_service.app import create_app
from auth_service.config import Settings
from auth_service.migrations import upgrade
from devstack.postgres import Postgres
from devstack.redis_server import RedisServer

pytest_plugins = ["devstack.testing"]

BASE_URL = "http://localhost:8080"
TABLES = ["sessions", "users", "signing_keys", "oauth_clients", "audit_events", "mail_outbox"]


@pytest.fixture(scope="session")
def database_url(postgres_server: Postgres) -> str:
    postgres_server.create_database("auth_test")
    url = postgres_server.url("auth_test")
    upgrade(url)
    return url


@pytest.fixture
async def clean_state(database_url: str, redis_server: RedisServer) -> None:
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        await connection.execute(f"TRUNCATE {', '.join(TABLES)} CASCADE")
    finally:
        await connection.close()
    redis = aioredis.Redis.from_url(redis_server.url())
    await redis.flushdb()
    await redis.aclose()


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


AppFactory = Callable[..., contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def make_client(make_settings: Callable[..., Settings], clean_state: None) -> AppFactory:
    """Starts the real app (lifespan included) against the test PostgreSQL and Redis."""

    @contextlib.asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(make_settings(**overrides))
        async with LifespanManager(app) as manager:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
                client.app = app  # type: ignore[attr-defined]
                yield client

    return start


@pytest.fixture
async def client(make_client: AppFactory) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client() as client:
        yield client


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection, to check what was stored."""
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        yield connection
    finally:
        await connection.close()
