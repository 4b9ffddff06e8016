"""FastAPI dependencies, as `Annotated` aliases."""

from __future__ import annotations

from typing import Annotated

from auth_client import Principal
from auth_client.fastapi import CurrentPrincipal, require_any_scope
from fastapi import Depends, Request
from service_kit.deps import DbDep

from resource_service.context import ResourceContext

__all__ = ["ContextDep", "CurrentPrincipal", "DbDep", "StatsReader"]


async def get_context(request: Request) -> ResourceContext:
    # async: a plain `def` dependency would cost a thread-pool hop on every request.
    context: ResourceContext = request.app.state.context
    return context


ContextDep = Annotated[ResourceContext, Depends(get_context)]


# An administrator (scope `admin`) or a service client allowed to read statistics.
StatsReader = Annotated[Principal, Depends(require_any_scope("admin", "stats:read"))]
