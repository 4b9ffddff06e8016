"""FastAPI dependencies, as `Annotated` aliases."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request, params
from service_kit.deps import SessionDep as SessionDep  # re-exported for the routers

from auth_service.clients import repository as clients
from auth_service.context import AuthContext
from auth_service.errors import AdminRequired, InsufficientScope, InvalidToken, MissingToken
from auth_service.sessions.revocations import has_ended
from auth_service.timeutil import utcnow
from auth_service.tokens import access
from auth_service.users import repository as users
from auth_service.users.models import ADMIN_ROLE


async def get_context(request: Request) -> AuthContext:
    # async: a plain `def` dependency would cost a thread-pool hop on every request.
    context: AuthContext = request.app.state.context
    return context


ContextDep = Annotated[AuthContext, Depends(get_context)]


def bearer_token(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise MissingToken()
    return token.strip()


async def current_principal(request: Request, ctx: ContextDep) -> access.AccessClaims:
    s = ctx.settings
    claims = access.verify(
        ctx.keys.ring, bearer_token(request), issuer=s.issuer, audience=s.audience, now=utcnow()
    )
    # Here, unlike at resource servers, an ended session also ends its access tokens.
    if claims.sid is not None and await has_ended(ctx, claims.sid):
        raise InvalidToken("The session of this token has ended")
    return claims


CurrentPrincipal = Annotated[access.AccessClaims, Depends(current_principal)]


async def current_user_id(principal: CurrentPrincipal) -> uuid.UUID:
    if principal.sid is None:
        raise InvalidToken("This needs a user's token")
    try:
        return uuid.UUID(principal.sub)
    except ValueError as exc:
        raise InvalidToken("This needs a user's token") from exc


CurrentUserId = Annotated[uuid.UUID, Depends(current_user_id)]


def require_scope(scope: str) -> params.Depends:
    async def check(principal: CurrentPrincipal) -> access.AccessClaims:
        if scope not in principal.scopes:
            raise InsufficientScope(scope)
        return principal

    dependency: params.Depends = Depends(check)
    return dependency


async def current_admin(principal: CurrentPrincipal, db: SessionDep) -> access.AccessClaims:
    """`admin` in the token is not enough: on every request the user must still hold the
    role, or the service client still exist with the scope (in PostgreSQL, not the token)."""
    if ADMIN_ROLE not in principal.scopes:
        raise InsufficientScope(ADMIN_ROLE)
    if principal.sid is not None:
        user = await users.get(db, await current_user_id(principal))
        still_admin = user is not None and user.is_admin
    else:
        client = await clients.get(db, principal.sub)
        still_admin = client is not None and ADMIN_ROLE in client.scopes
    if not still_admin:
        raise AdminRequired("This account is no longer an administrator")
    return principal


CurrentAdmin = Annotated[access.AccessClaims, Depends(current_admin)]
