from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import redis.asyncio as aioredis
from asgi_lifespan import LifespanManager
from auth_service.app import create_app
from auth_service.config import Settings
from auth_service.migrations import upgrade
from auth_service.registry import Registry, build
from auth_service.startup import ensure_keys_at_start
from devstack.ports import free_port
from devstack.postgres import Postgres
from devstack.redis_server import RedisServer
from fastapi import FastAPI
from service_kit.testhelpers import AppClient, migrated_database, truncate_all

from devstack import mailcatcher
from tests.helpers import FakeClock
from tests.mailbox import Inbox

pytest_plugins = ["service_kit.testing"]

# The migration seeds the feed's one row (its cursor), which every append locks and moves.
SEEDED_TABLES = ["revocation_feed"]
AppFactory = AppClient


@pytest.fixture(scope="session")
def database_url(postgres_server: Postgres) -> str:
    return migrated_database(postgres_server, "auth_test", upgrade)


@pytest.fixture
async def clean_state(database_url: str, redis_server: RedisServer) -> None:
    await truncate_all(database_url, keep=SEEDED_TABLES)
    redis = aioredis.Redis.from_url(redis_server.url())
    await redis.flushdb()
    await redis.aclose()


ServicesFactory = Callable[..., AbstractAsyncContextManager[Registry]]


@pytest.fixture
def make_services(
    clean_state: None, make_settings: Callable[..., Settings], clock: FakeClock
) -> ServicesFactory:
    """The registry the app builds (settings overridden as for `make_client`), with its
    signing keys, and no HTTP in front: for tests of a service's rules. Call a service
    inside `service_kit.db.transaction(registry.sessionmaker)`, the request's transaction,
    so that its commits and rollbacks are the app's."""

    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[Registry]:
        async with build(make_settings(**overrides), clock=clock) as built:
            bits = built.settings.signing_key_bits
            await ensure_keys_at_start(built.sessionmaker, built.encryptor, bits, built.clock)
            await built.keys.reload()
            yield built

    return start


@pytest.fixture
async def services(make_services: ServicesFactory) -> AsyncIterator[Registry]:
    async with make_services() as built:
        yield built


@pytest.fixture
def clock() -> FakeClock:
    """The clock of the app under test: advance it to let time pass."""
    return FakeClock()


@pytest.fixture
def app_factory(clock: FakeClock) -> Callable[[Settings], FastAPI]:
    return lambda settings: create_app(settings, clock)


@pytest.fixture(scope="session")
def no_smtp_url() -> str:
    """A port nothing listens on: the app's mail sender must not reach a mail catcher
    that a `make run` on this machine may have on the default port."""
    return f"smtp://127.0.0.1:{free_port()}"


@pytest.fixture
def make_settings(
    database_url: str, redis_server: RedisServer, no_smtp_url: str
) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": database_url,
            "redis_url": redis_server.url(),
            "database_pool_size": 5,
            "dev_mode": True,  # the built-in key-encryption key, as `make run` uses
            "smtp_url": no_smtp_url,
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


MailClient = Callable[..., AbstractAsyncContextManager[tuple[httpx.AsyncClient, Inbox]]]


@pytest.fixture
def mail_client(make_client: AppClient, tmp_path: Path) -> MailClient:
    """The app with its mail going to an in-process mail catcher (real SMTP); the inbox."""

    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[tuple[httpx.AsyncClient, Inbox]]:
        port = free_port()
        catcher = mailcatcher.create_app(tmp_path / "mail", port)
        async with LifespanManager(catcher) as running:
            transport = httpx.ASGITransport(app=running.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://mail") as api:
                settings = {"smtp_url": f"smtp://127.0.0.1:{port}", "mail_poll_interval": 0.2}
                async with make_client(**{**settings, **overrides}) as client:
                    yield client, Inbox(api)

    return start
