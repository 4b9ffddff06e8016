"""The engine every service gets: its pool's pre-ping, only for connections that sat idle."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from devstack.postgres import Postgres
from service_kit import db
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


@pytest.fixture
async def engine(postgres_server: Postgres) -> AsyncIterator[AsyncEngine]:
    engine = db.create_engine(postgres_server.url("postgres"), pool_size=1)
    try:
        yield engine
    finally:
        await engine.dispose()


async def _pid(engine: AsyncEngine, sent: list[str] | None = None) -> int:
    async with engine.connect() as connection:
        if sent is not None and not sent:  # listen to what the pooled connection is sent
            raw = await connection.get_raw_connection()
            assert raw.driver_connection is not None
            raw.driver_connection.add_query_logger(lambda record: sent.append(record.query))
        return int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def test_a_connection_given_back_a_moment_ago_is_not_pinged_again(engine) -> None:
    sent: list[str] = []
    pid = await _pid(engine, sent)
    assert sent == ["BEGIN;", "ROLLBACK;"]  # the logger hears SQLAlchemy's own statements
    pids = [await _pid(engine, sent) for _ in range(5)]
    assert pids == [pid] * 5  # the same pooled connection each time
    assert sent == ["BEGIN;", "ROLLBACK;"] * 6  # and no ping (`;`) before any of them


async def test_a_connection_idle_past_the_freshness_is_pinged_and_a_dead_one_replaced(
    engine, postgres_server: Postgres, monkeypatch
) -> None:
    # No connection counts as fresh: the next checkout pings, as after a long idle.
    monkeypatch.setattr(db, "FRESH_SECONDS", 0.0)
    first = await _pid(engine)
    # Killed while idle in the pool (a restart, a proxy's idle timeout): the ping finds
    # it dead and the pool connects again, so the request still gets its answer.
    killer = await asyncpg.connect(postgres_server.url("postgres").replace("+asyncpg", ""))
    try:
        assert await killer.fetchval("SELECT pg_terminate_backend($1, 5000)", first)
    finally:
        await killer.close()
    assert await _pid(engine) != first
