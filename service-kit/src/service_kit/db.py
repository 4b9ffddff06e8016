"""The database engine and the one-transaction-per-request session."""

from __future__ import annotations

import contextlib
import time
import weakref
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import sqlalchemy.exc
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

# Errors that mean "the database is unreachable", not "the request is wrong".
DATABASE_DOWN_ERRORS: tuple[type[Exception], ...] = (
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    ConnectionError,
    TimeoutError,  # connecting timed out
)


# A connection given back to the pool less than this long ago is handed out again without
# the pre-ping's round trip (see `_ping`).
FRESH_SECONDS = 1.0


def create_engine(url: str, pool_size: int = 10, pool_timeout: float = 30.0) -> AsyncEngine:
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=pool_timeout,  # then sqlalchemy.exc.TimeoutError: 503 (handlers.py)
        pool_pre_ping=True,
        pool_recycle=1800,
        hide_parameters=True,  # user input never reaches a log through an error message
    )
    returned: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()
    event.listen(
        engine.sync_engine.pool,
        "checkin",
        lambda dbapi_connection, _record: _note_return(returned, dbapi_connection),
    )
    engine.dialect.do_ping = lambda dbapi_connection: _ping(  # type: ignore[method-assign]
        dbapi_connection, returned
    )
    return engine


def _note_return(returned: weakref.WeakKeyDictionary[Any, float], dbapi_connection: Any) -> None:
    # Keyed by asyncpg's connection (SQLAlchemy's adapter around it takes no weak reference).
    if dbapi_connection is not None:  # None: the connection was invalidated, not returned
        returned[dbapi_connection.driver_connection] = time.monotonic()


def _ping(dbapi_connection: Any, returned: weakref.WeakKeyDictionary[Any, float]) -> bool:
    """The pool's pre-ping, for a connection that sat idle: a connection given back less
    than FRESH_SECONDS ago was working then, and pinging it would double the round trips of
    a request that makes one statement (a refresh). One that died in between (a restart of
    PostgreSQL in that second) fails its statement: the request answers 503 and the pool
    drops it, as for a connection lost mid-request (`fetchrow`, SQLAlchemy's disconnect
    handling). Otherwise one round trip (`;`), where SQLAlchemy's asyncpg dialect spends
    three (BEGIN, `;`, ROLLBACK: for PgBouncer's transaction mode, which we do not use).
    False (a dead connection) makes the pool reconnect, as for the dialect's own ping."""
    given_back = returned.get(dbapi_connection.driver_connection)
    if given_back is not None and time.monotonic() - given_back < FRESH_SECONDS:
        return True
    try:
        dbapi_connection.run_async(lambda driver: driver.fetchrow(";"))
    except Exception:  # any failure of `;` means the connection is unusable
        return False
    return True


async def fetchrow(session: AsyncSession, statement: str, *args: Any) -> Any | None:
    """One statement on the asyncpg connection beneath `session` (asyncpg prepares and caches
    it per connection): no ORM compilation or result wrapping on a hot path. Inside the
    session's transaction when the request has one open, else a statement of its own
    (PostgreSQL makes a single statement atomic), which saves BEGIN and COMMIT."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver: asyncpg.Connection = raw.driver_connection
    try:
        return await driver.fetchrow(statement, *args)
    except (asyncpg.InterfaceError, asyncpg.PostgresConnectionError, OSError) as exc:
        # As SQLAlchemy would: this connection is not given back to the pool, and the
        # request answers 503 like any other lost database (DATABASE_DOWN_ERRORS).
        await connection.invalidate(exc)
        raise ConnectionError("the database connection was lost") from exc


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # Objects stay readable after commit: responses are built from them.
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


@contextlib.asynccontextmanager
async def transaction(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """Commit when the block succeeded, roll back when it raised.

    A context manager, not a bare generator: a dependency that iterated a generator with
    `async for` would leave it suspended when the route raised, so the rollback and the
    connection's return to the pool would wait for the garbage collector.
    """
    async with factory() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()
