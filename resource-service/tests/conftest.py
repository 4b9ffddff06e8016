from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from auth_client.testing import LocalIssuer, ServerThread, SigningKey
from devstack.postgres import Postgres
from fastapi import FastAPI
from helpers import bearer
from resource_service.app import create_app
from resource_service.config import Settings
from resource_service.migrations import upgrade
from service_kit import testhelpers

pytest_plugins = ["service_kit.testing"]


@pytest.fixture(scope="session")
def database_url(postgres_server: Postgres) -> str:
    return testhelpers.migrated_database(postgres_server, "resource_test", upgrade)


@pytest.fixture
async def clean_state(database_url: str) -> None:
    await testhelpers.truncate_all(database_url)


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
def app_factory() -> Callable[[Settings], FastAPI]:
    return create_app


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
