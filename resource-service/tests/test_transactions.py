"""One transaction per request: committed before the answer leaves, rolled back on error."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from resource_service.app import create_app
from resource_service.config import Settings
from resource_service.deps import DbDep
from resource_service.errors import NotFound
from resource_service.notes import repository
from resource_service.notes.models import Note


def _note(title: str) -> Note:
    now = datetime.now(UTC)
    return Note(owner_sub="probe", title=title, created_at=now, updated_at=now)


def with_probe_routes(app: FastAPI) -> FastAPI:
    """Two routes on the real app and its real session dependency: one writes and succeeds,
    one writes and then fails."""

    @app.post("/probe/write")
    async def write(db: DbDep) -> dict[str, bool]:
        await repository.save(db, _note("kept"))
        return {"written": True}

    @app.post("/probe/write-then-fail")
    async def write_then_fail(db: DbDep) -> None:
        await repository.save(db, _note("rolled back"))
        raise NotFound("failing after the write")

    return app


@pytest.fixture
async def probe(
    make_settings: Callable[..., Settings], clean_state: None
) -> AsyncIterator[httpx.AsyncClient]:
    app = with_probe_routes(create_app(make_settings()))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def stored_titles(database_url: str) -> list[str]:
    connection = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        return [row["title"] for row in await connection.fetch("SELECT title FROM notes")]
    finally:
        await connection.close()


async def test_a_successful_request_is_committed_by_the_time_it_answers(
    probe: httpx.AsyncClient, database_url: str
) -> None:
    response = await probe.post("/probe/write")

    assert response.status_code == 200
    assert await stored_titles(database_url) == ["kept"]


async def test_a_request_that_fails_after_writing_leaves_nothing_behind(
    probe: httpx.AsyncClient, database_url: str
) -> None:
    response = await probe.post("/probe/write-then-fail")

    assert response.status_code == 404
    assert await stored_titles(database_url) == []


async def test_an_exhausted_database_pool_answers_503_with_retry_after(
    make_settings: Callable[..., Settings], clean_state: None
) -> None:
    app = with_probe_routes(
        create_app(make_settings(database_pool_size=1, database_pool_timeout=0.2))
    )
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            engine = app.state.context.engine
            async with engine.connect() as first, engine.connect() as second:  # 1 + 1 overflow
                await first.exec_driver_sql("SELECT 1")
                await second.exec_driver_sql("SELECT 1")
                response = await client.post("/probe/write")
                assert response.status_code == 503
                assert response.headers["content-type"] == "application/problem+json"
                assert response.json()["code"] == "overloaded"
                assert int(response.headers["retry-after"]) >= 1
            # Connections back in the pool: served again.
            assert (await client.post("/probe/write")).status_code == 200
