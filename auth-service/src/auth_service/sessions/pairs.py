"""The tokens a session hands out: an access token and its refresh token, as one pair."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from auth_service.context import AuthContext
from auth_service.tokens import access, refresh
from auth_service.users.service import scope_of


@dataclass(frozen=True)
class TokenPair:
    sid: str
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_max_age: int


def access_token(
    ctx: AuthContext, now: datetime, user_id: str, email: str, roles: list[str], sid: str
) -> str:
    s = ctx.settings
    return access.issue(
        ctx.keys.ring,
        issuer=s.issuer,
        audience=s.audience,
        ttl=s.access_token_ttl,
        now=now,
        sub=user_id,
        scope=scope_of(roles),
        client_id=s.web_client_id,
        sid=sid,
        email=email,
    )


def pair(
    ctx: AuthContext,
    now: datetime,
    sid: str,
    refresh_token: str,
    refresh_exp: int,
    access_jwt: str,
) -> TokenPair:
    return TokenPair(
        sid=sid,
        access_token=access_jwt,
        expires_in=ctx.settings.access_token_ttl,
        refresh_token=refresh_token,
        refresh_max_age=max(0, refresh_exp - int(now.timestamp())),
    )


def expiry(ctx: AuthContext, iat: int, created_at: datetime) -> int:
    """A refresh token's `exp`: idle lifetime from `iat`, never past the absolute one."""
    s = ctx.settings
    return min(iat + s.refresh_token_ttl, int(created_at.timestamp()) + s.session_max_lifetime)


def mint_refresh(
    ctx: AuthContext, at: datetime, *, sub: str, sid: str, jti: str, iat: int, exp: int
) -> str:
    # Signed by the key active at `at` (the rotation time): a grace replay re-mints the same.
    s = ctx.settings
    return refresh.mint(
        ctx.keys.ring, issuer=s.issuer, ttl=0, now=at, sub=sub, sid=sid, jti=jti, iat=iat, exp=exp
    )
