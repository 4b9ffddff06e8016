"""The database session dependency: one transaction per request.

The app's lifespan puts its session factory at `app.state.sessionmaker` (see `db`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from service_kit.db import transaction


async def get_db(request: Request) -> AsyncIterator[AsyncSession]:
    # async: a plain `def` dependency would cost a thread-pool hop on every request.
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with transaction(sessionmaker) as db:
        yield db


# scope="function": the transaction ends (commits) when the route returns, BEFORE the
# response is sent; with the default scope a failed commit would follow a 2xx already sent.
DbDep = Annotated[AsyncSession, Depends(get_db, scope="function")]
