"""FastAPI dependencies, as `Annotated` aliases."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from auth_client import InvalidTokenError, Principal
from fastapi import Depends, Request, params
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service import db
from auth_service.clients import repository as clients
from auth_service.context import AuthContext
from auth_service.errors import AdminRequired, InsufficientScope, InvalidToken, MissingToken
from auth_service.sessions.revocations import has_ended
from auth_service.users import repository as users
from auth_service.users.models import ADMIN_ROLE


async def get_context(request: Request) -> AuthContext:
    # async: a plain `def` dependency would cost a thread-pool hop on every request.
    context: AuthContext = request.app.state.context
    return context


ContextDep = Annotated[AuthContext, Depends(get_context)]


async def get_db(ctx: ContextDep) -> AsyncIterator[AsyncSession]:
    async with db.transaction(ctx.sessions) as session:
        yield session


# scope="function": the commit happens before the response is sent, so a failed commit
# can never follow a 2xx the client already has.
SessionDep = Annotated[AsyncSession, Depends(get_db, scope="function")]


def bearer_token(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise MissingToken()
    return token.strip()


async def current_principal(request: Request, ctx: ContextDep) -> Principal:
    try:
        principal = await ctx.verifier.verify(bearer_token(request))
    except InvalidTokenError as exc:
        raise InvalidToken(exc.detail) from exc
    # Here, unlike at resource servers, an ended session also ends its access tokens.
    if principal.sid is not None and await has_ended(ctx, principal.sid):
        raise InvalidToken("The session of this token has ended")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


async def current_user_id(principal: CurrentPrincipal) -> uuid.UUID:
    if principal.sid is None:
        raise InvalidToken("This needs a user's token")
    try:
        return uuid.UUID(principal.sub)
    except ValueError as exc:
        raise InvalidToken("This needs a user's token") from exc


CurrentUserId = Annotated[uuid.UUID, Depends(current_user_id)]


def require_scope(scope: str) -> params.Depends:
    async def check(principal: CurrentPrincipal) -> Principal:
        if scope not in principal.scopes:
            raise InsufficientScope(scope)
        return principal

    dependency: params.Depends = Depends(check)
    return dependency


async def current_admin(principal: CurrentPrincipal, db: SessionDep) -> Principal:
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


CurrentAdmin = Annotated[Principal, Depends(current_admin)]
