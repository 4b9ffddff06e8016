"""pytest plugin: a service's real app (lifespan run) behind an httpx client, and the real
PostgreSQL and Redis servers it runs against (embedded ones, one each per test session).

A service's conftest loads it with `pytest_plugins = ["service_kit.testing"]` and provides
three fixtures of its own:

- `app_factory`: its `create_app(settings)`; `make_settings(**overrides)`: test settings;
- `clean_state`: what each test starts from (its tables emptied, Redis flushed…).

Then a test takes `client` (the app with default settings) or `make_client(**overrides)`
(an async context manager giving a client of an app built with those settings);
`postgres_server` and `redis_server` are the session's servers. The app,
as a server runs it, is `client.app`, and what its lifespan yielded (Starlette's lifespan
state, which every request gets) is `client.lifespan_state`. `service_kit.testhelpers`
helps with the `database_url` and `clean_state` fixtures.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

# The servers are devstack's (the ones `make run` starts), with its session fixtures: a
# service's tests need a database and Redis, not the launcher's plugin or the rest of it.
from devstack.testing import postgres_server, redis_server
from fastapi import FastAPI

from service_kit.testhelpers import BASE_URL, AppClient

__all__ = ["postgres_server", "redis_server"]


@pytest.fixture
def make_app(
    app_factory: Callable[[Any], FastAPI], make_settings: Callable[..., Any]
) -> Callable[..., FastAPI]:
    """An app of the service, built with its test settings and these overrides."""
    return lambda **overrides: app_factory(make_settings(**overrides))


@pytest.fixture
def make_client(make_app: Callable[..., FastAPI], clean_state: None) -> AppClient:
    """Starts the real app (lifespan included) against the test databases."""

    @contextlib.asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        app = make_app(**overrides)
        async with LifespanManager(app) as manager:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
                # The app as a server runs it: each request gets the lifespan's state.
                client.app = manager.app  # type: ignore[attr-defined]
                # The dict asgi-lifespan gave the lifespan (it has no public name for it).
                client.lifespan_state = manager._state  # type: ignore[attr-defined]
                yield client

    return start


@pytest.fixture
async def client(make_client: AppClient) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client() as client:
        yield client
