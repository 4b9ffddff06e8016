"""FastAPI dependencies, as `Annotated` aliases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from auth_client import Principal
from auth_client.fastapi import CurrentPrincipal, require_any_scope
from fastapi import Depends, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from resource_service import db
from resource_service.context import ResourceContext

__all__ = ["ContextDep", "CurrentPrincipal", "SessionDep", "StatsReader"]


async def get_context(request: Request) -> ResourceContext:
    # async: a plain `def` dependency would cost a thread-pool hop on every request.
    context: ResourceContext = request.app.state.context
    return context


ContextDep = Annotated[ResourceContext, Depends(get_context)]


async def get_db(ctx: ContextDep) -> AsyncIterator[AsyncSession]:
    async with db.transaction(ctx.sessions) as session:
        yield session


# scope="function": the transaction ends (commits) when the route returns, BEFORE the
# response is sent; with the default scope a failed commit would follow a 2xx already sent.
SessionDep = Annotated[AsyncSession, Depends(get_db, scope="function")]

# An administrator (scope `admin`) or a service client allowed to read statistics.
StatsReader = Annotated[Principal, Depends(require_any_scope("admin", "stats:read"))]
