"""FastAPI dependencies, as `Annotated` aliases."""

from __future__ import annotations

from typing import Annotated

from auth_client import Principal
from auth_client.fastapi import CurrentPrincipal, require_any_scope
from fastapi import Depends, Request
from service_kit.deps import session_per_request
from sqlmodel.ext.asyncio.session import AsyncSession

from resource_service.context import ResourceContext

__all__ = ["ContextDep", "CurrentPrincipal", "DbDep", "StatsReader"]


async def get_context(request: Request) -> ResourceContext:
    # async: a plain `def` dependency would cost a thread-pool hop on every request.
    context: ResourceContext = request.app.state.context
    return context


ContextDep = Annotated[ResourceContext, Depends(get_context)]

# One transaction per request (service_kit.deps).
DbDep = Annotated[
    AsyncSession,
    Depends(session_per_request(lambda request: request.app.state.sessionmaker), scope="function"),
]


# An administrator (scope `admin`) or a service client allowed to read statistics.
StatsReader = Annotated[Principal, Depends(require_any_scope("admin", "stats:read"))]
