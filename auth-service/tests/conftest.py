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
from devstack.ports import free_port
from devstack.postgres import Postgres
from devstack.redis_server import RedisServer
from fastapi import FastAPI
from service_kit.testhelpers import AppClient, migrated_database, truncate

from devstack import mailcatcher
from tests.mailbox import Inbox

pytest_plugins = ["devstack.testing", "service_kit.testing"]

TABLES = [
    "sessions",
    "users",
    "signing_keys",
    "oauth_clients",
    "audit_events",
    "mail_outbox",
    "account_tokens",
    "revocations",
    "mfa_totp",
    "mfa_recovery_codes",
    "mfa_challenges",
    "passkeys",
    "oidc_requests",
    "oidc_codes",
    "oidc_consents",
]
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
