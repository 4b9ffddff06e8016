"""The database session dependency: one transaction per request.

A service declares it with the place its lifespan keeps the session factory:
`DbDep = Annotated[AsyncSession, Depends(session_per_request(find), scope="function")]`.
scope="function": the transaction ends (commits) when the route returns, BEFORE the
response is sent; with the default scope a failed commit would follow a 2xx already sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from fastapi import Request
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from service_kit.db import transaction

SessionmakerOf = Callable[[Request], async_sessionmaker[AsyncSession]]


def session_per_request(
    sessionmaker_of: SessionmakerOf,
) -> Callable[[Request], AsyncIterator[AsyncSession]]:
    """The dependency: a session in a transaction from `sessionmaker_of(request)`."""

    # async: a plain `def` dependency would cost a thread-pool hop on every request.
    async def get_db(request: Request) -> AsyncIterator[AsyncSession]:
        async with transaction(sessionmaker_of(request)) as db:
            yield db

    return get_db
