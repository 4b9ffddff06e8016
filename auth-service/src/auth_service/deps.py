"""FastAPI dependencies shared by every slice, as `Annotated` aliases.

The lifespan (app.py) builds each service once and keeps it on `app.state`; these read
it back. A slice's own services have their aliases in the slice (`sessions/deps.py`…).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Protocol

import redis.asyncio as aioredis
from auth_client import InvalidTokenError, Principal, TokenVerifier
from fastapi import Depends, Request
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security.base import SecurityBase
from service_kit.deps import DbDep as DbDep  # one transaction per request
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.config import Settings
from auth_service.errors import InvalidToken, MissingToken, StepUpRequired
from auth_service.keys.service import KeyStore
from auth_service.observability.metrics import Metrics
from auth_service.security.passwords import PasswordHasher
from auth_service.tokens.issuer import TokenIssuer


def from_state(name: str) -> Callable[[Request], Awaitable[Any]]:
    """A dependency that returns what the lifespan stored as `app.state.<name>`."""

    # async: a plain `def` dependency would cost a thread-pool hop on every request.
    async def dependency(request: Request) -> Any:
        return getattr(request.app.state, name)

    dependency.__name__ = f"get_{name}"
    return dependency


SettingsDep = Annotated[Settings, Depends(from_state("settings"))]
MetricsDep = Annotated[Metrics, Depends(from_state("metrics"))]
EngineDep = Annotated[AsyncEngine, Depends(from_state("engine"))]
RedisDep = Annotated[aioredis.Redis, Depends(from_state("redis"))]
KeysDep = Annotated[KeyStore, Depends(from_state("keys"))]
HasherDep = Annotated[PasswordHasher, Depends(from_state("hasher"))]
TokensDep = Annotated[TokenIssuer, Depends(from_state("tokens"))]
VerifierDep = Annotated[TokenVerifier, Depends(from_state("verifier"))]
SessionmakerDep = Annotated[async_sessionmaker[AsyncSession], Depends(from_state("sessionmaker"))]


class SessionEnds(Protocol):
    """Whether a log-in session has ended (sessions.revocations answers it)."""

    async def has_ended(self, sid: str) -> bool: ...


SessionEndsDep = Annotated[SessionEnds, Depends(from_state("revocations"))]


def bearer_token(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise MissingToken()
    return token.strip()


class BearerPrincipal(SecurityBase):
    """The verified caller of a route that needs an access token.

    It is also the route's OpenAPI security scheme (`BearerToken`, HTTP bearer), so the API
    docs get their "Authorize" button, and a route still solves one dependency, not three.
    """

    def __init__(self) -> None:
        self.model = HTTPBearerModel(description="An access token from this service (RS256 JWT)")
        self.scheme_name = "BearerToken"

    async def __call__(self, request: Request) -> Principal:
        state = request.app.state
        verifier: TokenVerifier = state.verifier
        sessions: SessionEnds = state.revocations
        try:
            principal = await verifier.verify(bearer_token(request))
        except InvalidTokenError as exc:
            raise InvalidToken(exc.detail) from exc
        # Here, unlike at resource servers, an ended session also ends its access tokens.
        if principal.sid is not None and await sessions.has_ended(principal.sid):
            raise InvalidToken("The session of this token has ended")
        return principal


current_principal = BearerPrincipal()
CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


async def current_user_id(principal: CurrentPrincipal) -> uuid.UUID:
    if principal.sid is None:
        raise InvalidToken("This needs a user's token")
    try:
        return uuid.UUID(principal.sub)
    except ValueError as exc:
        raise InvalidToken("This needs a user's token") from exc


CurrentUserId = Annotated[uuid.UUID, Depends(current_user_id)]


async def optional_user_id(request: Request) -> uuid.UUID | None:
    """The user of the Bearer token when one is sent (and then it must be valid), else None."""
    if "authorization" not in request.headers:
        return None
    return await current_user_id(await current_principal(request))


OptionalUserId = Annotated[uuid.UUID | None, Depends(optional_user_id)]


async def recent_login(principal: CurrentPrincipal, settings: SettingsDep) -> Principal:
    """RFC 9470 step-up: the token's `auth_time` is within AUTH_REAUTH_MAX_AGE, or 401
    `insufficient_user_authentication` with `max_age` (the client then calls /reauth)."""
    auth_time = principal.claims.get("auth_time")
    fresh = isinstance(auth_time, int) and time.time() - auth_time <= settings.reauth_max_age
    if not fresh:
        raise StepUpRequired(settings.reauth_max_age)
    return principal


RecentLogin = Annotated[Principal, Depends(recent_login)]
