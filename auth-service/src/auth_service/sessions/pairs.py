"""The tokens a session hands out: an access token and its refresh token, as one pair."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from auth_service.tokens.issuer import TokenIssuer


@dataclass(frozen=True)
class TokenPair:
    sid: str
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_max_age: int


@dataclass(frozen=True)
class SessionUser:
    """Whom a session's access tokens speak for, as PostgreSQL has them now."""

    id: str
    email: str
    roles: list[str]
    email_verified: bool = False
    # The session's: when and how the user last proved who they are (epoch seconds; RFC 8176).
    auth_time: int = 0
    amr: tuple[str, ...] = ("pwd",)


def issue_pair(
    tokens: TokenIssuer,
    now: datetime,
    user: SessionUser,
    *,
    sid: str,
    refresh_token: str,
    refresh_exp: int,
) -> TokenPair:
    """A fresh access token for `user`, paired with the session's refresh token."""
    access_token = tokens.user_access_token(now, user, sid=sid)
    return TokenPair(
        sid=sid,
        access_token=access_token,
        expires_in=tokens.access_ttl,
        refresh_token=refresh_token,
        refresh_max_age=max(0, refresh_exp - int(now.timestamp())),
    )
