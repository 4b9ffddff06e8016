from __future__ import annotations

import contextlib
import gc
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from auth_client.testing import LocalIssuer, ServerThread, SigningKey
from devstack.postgres import Postgres
from helpers import bearer
from resource_service.app import create_app
from resource_service.config import Settings
from resource_service.migrations import upgrade

pytest_plugins = ["devstack.testing"]

BASE_URL = "http://localhost:8080"

AppClient = Callable[..., contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture(scope="session")
def database_url(postgres_server: Postgres) -> str:
    postgres_server.create_database("resource_test")
    url = str(postgres_server.url("resource_test"))
    upgrade(url)
    return url


@pytest.fixture
async def clean_tables(database_url: str) -> None:
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        await connection.execute("TRUNCATE notes")
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def issuer() -> Iterator[LocalIssuer]:
    """A stand-in issuer (RSA key, JWKS, discovery, token endpoint) on a loopback port."""
    server = ServerThread()
    issuer = LocalIssuer(server.url, signing_key=SigningKey.generate())
    server.start(issuer.app)
    try:
        yield issuer
    finally:
        server.stop()


@pytest.fixture
def make_settings(database_url: str, issuer: LocalIssuer) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": database_url,
            "issuer": issuer.issuer,
            "database_pool_size": 5,
            **overrides,
        }
        return Settings(**values)

    return make


@pytest.fixture
def make_client(make_settings: Callable[..., Settings], clean_tables: None) -> AppClient:
    """Starts the real app (lifespan included) against the test PostgreSQL."""

    @contextlib.asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(make_settings(**overrides))
        async with LifespanManager(app) as manager:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
                yield client

    return start


@pytest.fixture
async def client(make_client: AppClient) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client() as client:
        yield client


@pytest.fixture
def alice(issuer: LocalIssuer) -> dict[str, str]:
    return bearer(issuer.mint_user(email="alice@example.com"))


@pytest.fixture
def bob(issuer: LocalIssuer) -> dict[str, str]:
    return bearer(issuer.mint_user(email="bob@example.com"))


def pytest_collection_finish(session: pytest.Session) -> None:
    # What is imported by now lives all run long: freezing it keeps each collection below cheap.
    gc.freeze()


@pytest.fixture(autouse=True)
def _collect_garbage_after_each_test() -> Iterator[None]:
    """A leaked connection is then reported against the test that leaked it."""
    yield
    gc.collect()
