"""The OAuth 2.0 grants (RFC 6749): the client-credentials grant, with RFC 6749 errors."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from auth_service.clients import service as clients
from auth_service.http.ratelimit import FailureLimiter
from auth_service.timeutil import utcnow
from auth_service.tokens.issuer import TokenIssuer


class OAuthError(Exception):
    """An RFC 6749 §5.2 error: `error`, its description, and the HTTP status to answer."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


@dataclass(frozen=True)
class GrantedToken:
    access_token: str
    expires_in: int
    scope: str


class OAuthService:
    def __init__(self, limiter: FailureLimiter, tokens: TokenIssuer) -> None:
        self._limiter, self._tokens = limiter, tokens

    async def authenticate(
        self, db: AsyncSession, client_id: str, secret: str, ip: str
    ) -> clients.AuthenticatedClient:
        """The client, or OAuthError invalid_client (RateLimited when the address failed
        too often: per address only, a per-client limit would let anyone lock one out)."""
        counter = await self._limiter.check_client(ip)  # one Redis call for a success
        client = await clients.authenticate(db, client_id, secret)
        if client is None:
            await self._limiter.client_failed(counter)
            raise OAuthError("invalid_client", "Unknown client or wrong secret", 401)
        return client

    async def grant(
        self,
        db: AsyncSession,
        *,
        grant_type: str | None,
        client_id: str,
        secret: str,
        scope: str,
        ip: str,
    ) -> GrantedToken:
        """Raises OAuthError, or RateLimited when the address failed too often."""
        if not grant_type:
            raise OAuthError("invalid_request", "grant_type is required")
        if grant_type != "client_credentials":
            raise OAuthError("unsupported_grant_type", "Only client_credentials is supported")
        client = await self.authenticate(db, client_id, secret, ip)
        if "client_credentials" not in client.grant_types:
            raise OAuthError("unauthorized_client", "This client may not use client_credentials")
        requested = scope.split()
        if not set(requested) <= set(client.scopes):
            raise OAuthError("invalid_scope", "The client may not request these scopes")
        granted = " ".join(sorted(set(requested or client.scopes)))
        access_token = self._tokens.access_token(
            utcnow(), sub=client.client_id, scope=granted, client_id=client.client_id
        )
        return GrantedToken(access_token, self._tokens.access_ttl, granted)
