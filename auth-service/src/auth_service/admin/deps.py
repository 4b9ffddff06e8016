"""Who may use the admin API: checked against PostgreSQL on every request."""

from __future__ import annotations

from typing import Annotated

from auth_client import Principal
from fastapi import Depends

from auth_service.clients import service as clients
from auth_service.deps import CurrentPrincipal, DbDep, current_user_id
from auth_service.errors import AdminRequired, InsufficientScope
from auth_service.scopes import ADMIN_ROLE
from auth_service.users import service as user_service


async def current_admin(principal: CurrentPrincipal, db: DbDep) -> Principal:
    """`admin` in the token is not enough: on every request the user must still hold the
    role, or the service client still exist with the scope (in PostgreSQL, not the token)."""
    if ADMIN_ROLE not in principal.scopes:
        raise InsufficientScope(ADMIN_ROLE)
    if principal.sid is not None:
        still_admin = await user_service.is_admin(db, await current_user_id(principal))
    else:
        still_admin = await clients.holds_scope(db, principal.sub, ADMIN_ROLE)
    if not still_admin:
        raise AdminRequired("This account is no longer an administrator")
    return principal


CurrentAdmin = Annotated[Principal, Depends(current_admin)]
