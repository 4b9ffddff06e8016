"""FastAPI dependencies shared by every slice, as `Annotated` aliases.

The lifespan (app.py) builds the `Registry` once and hands it to every request
(`request.state.registry`, Starlette's lifespan state); a `Provider` turns a typed
attribute of it into a dependency. A slice's own services have their aliases in the slice
(`sessions/deps.py`…), beside the Protocol of what the slice needs.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Generic, Protocol, TypeVar

import redis.asyncio as aioredis
from auth_client import InvalidTokenError, Principal, TokenVerifier
from fastapi import Depends, Request
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security.base import SecurityBase
from service_kit.deps import session_per_request
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.config import Settings
from auth_service.errors import InvalidToken, MissingToken, StepUpRequired
from auth_service.keys.service import KeyStore
from auth_service.observability.metrics import Metrics
from auth_service.security.passwords import PasswordHasher
from auth_service.timeutil import Clock
from auth_service.tokens.issuer import TokenIssuer

P = TypeVar("P")
T = TypeVar("T")


class Provider(Generic[P]):
    """Dependencies taken from the registry through `P`, the Protocol of what a slice's
    routes need of it: `AuthDep = Annotated[AuthService, Depends(provide(lambda r: r.auth))]`
    with `provide = Provider[AuthNeeds]()`. A slice names what it needs without importing
    the registry (which imports every slice); `registry.py` proves it provides each."""

    def __call__(self, part: Callable[[P], T]) -> Callable[[Request], Awaitable[T]]:
        # async: a plain `def` dependency would cost a thread-pool hop on every request.
        async def dependency(request: Request) -> T:
            return part(request.state.registry)

        return dependency


class SessionEnds(Protocol):
    """Whether a log-in session has ended (sessions.revocations answers it)."""

    async def has_ended(self, sid: str) -> bool: ...


class CoreNeeds(Protocol):
    """What every slice may take from the registry."""

    @property
    def settings(self) -> Settings: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def metrics(self) -> Metrics: ...
    @property
    def engine(self) -> AsyncEngine: ...
    @property
    def redis(self) -> aioredis.Redis: ...
    @property
    def keys(self) -> KeyStore: ...
    @property
    def hasher(self) -> PasswordHasher: ...
    @property
    def tokens(self) -> TokenIssuer: ...
    @property
    def verifier(self) -> TokenVerifier: ...
    @property
    def sessionmaker(self) -> async_sessionmaker[AsyncSession]: ...
    @property
    def revocations(self) -> SessionEnds: ...


provide = Provider[CoreNeeds]()


def core_of(request: Request) -> CoreNeeds:
    """The registry, for code that serves a request outside FastAPI's dependencies."""
    needs: CoreNeeds = request.state.registry
    return needs


SettingsDep = Annotated[Settings, Depends(provide(lambda r: r.settings))]
ClockDep = Annotated[Clock, Depends(provide(lambda r: r.clock))]
MetricsDep = Annotated[Metrics, Depends(provide(lambda r: r.metrics))]
EngineDep = Annotated[AsyncEngine, Depends(provide(lambda r: r.engine))]
RedisDep = Annotated[aioredis.Redis, Depends(provide(lambda r: r.redis))]
KeysDep = Annotated[KeyStore, Depends(provide(lambda r: r.keys))]
HasherDep = Annotated[PasswordHasher, Depends(provide(lambda r: r.hasher))]
TokensDep = Annotated[TokenIssuer, Depends(provide(lambda r: r.tokens))]
VerifierDep = Annotated[TokenVerifier, Depends(provide(lambda r: r.verifier))]
SessionmakerDep = Annotated[
    async_sessionmaker[AsyncSession], Depends(provide(lambda r: r.sessionmaker))
]
SessionEndsDep = Annotated[SessionEnds, Depends(provide(lambda r: r.revocations))]

# One transaction per request (service_kit.deps).
DbDep = Annotated[
    AsyncSession,
    Depends(session_per_request(lambda request: core_of(request).sessionmaker), scope="function"),
]


def bearer_of(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header; MissingToken otherwise."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise MissingToken()
    return token.strip()


def bearer_token(request: Request) -> str:
    return bearer_of(request.headers.get("authorization"))


class BearerPrincipal(SecurityBase):
    """The verified caller of a route that needs an access token.

    It is also the route's OpenAPI security scheme (`BearerToken`, HTTP bearer), so the API
    docs get their "Authorize" button, and a route still solves one dependency, not three.
    """

    def __init__(self) -> None:
        self.model = HTTPBearerModel(description="An access token from this service (RS256 JWT)")
        self.scheme_name = "BearerToken"

    async def __call__(self, request: Request) -> Principal:
        needs = core_of(request)
        verifier, sessions = needs.verifier, needs.revocations
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


async def recent_login(
    principal: CurrentPrincipal, settings: SettingsDep, clock: ClockDep
) -> Principal:
    """RFC 9470 step-up: the token's `auth_time` is within AUTH_REAUTH_MAX_AGE, or 401
    `insufficient_user_authentication` with `max_age` (the client then calls /reauth)."""
    auth_time = principal.claims.get("auth_time")
    fresh = isinstance(auth_time, int) and (
        clock.now().timestamp() - auth_time <= settings.reauth_max_age
    )
    if not fresh:
        raise StepUpRequired(settings.reauth_max_age)
    return principal


RecentLogin = Annotated[Principal, Depends(recent_login)]
